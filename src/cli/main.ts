import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
// A failed command may leave handles open (a Redis connection, a worker pool): exit now.
// Writes to pipes and files are synchronous on POSIX, so nothing printed is lost.
if (code !== 0) process.exit(code);
