"""Cross-check: medprobe's LoRA training step on a real torch.onnx DINOv2-architecture export
against PyTorch's own step (issue 14's acceptance "one LoRA step must match PyTorch's step").

1. Builds a DINOv2-architecture ViT (dinov2_torch.py) with seeded weights and exports it with
   torch.onnx (opset 17: fused LayerNormalization; opset 14: the decomposed ReduceMean/Pow/Sqrt form).
2. medprobe (scripts/lora-step.ts) derives the LoRA training graph from that ONNX file, runs
   STEPS AdamW steps on one fixed batch, and writes its initial LoRA/head tensors, losses and
   final tensors.
3. PyTorch replays the same steps from the same initial tensors: LoRA (scale alpha/r, dropout 0)
   on every blocks.i.attn.qkv, a new Linear head on the CLS token, cross-entropy, AdamW with
   two lr groups, clip_grad_norm_, cosine LambdaLR.
4. Prints per-step losses and, per tensor, the largest difference relative to the largest
   update PyTorch made to it.

Usage (from the repository root): /usr/bin/python3 bench/reference/lora_step_torch.py [--opset 17] [--steps 3]
Needs: Debian's python3-torch (1.13). medprobe itself never runs Python.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dinov2_torch import DinoVisionTransformer, LoRALinear, export_onnx  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--opset', type=int, default=17)
p.add_argument('--steps', type=int, default=3)
p.add_argument('--size', type=int, default=56)
p.add_argument('--patch', type=int, default=14)
p.add_argument('--dim', type=int, default=64)
p.add_argument('--depth', type=int, default=2)
p.add_argument('--heads', type=int, default=4)
p.add_argument('--batch', type=int, default=4)
p.add_argument('--classes', type=int, default=3)
p.add_argument('--rank', type=int, default=8)
p.add_argument('--alpha', type=float, default=16)
p.add_argument('--lr', type=float, default=1e-3)
p.add_argument('--head-lr', type=float, default=5e-3)
p.add_argument('--weight-decay', type=float, default=0.01)
p.add_argument('--clip', type=float, default=1.0)
a = p.parse_args()

torch.manual_seed(0)
torch.set_num_threads(2)
repo = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
model = DinoVisionTransformer(size=a.size, patch=a.patch, dim=a.dim, depth=a.depth, heads=a.heads, ls_init=0.1)
with tempfile.TemporaryDirectory(prefix='medprobe-lora-step-') as tmp:
    onnx_file = os.path.join(tmp, 'dinov2.onnx')
    export_onnx(model, onnx_file, a.size, a.opset)
    pixels = torch.randn(a.batch, 3, a.size, a.size)
    labels = torch.arange(a.batch) % a.classes
    target = F.one_hot(labels, a.classes).float()
    pixels.numpy().astype('<f4').tofile(os.path.join(tmp, 'pixels.bin'))
    target.numpy().astype('<f4').tofile(os.path.join(tmp, 'target.bin'))
    spec = dict(model=onnx_file, size=a.size, batch=a.batch, classes=a.classes, dim=a.dim, rank=a.rank, alpha=a.alpha, targets=['qkv'],
                lr=a.lr, headLr=a.head_lr, weightDecay=a.weight_decay, clipNorm=a.clip, steps=a.steps, seed=5,
                pixels=os.path.join(tmp, 'pixels.bin'), target=os.path.join(tmp, 'target.bin'))
    with open(os.path.join(tmp, 'spec.json'), 'w') as f:
        json.dump(spec, f)
    out_file = os.path.join(tmp, 'medprobe.json')
    subprocess.run(['node', '--import', 'tsx', 'scripts/lora-step.ts', os.path.join(tmp, 'spec.json'), out_file], cwd=repo, check=True)
    with open(out_file) as f:
        ours = json.load(f)

init = {k: torch.tensor(v, dtype=torch.float32) for k, v in ours['initial'].items()}
for p_ in model.parameters():
    p_.requires_grad_(False)
lora_params = []
for name in ours['modules']:  # e.g. blocks.0.attn.qkv
    parent = model.get_submodule(name.rsplit('.', 1)[0])
    base = getattr(parent, 'qkv')
    A = init[f'lora.{name}.A'].reshape(a.dim, a.rank).clone()
    B = init[f'lora.{name}.B'].reshape(a.rank, 3 * a.dim).clone()
    wrapped = LoRALinear(base, A, B, a.alpha / a.rank)
    setattr(parent, 'qkv', wrapped)
    lora_params += [(f'lora.{name}.A', wrapped.A), (f'lora.{name}.B', wrapped.B)]
W = torch.nn.Parameter(init['head.weight'].reshape(a.dim, a.classes).clone())
b = torch.nn.Parameter(init['head.bias'].clone())
named = dict(lora_params + [('head.weight', W), ('head.bias', b)])
opt = torch.optim.AdamW([{'params': [p_ for _, p_ in lora_params], 'lr': a.lr}, {'params': [W, b], 'lr': a.head_lr}], weight_decay=a.weight_decay)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 * (1 + math.cos(math.pi * min(1.0, t / max(1, a.steps)))))
model.eval()  # no dropout anywhere (LoRA dropout 0 on both sides)
losses, norms = [], []
for step in range(a.steps):
    opt.zero_grad()
    logits = model(pixels)[:, 0] @ W + b
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    norms.append(float(torch.nn.utils.clip_grad_norm_(list(named.values()), a.clip)))
    opt.step()
    sched.step()
    losses.append(float(loss))

print(f'torch {torch.__version__} · DINOv2-architecture ViT (dim {a.dim}, depth {a.depth}, heads {a.heads}, {a.size}px, patch {a.patch}) exported with torch.onnx opset {a.opset}')
print(f'LoRA r {a.rank}, alpha {a.alpha:g} on {len(ours["modules"])} qkv projections; batch {a.batch}; AdamW lr {a.lr:g} / head {a.head_lr:g}, wd {a.weight_decay:g}, clip {a.clip:g}, cosine over {a.steps} steps')
print(f'trainable / total parameters (medprobe): {ours["counts"]["trainable"]} / {ours["counts"]["total"]}')
print('step | loss medprobe | loss torch | rel diff | grad norm medprobe | grad norm torch')
worst_loss = 0.0
for s in range(a.steps):
    rel = abs(ours['losses'][s] - losses[s]) / abs(losses[s])
    worst_loss = max(worst_loss, rel)
    print(f'{s + 1} | {ours["losses"][s]:.7f} | {losses[s]:.7f} | {rel:.1e} | {ours["gradNorms"][s]:.6f} | {norms[s]:.6f}')
print('tensor | max abs(medprobe - torch) | max abs(torch update) | ratio')
worst = 0.0
for name, p_ in named.items():
    mine = torch.tensor(ours['final'][name]).reshape(p_.shape)
    diff = float((mine - p_.detach()).abs().max())
    upd = float((p_.detach() - init[name].reshape(p_.shape)).abs().max())
    ratio = diff / upd if upd > 0 else float('inf') if diff > 0 else 0.0
    worst = max(worst, ratio)
    print(f'{name} | {diff:.2e} | {upd:.2e} | {ratio:.1e}')
print(json.dumps({'opset': a.opset, 'steps': a.steps, 'worstLossRelDiff': worst_loss, 'worstParamDiffOverUpdate': worst}))
