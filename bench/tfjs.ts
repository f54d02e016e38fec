/**
 * npm run bench:tfjs — the same MobileNetV2-0.35 backbone run three ways on this machine:
 * TF.js (wasm backend, single-threaded in Node) from the Teachable Machine export, and the ONNX
 * conversion in ONNX Runtime with 1 thread and with all cores. Prints img/s and ratios measured
 * in this same run (batch 32, synthetic input, one warm-up batch). Needs ../shared (real weights).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBackbone } from '../src/models/open.js';
import { measureThroughput, type ThroughputRecord } from '../src/models/throughput.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tfjsCard = path.join(root, 'examples/models/mobilenetv2-035-imagenet-tfjs.yaml');
const onnxCard = path.join(root, 'examples/models/mobilenetv2-035-imagenet.yaml');
const BATCHES = Number(process.env.BENCH_BATCHES ?? 3);

if (!existsSync(path.resolve(root, '../shared/models/mobilenetv2-035-imagenet.onnx'))) {
  console.log('bench:tfjs skipped: ../shared/models (MobileNetV2 weights) not present');
  process.exit(0);
}

async function measure(label: string, open: () => ReturnType<typeof openBackbone>, threads?: number): Promise<ThroughputRecord & { label: string }> {
  const bb = await open();
  try {
    const r = await measureThroughput(bb, { batchSize: 32, batches: BATCHES, warmup: 1, feature: 'pooled', threads });
    console.log(`${label.padEnd(28)} ${r.imagesPerSecond.toFixed(1).padStart(7)} img/s  (${r.runtime}, ${r.threads} thread(s))`);
    return { ...r, label };
  } finally {
    await bb.dispose();
  }
}

const cores = os.availableParallelism();
console.log(`MobileNetV2-0.35 @224, batch 32 × ${BATCHES} timed batches, ${cores} cores, load avg ${os.loadavg()[0].toFixed(1)}`);
const tfjs = await measure('TF.js wasm', () => openBackbone({ card: tfjsCard }));
const ort1 = await measure('ONNX Runtime, 1 thread', () => openBackbone({ card: onnxCard }, { threads: 1 }), 1);
const ortN = await measure(`ONNX Runtime, ${cores} threads`, () => openBackbone({ card: onnxCard }, { threads: cores }), cores);
console.log(`ratio ORT(1 thread) / TF.js wasm: ${(ort1.imagesPerSecond / tfjs.imagesPerSecond).toFixed(2)}x`);
console.log(`ratio ORT(${cores} threads) / TF.js wasm: ${(ortN.imagesPerSecond / tfjs.imagesPerSecond).toFixed(2)}x`);
