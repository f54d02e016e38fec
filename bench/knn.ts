/**
 * npm run bench:knn — cosine top-k (the kNN protocol's engine: one ORT graph, Gemm + scaling +
 * TopK, in query chunks) of 1 000 queries against a 50 000 × 768 bank, k = 200; against PyTorch
 * doing the same (normalise, matmul, topk, in blocks of 1 024 queries) at the same threads in the
 * same command, rounds alternating, each figure in its own process.
 *
 * Run: npm run bench:knn -- [--bank 50000] [--queries 1000] [--dim 768] [--k 200] [--rounds 3] [--threads N]
 */
import { cosineTopK } from '../src/engine/similarity.js';
import { createRng } from '../src/util/random.js';
import { alternate, benchThreads, flag, printHeader, printTable, serveFigure, servedFigure, startMedprobeFigure, startTorchPeer, type RoundServer } from './peer.js';

const BANK = flag('bank', 50000);
const Q = flag('queries', 1000);
const D = flag('dim', 768);
const K = flag('k', 200);
const threads = benchThreads();

const serve = servedFigure();
if (serve) {
  await serveFigure(async () => {
    process.env.MEDPROBE_ORT_THREADS = String(threads);
    const rng = createRng(3);
    const bank = { rows: BANK, cols: D, data: Float32Array.from({ length: BANK * D }, () => rng.normal()) };
    const query = { rows: Q, cols: D, data: Float32Array.from({ length: Q * D }, () => rng.normal()) };
    return () => cosineTopK(bank, query, K);
  });
} else {
  await printHeader(`bench:knn — cosine top-${K}, ${Q} queries × ${BANK} bank × ${D}-d`, threads);
  const servers: RoundServer[] = [await startMedprobeFigure(new URL(import.meta.url).pathname, 'medprobe cosine top-k')];
  const peer = await startTorchPeer('knn', 'cosine top-k', ['--bank', BANK, '--queries', Q, '--dim', D, '--k', K], threads);
  if (peer) servers.push(peer);
  const results = await alternate(servers.map((s) => s.figure), flag('rounds', 3));
  printTable('kNN similarity + top-k', results, { against: peer?.name });
  for (const s of servers) s.close();
}
