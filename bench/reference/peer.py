"""PyTorch peer for medprobe's benches (bench/peer.ts starts it; medprobe never runs Python).

One process per figure. It builds its workload, prints one JSON line
{"ready": true, "torch": version, "threads": n, "blas": libraries}, then for every "run" line on stdin runs one
round and prints {"seconds": s, "cpu_seconds": c, "peak_rss_mb": m} (wall seconds; CPU seconds of
this process, every thread, from time.process_time(); the peak resident set of this process
during that round: VmHWM is reset before it). bench/peer.ts alternates these rounds with
medprobe's, so load from other tenants hits both alike.

Fairness: OMP_WAIT_POLICY=PASSIVE (set by the caller, so idle OpenMP threads do not spin on a
shared machine), torch.set_num_threads(threads) explicit (and OPENBLAS_NUM_THREADS), an
optimised BLAS (install libopenblas0-pthread beside python3-torch; the ready line names the BLAS
loaded), eager mode, inference_mode for forward-only work, and the probe's heads fused into one
matmul as medprobe fuses them.

Usage: /usr/bin/python3 bench/reference/peer.py WORKLOAD --threads T [options]
  vit --dim 384 --depth 12 --heads 6 --size 224 --patch 14 --batch 8
  mobilenetv2 --size 224 --batch 32
  decoder --kind unet|linear
  probe --rows 50000 --dim 768 --classes 10 --epochs 1 --batch 128 --lrs 0.1,0.05,… --wds 0,0.0001   (one head per lr × wd)
  knn --bank 50000 --queries 10000 --dim 768 --k 200
"""
import argparse
import json
import math
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from blas_info import blas  # the script's folder is on sys.path

p = argparse.ArgumentParser()
p.add_argument('workload', choices=['vit', 'mobilenetv2', 'decoder', 'probe', 'knn'])
p.add_argument('--threads', type=int, required=True)
p.add_argument('--dim', type=int, default=384)
p.add_argument('--depth', type=int, default=12)
p.add_argument('--heads', type=int, default=6)
p.add_argument('--size', type=int, default=224)
p.add_argument('--patch', type=int, default=14)
p.add_argument('--batch', type=int, default=8)
p.add_argument('--images', type=int, default=0, help='images per round (default: one batch)')
p.add_argument('--kind', default='linear')
p.add_argument('--rows', type=int, default=50000)
p.add_argument('--classes', type=int, default=10)
p.add_argument('--epochs', type=int, default=1)
p.add_argument('--bank', type=int, default=50000)
p.add_argument('--queries', type=int, default=10000)
p.add_argument('--k', type=int, default=200)
p.add_argument('--lrs', type=lambda v: [float(x) for x in v.split(',')], default=[1e-1, 5e-2, 1e-2, 5e-3, 1e-3, 5e-4, 1e-4, 1e-5])
p.add_argument('--wds', type=lambda v: [float(x) for x in v.split(',')], default=[0.0, 1e-4])
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)


def reset_peak():
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass


def peak_mb():
    with open('/proc/self/status') as f:
        return int(re.search(r'VmHWM:\s+(\d+)', f.read()).group(1)) / 1024


# ---------------------------------------------------------------- backbones (forward only)
class Block(nn.Module):
    """DINOv2's pre-norm block: LN → MHA → LayerScale → + → LN → MLP(GELU) → LayerScale → +."""

    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.n1, self.n2 = nn.LayerNorm(d, eps=1e-6), nn.LayerNorm(d, eps=1e-6)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.ls1, self.ls2 = nn.Parameter(torch.full((d,), 1e-5)), nn.Parameter(torch.full((d,), 1e-5))

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(self.n1(x)).reshape(B, N, 3, self.h, C // self.h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * (C // self.h) ** -0.5, qkv[1], qkv[2]
        att = (q @ k.transpose(-2, -1)).softmax(-1)
        x = x + self.ls1 * self.proj((att @ v).transpose(1, 2).reshape(B, N, C))
        return x + self.ls2 * self.fc2(F.gelu(self.fc1(self.n2(x))))


class ViT(nn.Module):
    def __init__(self, d, depth, h, size, patch):
        super().__init__()
        self.embed = nn.Conv2d(3, d, patch, patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.randn(1, 1 + (size // patch) ** 2, d) * 0.02)
        self.blocks = nn.ModuleList(Block(d, h) for _ in range(depth))
        self.norm = nn.LayerNorm(d, eps=1e-6)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        for b in self.blocks:
            x = b(x)
        return self.norm(x)[:, 0]


def conv_bn(i, o, k, s=1, g=1, act=True):
    layers = [nn.Conv2d(i, o, k, s, k // 2, groups=g, bias=False), nn.BatchNorm2d(o)]
    return nn.Sequential(*layers, nn.ReLU6()) if act else nn.Sequential(*layers)


class InvRes(nn.Module):
    def __init__(self, i, o, s, t):
        super().__init__()
        h = i * t
        self.res = s == 1 and i == o
        self.f = nn.Sequential(*([conv_bn(i, h, 1)] if t != 1 else []), conv_bn(h, h, 3, s, h), conv_bn(h, o, 1, act=False))

    def forward(self, x):
        return x + self.f(x) if self.res else self.f(x)


def mobilenetv2(alpha=0.35):
    """Keras MobileNetV2(alpha) layout: 16-channel stem at α 0.35, 1280 channels at the top."""
    def c(v):
        return max(8, int(v * alpha + 4) // 8 * 8)
    layers, i = [conv_bn(3, c(32), 3, 2)], c(32)
    for t, ch, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for j in range(n):
            layers.append(InvRes(i, c(ch), s if j == 0 else 1, t))
            i = c(ch)
    layers += [conv_bn(i, 1280, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)


# ---------------------------------------------------------------- decoders (bench/decoder.ts shapes)
N_SEG, D_SEG, G_SEG, OUT, K_SEG, WIDTHS = 8, 384, 32, 448, 2, [128, 64, 32, 16]


class UNetDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.ModuleList([nn.Conv2d(D_SEG, w, 1) for w in WIDTHS])
        self.conv = nn.ModuleList([nn.Conv2d(WIDTHS[0] if i == 0 else WIDTHS[i - 1] + WIDTHS[i], WIDTHS[i], 3, padding=1, bias=False) for i in range(4)])
        self.bn = nn.ModuleList([nn.BatchNorm2d(w) for w in WIDTHS])
        self.head = nn.Conv2d(WIDTHS[-1], K_SEG, 1)

    def forward(self, feats):
        x = None
        for i in range(4):
            size = (G_SEG << i, G_SEG << i)
            s = self.proj[i](feats[i])
            if s.shape[-1] != size[1]:
                s = F.interpolate(s, size=size, mode='bilinear', align_corners=False)
            u = s if i == 0 else torch.cat([F.interpolate(x, size=size, mode='bilinear', align_corners=False), s], 1)
            x = F.relu(self.bn[i](self.conv[i](u)))
        return F.interpolate(self.head(x), size=(OUT, OUT), mode='bilinear', align_corners=False)


class LinearDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Conv2d(D_SEG, K_SEG, 1)

    def forward(self, feats):
        return F.interpolate(self.lin(feats[0]), size=(OUT, OUT), mode='bilinear', align_corners=False)


def dice_loss(z, t, w):
    pr = torch.softmax(z, 1)
    pw, tw = pr * w, t * w
    i = (pw * t).sum((0, 2, 3))
    d = (2 * i + 1e-5) / (pw.sum((0, 2, 3)) + tw.sum((0, 2, 3)) + 1e-5)
    return 1 - d[1:].mean()


def workload():
    if a.workload in ('vit', 'mobilenetv2'):
        model = (ViT(a.dim, a.depth, a.heads, a.size, a.patch) if a.workload == 'vit' else mobilenetv2()).eval()
        images = a.images or a.batch
        x = torch.randn(a.batch, 3, a.size, a.size)

        def run():
            with torch.inference_mode():
                for s in range(0, images, a.batch):
                    model(x[: min(a.batch, images - s)])
        return run
    if a.workload == 'decoder':
        model = UNetDecoder() if a.kind == 'unet' else LinearDecoder()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        feats = [torch.randn(N_SEG, D_SEG, G_SEG, G_SEG) for _ in range(4)]
        lab = (torch.rand(N_SEG, 1, OUT, OUT) < 0.2).long()
        t = torch.cat([1 - lab, lab], 1).float()
        w = torch.ones(N_SEG, 1, OUT, OUT)

        def run():
            opt.zero_grad()
            dice_loss(model(feats), t, w).backward()
            opt.step()
        return run
    if a.workload == 'probe':
        # The work of medprobe's trainHeads (src/engine/heads.ts), step for step: per fit, the
        # columns' mean and 1/std over the training rows (StandardScaler's population std); per
        # step, the standardised batch, all heads as ONE [D, heads·C] matmul (fused, as medprobe
        # fuses them), mean softmax cross-entropy per head, weight decay on W (not b),
        # SGD momentum 0.9 with a per-head lr under the per-step cosine schedule ½(1+cos(πt/T)).
        X = torch.randn(a.rows, a.dim)
        Y = torch.randint(0, a.classes, (a.rows,))
        grid = [(lr, wd) for wd in a.wds for lr in a.lrs]
        H = len(grid)
        W = torch.zeros(a.dim, H * a.classes, requires_grad=True)
        b = torch.zeros(H * a.classes, requires_grad=True)
        lrs = torch.tensor([lr for lr, _ in grid]).repeat_interleave(a.classes)
        wds = torch.tensor([wd for _, wd in grid]).repeat_interleave(a.classes)
        mw, mb = torch.zeros_like(W), torch.zeros_like(b)
        steps = a.epochs * math.ceil(a.rows / a.batch)

        def run():
            with torch.no_grad():
                # torch's own reduction (float32, Welford); float64 as medprobe accumulates took
                # torch 1.13 ~10× longer here, which would slow the peer, not make it fairer.
                sd, mean = torch.std_mean(X, 0, unbiased=False)
                inv_std = torch.where(sd > 1e-12, 1 / sd, torch.ones_like(sd))
            t = 0
            for _ in range(a.epochs):
                perm = torch.randperm(a.rows)
                for s in range(0, a.rows, a.batch):
                    idx = perm[s:s + a.batch]
                    xs = (X[idx] - mean) * inv_std
                    z = (xs @ W + b).view(-1, H, a.classes)
                    loss = F.cross_entropy(z.reshape(-1, a.classes), Y[idx].repeat_interleave(H), reduction='sum') / len(idx)
                    gw, gb = torch.autograd.grad(loss, [W, b])
                    lr_t = lrs * (0.5 * (1 + math.cos(math.pi * t / steps)))
                    with torch.no_grad():
                        mw.mul_(0.9).add_(gw + W * wds)
                        mb.mul_(0.9).add_(gb)
                        W.sub_(mw * lr_t)
                        b.sub_(mb * lr_t)
                    t += 1
        return run
    # knn: cosine top-k of every query against the bank, in query blocks (no full score matrix).
    bank = F.normalize(torch.randn(a.bank, a.dim), dim=1)
    q = torch.randn(a.queries, a.dim)

    def run():
        with torch.inference_mode():
            qn = F.normalize(q, dim=1)
            for s in range(0, a.queries, 1024):
                torch.topk(qn[s:s + 1024] @ bank.T, a.k, dim=1)
    return run


run = workload()
print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas()}), flush=True)
for line in sys.stdin:
    if line.strip() != 'run':
        break
    reset_peak()
    c0, t0 = time.process_time(), time.perf_counter()
    run()
    t, c = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({'seconds': t, 'cpu_seconds': c, 'peak_rss_mb': peak_mb()}), flush=True)
