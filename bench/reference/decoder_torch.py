"""PyTorch-CPU reference for bench/decoder.ts: the same U-Net and linear decoders, same
shapes, same loss (soft Dice over foreground, batch sums), Adam. For our own speed
comparison only; medprobe never runs Python.

Run: /usr/bin/python3 bench/reference/decoder_torch.py [threads] [steps]
"""
import sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
torch.set_num_threads(threads)
torch.manual_seed(0)

N, D, G, L, OUT, K = 8, 384, 32, 4, 448, 2
WIDTHS = [128, 64, 32, 16]


class UNetDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.ModuleList([nn.Conv2d(D, w, 1) for w in WIDTHS])
        self.conv = nn.ModuleList(
            [nn.Conv2d(WIDTHS[0] if i == 0 else WIDTHS[i - 1] + WIDTHS[i], WIDTHS[i], 3, padding=1, bias=False) for i in range(L)]
        )
        self.bn = nn.ModuleList([nn.BatchNorm2d(w) for w in WIDTHS])
        self.head = nn.Conv2d(WIDTHS[-1], K, 1)

    def forward(self, feats):
        x = None
        for i in range(L):
            size = (G << i, G << i)
            s = self.proj[i](feats[i])
            if s.shape[-1] != size[1]:
                s = F.interpolate(s, size=size, mode="bilinear", align_corners=False)
            u = s if i == 0 else torch.cat([F.interpolate(x, size=size, mode="bilinear", align_corners=False), s], 1)
            x = F.relu(self.bn[i](self.conv[i](u)))
        return F.interpolate(self.head(x), size=(OUT, OUT), mode="bilinear", align_corners=False)


class LinearDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Conv2d(D, K, 1)

    def forward(self, feats):
        return F.interpolate(self.lin(feats[0]), size=(OUT, OUT), mode="bilinear", align_corners=False)


def dice_loss(z, t, w):
    p = torch.softmax(z, 1)
    pw, tw = p * w, t * w
    i = (pw * t).sum((0, 2, 3))
    d = (2 * i + 1e-5) / (pw.sum((0, 2, 3)) + tw.sum((0, 2, 3)) + 1e-5)
    return 1 - d[1:].mean()


def bench(model, feats):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lab = (torch.rand(N, 1, OUT, OUT) < 0.2).long()
    t = torch.cat([1 - lab, lab], 1).float()
    w = torch.ones(N, 1, OUT, OUT)
    times = []
    for s in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = dice_loss(model(feats), t, w)
        loss.backward()
        opt.step()
        if s > 0:
            times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


feats = [torch.randn(N, D, G, G) for _ in range(L)]
print(f"torch {torch.__version__} threads={threads}")
print(f"unet   s/step {bench(UNetDecoder(), feats):.4f}")
print(f"linear s/step {bench(LinearDecoder(), feats):.4f}")
