"""PyTorch peer for `npm run bench:finetune` (bench/finetune.ts starts it; medprobe never runs Python).

One training step per round of a DINOv2-architecture ViT (dinov2_torch.py) with a new Linear head on
the CLS token, cross-entropy, AdamW (adapters/backbone and head lr groups) and clip_grad_norm_ —
the step medprobe's FineTuner takes — for one method:
  lora:   LoRA r/alpha/dropout on every attn.qkv, base weights frozen (PEFT's layout)
  bitfit: only the biases
  full:   every parameter
Same line protocol as peer.py: prints {"ready": true, ...}, then one {"seconds", "cpu_seconds",
"peak_rss_mb"} per "run" line (cpu_seconds: time.process_time(), every thread of this process).
Fairness: OMP_WAIT_POLICY=PASSIVE set by the caller, torch.set_num_threads explicit, eager.

Usage: /usr/bin/python3 bench/reference/finetune_torch.py METHOD --threads T [--dim 384 --depth 12 --heads 6 --size 224 --patch 14 --batch 16 --rank 48]
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from blas_info import blas  # noqa: E402
from dinov2_torch import DinoVisionTransformer, LoRALinear  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('method', choices=['lora', 'bitfit', 'full'])
p.add_argument('--threads', type=int, required=True)
p.add_argument('--dim', type=int, default=384)
p.add_argument('--depth', type=int, default=12)
p.add_argument('--heads', type=int, default=6)
p.add_argument('--size', type=int, default=224)
p.add_argument('--patch', type=int, default=14)
p.add_argument('--batch', type=int, default=16)
p.add_argument('--rank', type=int, default=48)
p.add_argument('--classes', type=int, default=2)
a, _ = p.parse_known_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


def peak_mb():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak():
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass


model = DinoVisionTransformer(size=a.size, patch=a.patch, dim=a.dim, depth=a.depth, heads=a.heads)
for q in model.parameters():
    q.requires_grad_(a.method == 'full')
adapters = []
if a.method == 'lora':
    for blk in model.blocks:
        base = blk.attn.qkv
        A = torch.empty(a.dim, a.rank).uniform_(-a.dim ** -0.5, a.dim ** -0.5)
        blk.attn.qkv = LoRALinear(base, A, torch.zeros(a.rank, 3 * a.dim), 16 / a.rank, dropout=0.1)
        adapters += [blk.attn.qkv.A, blk.attn.qkv.B]
elif a.method == 'bitfit':
    for n, q in model.named_parameters():
        if n.endswith('bias'):
            q.requires_grad_(True)
            adapters.append(q)
else:
    adapters = list(model.parameters())
head = nn.Linear(a.dim, a.classes)
opt = torch.optim.AdamW([{'params': adapters, 'lr': 2e-4}, {'params': head.parameters(), 'lr': 5e-3}], weight_decay=0.01)
trainable = adapters + list(head.parameters())
model.train()
x = torch.randn(a.batch, 3, a.size, a.size)
y = torch.arange(a.batch) % a.classes


def run():
    opt.zero_grad()
    loss = F.cross_entropy(head(model(x)[:, 0]), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
    opt.step()


print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas(),
                  'trainable': sum(q.numel() for q in trainable)}), flush=True)
for line in sys.stdin:
    if line.strip() != 'run':
        break
    reset_peak()
    c0, t0 = time.process_time(), time.perf_counter()
    run()
    t, c = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({'seconds': t, 'cpu_seconds': c, 'peak_rss_mb': peak_mb()}), flush=True)
