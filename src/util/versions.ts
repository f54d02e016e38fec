import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Versions recorded in every result's provenance. */
export function runtimeVersions(): { medprobe: string; node: string; runtime: Record<string, string> } {
  return {
    medprobe: (require('../../package.json') as { version: string }).version,
    node: process.versions.node,
    runtime: { 'onnxruntime-node': versionOf('onnxruntime-node') },
  };
}
