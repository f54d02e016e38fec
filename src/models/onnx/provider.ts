import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { MedprobeError } from '../../util/errors.js';
import { defaultThreads, parseDevice, parsePrecision, type Compute, type ComputeOptions, type Device, type Provider } from './device.js';
import { encodeModel, onnx } from './proto.js';

const AUTO_ORDER: readonly Provider[] = ['cuda', 'webgpu', 'cpu'];

/** How a missing provider is installed: the last part of its one-line error. */
const HOW_TO_GET: Record<Exclude<Provider, 'cpu'>, string> = {
  cuda:
    "onnxruntime-node downloads its CUDA 12 provider only when its installer is run with CUDA: `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node --foreground-scripts` (needs the NVIDIA driver, CUDA 12 and cuDNN 9 libraries on the library path, and network access to ORT's NuGet feed); or use --device webgpu",
  webgpu:
    'the WebGPU provider is bundled with onnxruntime-node but needs a GPU adapter: on Linux a GPU with its Vulkan driver and libvulkan.so.1 (Debian: apt-get install libvulkan1 plus the vendor driver); or use --device cpu',
};

/** Whether the provider's library is present, before trying it (CUDA's comes from the installer, not the package). */
function installed(p: Provider): boolean {
  return ort.listSupportedBackends().some((b) => b.name === p) && (p !== 'cuda' || cudaLibraryPresent());
}

function cudaLibraryPresent(): boolean {
  // listSupportedBackends() lists cuda as `bundled: false` whether or not the installer fetched it.
  if (ort.listSupportedBackends().find((x) => x.name === 'cuda')?.bundled) return true;
  const root = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  const bin = path.join(root, 'bin');
  try {
    return fs.readdirSync(bin).some((napi) => fs.existsSync(path.join(bin, napi, process.platform, process.arch, 'libonnxruntime_providers_cuda.so')) || fs.existsSync(path.join(bin, napi, process.platform, process.arch, 'onnxruntime_providers_cuda.dll')));
  } catch {
    return false;
  }
}

/** A one-node graph to open a session on a provider: the cheapest way to learn whether it works here. */
function probeModel(): Uint8Array {
  const t = { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } };
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'probe', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [{ name: 'x', type: t }], output: [{ name: 'y', type: t }] },
  });
}

/** Why a provider cannot run here, or undefined when a session opens on it. Cached per process. */
const probes = new Map<Provider, Promise<string | undefined>>();
export function providerProblem(p: Provider): Promise<string | undefined> {
  let r = probes.get(p);
  if (!r) {
    r = (async () => {
      if (p === 'cpu') return undefined;
      if (!installed(p)) return p === 'cuda' ? 'the CUDA provider is not installed' : `onnxruntime-node ${ort.env.versions.node ?? ''} has no ${p} provider`;
      try {
        const s = await ort.InferenceSession.create(probeModel(), { executionProviders: [p], logSeverityLevel: 4 });
        await s.release();
        return undefined;
      } catch (e) {
        return providerErrorReason(e);
      }
    })();
    probes.set(p, r);
  }
  return r;
}

/** ORT's provider errors are multi-line native traces; keep the sentence that says why. */
export function providerErrorReason(e: unknown): string {
  const raw = String((e as Error)?.message ?? e);
  const adapter = /Failed to get a WebGPU adapter:?\s*([^\n]*)/.exec(raw);
  if (adapter) return `no WebGPU adapter (${adapter[1].trim() || 'none found'})`;
  if (/Failed to load (shared )?library/i.test(raw)) return 'its shared library could not be loaded (provider not installed, or CUDA/cuDNN libraries missing)';
  return raw.split('\n').find((l) => l.trim())?.trim().slice(0, 200) ?? 'unknown error';
}

/** The one line a machine without the provider gets: which provider, why, how to get it. */
export function providerUnavailable(p: Exclude<Provider, 'cpu'>, reason: string): MedprobeError {
  return new MedprobeError(`device ${p} is not available on this machine: ${reason}`, { hint: HOW_TO_GET[p] });
}

/**
 * Resolves a compute choice: checks that the provider opens a session here (never falling back
 * silently) and fixes the thread counts. `auto` takes the first of cuda, webgpu, cpu that works;
 * `onPick` hears what it picked and why the others were passed over.
 */
export async function resolveCompute(opts: ComputeOptions = {}, onPick?: (line: string) => void): Promise<Compute> {
  const requested = opts.device ?? 'cpu';
  parseDevice(String(requested)); // a typo'd device from a library caller gets the same line as --device
  const precision = parsePrecision(String(opts.precision ?? 'fp32'));
  // GPU providers have no kernels for the integer ops: ORT would run them on the CPU between copies.
  const int8OnGpu = (d: Device): MedprobeError =>
    new MedprobeError(`precision int8 runs on the CPU only (device ${d}${requested === 'auto' ? ', picked by auto' : ''})`, { hint: 'use --device cpu with --precision int8, or --precision fp16 on a GPU' });
  if (precision === 'int8' && requested !== 'cpu' && requested !== 'auto') throw int8OnGpu(requested);
  const threads = opts.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads <= 0) throw new MedprobeError(`threads ${threads} is not a positive integer`, { hint: 'e.g. --threads 4' });
  let device: Provider;
  if (requested === 'auto') {
    const passed: string[] = [];
    device = 'cpu';
    for (const p of AUTO_ORDER) {
      const problem = await providerProblem(p);
      if (!problem) {
        device = p;
        break;
      }
      passed.push(`${p}: ${problem}`);
    }
    onPick?.(`device auto: picked ${device}${passed.length ? ` (${passed.join('; ')})` : ''}; supported by onnxruntime-node: ${ort.listSupportedBackends().map((b) => b.name).join(', ')}`);
  } else {
    device = requested;
    if (device !== 'cpu') {
      const problem = await providerProblem(device);
      if (problem) throw providerUnavailable(device, problem);
    }
  }
  if (precision === 'int8' && device !== 'cpu') throw int8OnGpu(device);
  const adapter = device === 'cpu' ? undefined : gpuName();
  return { device, requested, intraOpThreads: threads, interOpThreads: 1, ...(adapter ? { adapter } : {}), ...(precision !== 'fp32' ? { precision } : {}) };
}

let gpuNameCache: string | null | undefined;
/** The first GPU's name from nvidia-smi, where there is one (best effort: adapters are not reported by ORT). */
function gpuName(): string | undefined {
  if (gpuNameCache === undefined) {
    try {
      gpuNameCache = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim() || null;
    } catch {
      gpuNameCache = null;
    }
  }
  return gpuNameCache ?? undefined;
}
