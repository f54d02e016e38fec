import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);

export const TFJS_VERSION: string = (require('@tensorflow/tfjs/package.json') as { version: string }).version;

export type TfjsBackendName = 'wasm' | 'cpu';

let ready: Promise<TfjsBackendName> | undefined;

/**
 * Selects the TF.js backend once per process: wasm (XNNPACK kernels, single-threaded in Node)
 * and, when it cannot start, the pure-JS cpu backend with a warning, since cpu is ~10× slower.
 * tfjs-node would be faster still but cannot be installed here.
 */
export function tfjsBackend(): Promise<TfjsBackendName> {
  ready ??= (async () => {
    // In Node the wasm binaries are read from disk; point the loader at the package's dist/.
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    setWasmPaths(dist);
    let why = 'setBackend returned false';
    try {
      if ((await tf.setBackend('wasm')) && tf.getBackend() === 'wasm') return 'wasm';
    } catch (e) {
      why = (e as Error).message;
    }
    await tf.setBackend('cpu');
    process.emitWarning(`TF.js wasm backend failed to start (${why}); using the pure-JS cpu backend (expect ~10x slower extraction)`, { code: 'MEDPROBE_TFJS_CPU' });
    return 'cpu';
  })();
  return ready;
}
