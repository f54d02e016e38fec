"""PyTorch-CPU reference for `npm run bench:probe` (not run by the project).

The same grid as bench/probe.ts: 16 logistic-regression heads (8 lrs × weight decay {0, 1e-4})
on 50 000 × 768 standardised features, 10 classes, batch 128, 10 epochs, SGD momentum 0.9,
cosine schedule per step, zero init. Written the way dinov2's linear eval does it: one
nn.Linear per head, one param group per head, losses summed, one backward and one optimizer
step per batch, so all heads share each batch.

Run: /usr/bin/python3 bench/reference/probe_torch.py [--threads 2] [--epochs 10]
(Debian bookworm: apt-get install -y python3-torch, torch 1.13)
"""
import argparse
import math
import resource
import time

import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument('--rows', type=int, default=50000)
p.add_argument('--dim', type=int, default=768)
p.add_argument('--classes', type=int, default=10)
p.add_argument('--epochs', type=int, default=10)
p.add_argument('--batch', type=int, default=128)
p.add_argument('--threads', type=int, default=0, help='0 = torch default')
a = p.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
torch.manual_seed(1)

# Same distribution as bench/probe.ts: class mean +0.15·(1 + y mod 3) on dims with (7j + y) mod 10 == 0.
rng = np.random.default_rng(42)
y = rng.integers(0, a.classes, a.rows)
x = rng.standard_normal((a.rows, a.dim), dtype=np.float32)
j = np.arange(a.dim)
x += ((7 * j[None, :] + y[:, None]) % 10 == 0) * (0.15 * (1 + (y[:, None] % 3))).astype(np.float32)
X = torch.from_numpy(x)
Y = torch.from_numpy(y)
mean = X.mean(0)
std = X.std(0, unbiased=False)
X.sub_(mean).div_(std)  # in place: no second copy
rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

lrs = [1e-1, 5e-2, 1e-2, 5e-3, 1e-3, 5e-4, 1e-4, 1e-5]
grid = [(lr, wd) for wd in (0.0, 1e-4) for lr in lrs]
heads = torch.nn.ModuleList(torch.nn.Linear(a.dim, a.classes) for _ in grid)
for h in heads:
    torch.nn.init.zeros_(h.weight)
    torch.nn.init.zeros_(h.bias)
opt = torch.optim.SGD([{'params': [h.weight], 'lr': lr, 'weight_decay': wd} for h, (lr, wd) in zip(heads, grid)]
                      + [{'params': [h.bias], 'lr': lr, 'weight_decay': 0.0} for h, (lr, wd) in zip(heads, grid)],
                      lr=0.1, momentum=0.9)
steps = math.ceil(a.rows / a.batch) * a.epochs
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
loss_fn = torch.nn.CrossEntropyLoss()

t0 = time.perf_counter()
c0 = time.process_time()
for e in range(a.epochs):
    perm = torch.randperm(a.rows)
    for s in range(0, a.rows, a.batch):
        idx = perm[s:s + a.batch]
        xb, yb = X[idx], Y[idx]
        loss = sum(loss_fn(h(xb), yb) for h in heads)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
wall = time.perf_counter() - t0
cpu = time.process_time() - c0
with torch.no_grad():
    acc = (heads[0](X[:10000]).argmax(1) == Y[:10000]).float().mean().item()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f'torch {torch.__version__}, threads {torch.get_num_threads()}: {len(grid)} heads × {a.epochs} epochs ({steps} steps): {wall:.2f} s wall, {cpu:.2f} s CPU; '
      f'peak RSS {rss:.1f} MB (after data {rss_data:.1f} MB); train acc (first 10000 rows) head lr=0.1: {acc:.3f}')
