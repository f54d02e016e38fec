import ort from 'onnxruntime-node';
import { MedprobeError } from '../../util/errors.js';
import type { Compute, ComputeOptions } from './device.js';
import { providerErrorReason, providerUnavailable, resolveCompute } from './provider.js';

/**
 * The one place ORT session options are made. Every session medprobe opens (backbones, graph
 * edits, the engine's kNN / linear-probe / decoder graphs, PCA) goes through `openSession`, so the
 * device and the thread counts are explicit everywhere and recorded in provenance.
 */
export function sessionOptions(c: Compute, use: SessionUse = 'inference'): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [c.device],
    intraOpNumThreads: c.intraOpThreads,
    interOpNumThreads: c.interOpThreads,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // Idle pool threads block instead of spinning (ORT's default spins), as the PyTorch peers run
    // with OMP_WAIT_POLICY=PASSIVE. On a loaded or oversubscribed machine a spinning thread
    // burns the time slice the JS thread needs to feed the next step: bench:probe's grid took
    // 1.92 s with spinning vs 1.34 s without at load 13 (docs/results/performance.md).
    // Scheduling only: no result changes.
    // A training step (forward + backward, big activations) runs without ORT's memory pattern:
    // with one, the second run allocates the planned block beside the arena chunks the first run
    // grew, so step 2 touched fresh pages (linear decoder step 2: 0.24–0.77 s against ~0.04 s
    // after; U-Net 4.9 s against 2.2 s) and the peak RSS rose (U-Net 1718 → 1025 MB without it).
    // Later steps are as fast either way (docs/results/performance.md; the fine-tuner does the same).
    ...(use === 'training' ? { enableMemPattern: false } : {}),
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

/** What a session runs: inference graphs, or training steps that run the same shapes over and over. */
export type SessionUse = 'inference' | 'training';

/** A session on the given compute; a provider that fails here is one clear error, never a silent CPU run. */
export async function openSession(model: string | Uint8Array, c: Compute, use: SessionUse = 'inference'): Promise<ort.InferenceSession> {
  try {
    const o = sessionOptions(c, use);
    return await (typeof model === 'string' ? ort.InferenceSession.create(model, o) : ort.InferenceSession.create(model, o));
  } catch (e) {
    const raw = String((e as Error)?.message ?? e);
    if (c.device !== 'cpu' && /provider|adapter|webgpu|cuda/i.test(raw)) throw providerUnavailable(c.device, providerErrorReason(e));
    if (typeof model !== 'string') throw e; // a graph medprobe built: a bug, not a user's file
    throw new MedprobeError(`cannot load ONNX model ${model}: ${raw.split('\n')[0].slice(0, 200)}`, {
      file: model,
      cause: e,
      hint: 'the file is truncated, corrupt or not an ONNX model; re-download or re-export it (check its sha256 against the source)',
    });
  }
}

let processDefault: ComputeOptions = {};
let resolvedDefault: Promise<Compute> | undefined;

/**
 * The compute choice of this process (set once by the CLI's --device/--threads, or by a library
 * user). Engine graphs always use it; backbones use it unless opened with their own choice.
 */
export function setDefaultCompute(opts: ComputeOptions, onPick?: (line: string) => void): Promise<Compute> {
  processDefault = { ...opts };
  resolvedDefault = resolveCompute(processDefault, onPick);
  return resolvedDefault;
}

/** The process's compute, resolved (cpu on all cores unless `setDefaultCompute` said otherwise). */
export function defaultCompute(): Promise<Compute> {
  resolvedDefault ??= resolveCompute(processDefault);
  return resolvedDefault;
}

/** A per-call choice over the process default: fields given here win. */
export function computeFor(opts: ComputeOptions = {}): Promise<Compute> {
  if (opts.device === undefined && opts.threads === undefined && opts.precision === undefined) return defaultCompute();
  return resolveCompute({ ...processDefault, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) });
}

/** A stable short name of a compute choice, for keying cached sessions. */
export function computeKey(c: Compute): string {
  return `${c.device}/${c.intraOpThreads}/${c.interOpThreads}`;
}

export type { Compute, ComputeOptions };
