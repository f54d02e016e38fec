import type { Command } from 'commander';
import { DEVICES, PRECISIONS, parseDevice, parsePrecision, type Device, type Precision } from '../models/onnx/device.js';
import { threadsOption } from './flags.js';

/**
 * `--device` and `--threads`, the same on every command that runs ONNX Runtime. Before the
 * command's action the choice is resolved once for the whole process (backbones and engine
 * graphs alike): a provider missing here fails now, in one line, before any work starts.
 */
export function withComputeFlags(cmd: Command): Command {
  cmd.option('--device <device>', `where ONNX Runtime computes: ${DEVICES.join(', ')} (auto says what it picked)`, (v: string) => parseDevice(v, '--device'), 'cpu');
  cmd.option('--precision <precision>', `backbone precision: ${PRECISIONS.join(', ')}, default fp32 or a suite's precision (fp16: weights and arithmetic converted; int8: dynamic quantisation, CPU only; inputs and outputs stay float32; recorded in results and cache keys)`, (v: string) => parsePrecision(v, '--precision'));
  threadsOption(cmd, 'ONNX Runtime intra-op threads, for the backbone and every engine graph (default $MEDPROBE_ORT_THREADS, else every available core)');
  return cmd.hook('preAction', async (_self, action) => {
    if (action !== cmd) return;
    const o = cmd.opts<{ device: Device; threads?: number; precision?: Precision }>();
    // The runtime is loaded only by commands that compute, and only when they run.
    const { setDefaultCompute } = await import('../models/onnx/session.js');
    await setDefaultCompute({ device: o.device, threads: o.threads, precision: o.precision }, (line) => process.stderr.write(`${line}\n`));
  });
}
