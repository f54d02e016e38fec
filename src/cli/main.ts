console.log('medprobe');
