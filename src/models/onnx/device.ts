import os from 'node:os';
import { MedprobeError } from '../../util/errors.js';

/* Device names and the compute choice's types: no ONNX Runtime import here, so the CLI can parse
   --device without loading the runtime. Resolving a choice on this machine is provider.ts's job. */

/** Where ONNX Runtime computes. `auto` takes the first provider that opens a session: cuda, webgpu, cpu. */
export const DEVICES = ['cpu', 'webgpu', 'cuda', 'auto'] as const;
export type Device = (typeof DEVICES)[number];
/** A device a session actually runs on (what `auto` resolves to). */
export type Provider = Exclude<Device, 'auto'>;

/**
 * The backbone's weights and arithmetic: fp32 (default, the model as exported), its fp16 conversion
 * (fp16.ts, for GPUs) or its dynamic int8 quantisation (int8.ts, CPU only; an explicit option, never a default).
 */
export const PRECISIONS = ['fp32', 'fp16', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** The compute choice of a run: one setting for every ORT session (backbone and engine graphs). */
export interface ComputeOptions {
  /** Default `cpu`. */
  device?: Device;
  /** ORT intra-op threads; default `$MEDPROBE_ORT_THREADS`, else every available core. */
  threads?: number;
  /** Backbone precision; default fp32. Engine graphs always run fp32. */
  precision?: Precision;
}

/** A resolved compute choice, as recorded in every result's provenance. */
export interface Compute {
  device: Provider;
  /** What was asked for (differs from `device` only for `auto`). */
  requested: Device;
  intraOpThreads: number;
  /** Sessions run sequentially, so one inter-op thread; recorded so nothing is left to ORT's defaults. */
  interOpThreads: number;
  /** GPU name where the machine reports one (nvidia-smi); ORT's WebGPU provider does not name its adapter. */
  adapter?: string;
  /** Present only for fp16 / int8 backbones, so fp32 provenance and cache keys are the ones written before. */
  precision?: Exclude<Precision, 'fp32'>;
}

export function parseDevice(v: string, flag = 'device'): Device {
  if ((DEVICES as readonly string[]).includes(v)) return v as Device;
  throw new MedprobeError(`${flag} '${v}' is not a device`, { hint: `use one of ${DEVICES.join(', ')}` });
}

export function parsePrecision(v: string, flag = 'precision'): Precision {
  if ((PRECISIONS as readonly string[]).includes(v)) return v as Precision;
  throw new MedprobeError(`${flag} '${v}' is not a precision`, { hint: `use one of ${PRECISIONS.join(', ')}` });
}

export function defaultThreads(): number {
  const env = Number(process.env.MEDPROBE_ORT_THREADS ?? 0);
  return Number.isInteger(env) && env > 0 ? env : os.availableParallelism();
}

