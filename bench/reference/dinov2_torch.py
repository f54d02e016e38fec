"""A DINOv2-architecture ViT in PyTorch, laid out like facebookresearch/dinov2's vision_transformer.py
(patch_embed.proj Conv, cls_token, pos_embed, blocks.i.{norm1, attn.qkv, attn.proj, ls1.gamma, norm2,
mlp.fc1, mlp.fc2, ls2.gamma}, norm), so a torch.onnx export has the same node paths
(/blocks.0/attn/qkv/MatMul) a real DINOv2 export has. Fixed resolution: DINOv2 skips its
position-embedding interpolation when the input is the native size, so the trace has none either.

Used by medprobe's cross-checks and benches only (medprobe never runs Python).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerScale(nn.Module):
    def __init__(self, d, init=1e-5):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((d,), init))

    def forward(self, x):
        return x * self.gamma


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.scale = (d // heads) ** -0.5
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        att = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(B, N, C))


class Mlp(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, d, heads, ls_init):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-6)
        self.attn = Attention(d, heads)
        self.ls1 = LayerScale(d, ls_init)
        self.norm2 = nn.LayerNorm(d, eps=1e-6)
        self.mlp = Mlp(d, 4 * d)
        self.ls2 = LayerScale(d, ls_init)

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    def __init__(self, patch, d):
        super().__init__()
        self.proj = nn.Conv2d(3, d, patch, patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class DinoVisionTransformer(nn.Module):
    """Returns last_hidden_state [B, 1 + patches, D] (CLS first), as HF's Dinov2Model does."""

    def __init__(self, size=224, patch=14, dim=384, depth=12, heads=6, ls_init=1e-5):
        super().__init__()
        self.patch_embed = PatchEmbed(patch, dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + (size // patch) ** 2, dim) * 0.02)
        self.blocks = nn.ModuleList(Block(dim, heads, ls_init) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for b in self.blocks:
            x = b(x)
        return self.norm(x)


class LoRALinear(nn.Module):
    """PEFT's LoRA on a Linear: base(x) + (alpha / r) * dropout(x) @ A @ B, A [in, r], B [r, out]
    (medprobe's layout; PEFT stores the transposes lora_A.weight = A^T, lora_B.weight = B^T)."""

    def __init__(self, base, A, B, scale, dropout=0.0):
        super().__init__()
        self.base = base
        self.A = nn.Parameter(A)
        self.B = nn.Parameter(B)
        self.scale = scale
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.base(x) + (self.drop(x) @ self.A @ self.B) * self.scale


def export_onnx(model, file, size, opset=17):
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 3, size, size), file, input_names=['pixel_values'], output_names=['last_hidden_state'],
                      dynamic_axes={'pixel_values': {0: 'batch'}, 'last_hidden_state': {0: 'batch'}}, opset_version=opset, do_constant_folding=True)
