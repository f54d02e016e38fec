import type { ModelCard } from '../card.js';
import { optimumExport } from './export-recipes.js';
import type { CatalogCard } from './schema.js';

/**
 * Export recipes for the study's large models whose stock exports give no usable features
 * (issue 13): MAE without its random patch shuffle, CLIP and OpenCLIP with token outputs, SAM's
 * image encoder at 1024 px, and DINOv2 (ViT-g in external data) with its last 4 blocks. Each is a
 * complete script plus the medprobe model card for the file it writes, so
 * `medprobe models recipe <id> --out <dir>` gives a user both.
 *
 * None of these scripts was run against the real weights where they were written (no PyPI, no
 * Hugging Face hub there); `checked` on each says what was verified instead.
 */

type Recipe = CatalogCard['onnx'];
type Preprocessing = Exclude<CatalogCard['preprocessing'], { unknown: string }>;

const NOT_RUN = 'Not run against the real weights: it was written without PyPI or Hugging Face hub access.';
const TORCH_CHECKED =
  `${NOT_RUN} Checked instead: the script parses as Python 3, and medprobe opens this card over a generated ONNX model with the same input, ` +
  'output names, shapes and token layout and reads every feature the card promises (test/models/export-recipes.test.ts). ' +
  'When run, the script asserts its own assumptions about the library and compares ONNX Runtime with PyTorch if onnxruntime is installed.';

/** The model card's `input` from the catalog card's sourced preprocessing. */
function cardInput(pre: Preprocessing): ModelCard['input'] {
  return {
    name: 'pixel_values',
    layout: 'NCHW',
    size: pre.size,
    channels: 3,
    rescale: pre.rescale,
    mean: pre.mean,
    std: pre.std,
    resample: pre.resample,
    ...(pre.resizeShortestEdge !== undefined ? { resizeShortestEdge: pre.resizeShortestEdge, cropSize: pre.size } : {}),
  };
}

/** A ViT card: `pooled` (or the raw token output) plus the token layout medprobe derives cls / mean-patch / last4 views from. */
function vitCard(o: { name: string; file: string; pre: Preprocessing; patchSize: number; pooled?: string; defaultFeature: string; description: string }): ModelCard {
  return {
    name: o.name,
    file: o.file,
    format: 'onnx',
    input: cardInput(o.pre),
    outputs: o.pooled ? { pooled: o.pooled } : { tokens: 'last_hidden_state' },
    defaultFeature: o.defaultFeature,
    vit: { patchSize: o.patchSize, numRegisterTokens: 0, hasClsToken: true, tokensOutput: 'last_hidden_state' },
    description: o.description,
  };
}

/**
 * Python shared by the torch scripts: the TorchScript exporter (torch ≥ 2.9 defaults to the dynamo
 * one, whose graphs the block matcher was not written against), one external data file for
 * models over 2 GB, and an ONNX-vs-PyTorch check at another batch size than the export's.
 */
const PY_HELPERS = `import inspect
import os
import tempfile

import torch


def export_onnx(model, x, path, outputs, dynamic_axes):
    kwargs = dict(input_names=['pixel_values'], output_names=outputs, dynamic_axes=dynamic_axes, opset_version=17)
    if 'dynamo' in inspect.signature(torch.onnx.export).parameters:
        kwargs['dynamo'] = False
    torch.onnx.export(model, (x,), path, **kwargs)


def export_onnx_external(model, x, path, outputs, dynamic_axes):
    """Over 2 GB torch writes one file per weight; rewrite them as one data file beside the model."""
    import onnx
    data = os.path.basename(path) + '.data'
    with tempfile.TemporaryDirectory(dir='.') as tmp:
        export_onnx(model, x, os.path.join(tmp, 'model.onnx'), outputs, dynamic_axes)
        graph = onnx.load(os.path.join(tmp, 'model.onnx'))
    if os.path.exists(data):
        os.remove(data)  # onnx appends to an existing data file
    onnx.save_model(graph, path, save_as_external_data=True, all_tensors_to_one_file=True, location=data, size_threshold=1024)


def compare_with_onnxruntime(path, model, n, size, outputs):
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError:
        print('onnxruntime is not installed: skipped the ONNX-vs-PyTorch comparison')
        return
    x = torch.randn(n, 3, size, size)
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    got = session.run(outputs, {'pixel_values': x.numpy()})
    with torch.no_grad():
        want = model(x)
    want = want if isinstance(want, tuple) else (want,)
    for name, g, w in zip(outputs, got, want):
        print(f'{name}: {list(g.shape)}, max |onnx - torch| = {float(np.abs(g - w.numpy()).max()):.2e}')
`;

function pyScript(title: string, requirements: string, body: string): string {
  return [
    `# medprobe export recipe: ${title}`,
    `# Needs: pip install ${requirements}  (onnxruntime too, for the check at the end)`,
    '# Run it in the folder that holds the medprobe card for it (medprobe models recipe <id> --out <dir>).',
    '# Not run against the real weights by medprobe (written without hub access); it checks its own assumptions.',
    PY_HELPERS,
    '',
    body.trim(),
    '',
  ].join('\n');
}

/** MAE ViT-L/16: every patch kept, in row-major order; fixed at 224 px (MAE's sin-cos table is not interpolated). */
export function maeRecipe(pre: Preprocessing): Recipe {
  const file = 'mae-vit-l16.onnx';
  const body = `
from transformers import ViTMAEModel

SIZE, PATCH = 224, 16
PATCHES = (SIZE // PATCH) ** 2
FILE = '${file}'


def identity_noise(pixel_values):
    # random_masking keeps argsort(noise)[:len_keep]; argsort of 0..L-1 is the identity.
    noise = torch.arange(PATCHES, dtype=pixel_values.dtype, device=pixel_values.device)
    return noise.unsqueeze(0).expand(pixel_values.shape[0], -1)


class MaeEncoder(torch.nn.Module):
    """The MAE encoder without masking: [CLS] + 196 patch tokens in row-major order, after the final LayerNorm."""

    def __init__(self, mae):
        super().__init__()
        self.mae = mae

    def forward(self, pixel_values):
        return self.mae(pixel_values, noise=identity_noise(pixel_values)).last_hidden_state


mae = ViTMAEModel.from_pretrained('facebook/vit-mae-large', mask_ratio=0.0).eval()
model = MaeEncoder(mae).eval()
x = torch.randn(2, 3, SIZE, SIZE)
with torch.no_grad():
    out = mae(x, noise=identity_noise(x))
    emb = mae.embeddings
    patches = emb.patch_embeddings(x) + emb.position_embeddings[:, 1:]
    cls = (emb.cls_token + emb.position_embeddings[:, :1]).expand(x.shape[0], -1, -1)
    unshuffled = mae.layernorm(mae.encoder(torch.cat([cls, patches], dim=1))[0])
assert out.last_hidden_state.shape == (2, 1 + PATCHES, mae.config.hidden_size), out.last_hidden_state.shape
assert bool((out.mask == 0).all()), 'mask_ratio 0 must keep every patch'
assert bool((out.ids_restore == torch.arange(PATCHES)).all()), 'patches must stay in row-major order'
assert torch.allclose(out.last_hidden_state, unshuffled, atol=1e-4), 'tokens differ from the unshuffled encoder pass'

export_onnx(model, x, FILE, ['last_hidden_state'], {'pixel_values': {0: 'batch'}, 'last_hidden_state': {0: 'batch'}})
compare_with_onnxruntime(FILE, model, 3, SIZE, ['last_hidden_state'])
print(f'wrote {FILE}: last_hidden_state [N, 197, 1024] at {SIZE} px (fixed)')
`;
  return {
    tool: 'torch.onnx.export',
    command: pyScript('MAE ViT-L/16 encoder, no masking, patch grid kept', 'torch transformers', body),
    notes:
      "HF ViTMAEModel shuffles patches by random noise even at mask_ratio 0; passing noise = arange(196) keeps them in row-major order (argsort of arange is the identity), so the patch grid and last-4 blocks are usable. H/W are fixed at 224: the export does not interpolate MAE's position table (run at input.size only).",
    card: vitCard({
      name: 'mae-vit-l16',
      file,
      pre,
      patchSize: 16,
      defaultFeature: 'cls',
      description: 'MAE ViT-L/16 encoder (facebook/vit-mae-large) without masking: last_hidden_state [N, 1+196, 1024] after the final LayerNorm, patches row-major; fixed 224 px',
    }),
    checked: TORCH_CHECKED,
  };
}

/** OpenAI CLIP ViT-L/14 image tower (transformers): tokens and the pooled CLS. */
export function clipRecipe(pre: Preprocessing): Recipe {
  const file = 'clip-vit-l14-vision.onnx';
  const body = `
from transformers import CLIPVisionModel

SIZE = 224
FILE = '${file}'


class ClipVision(torch.nn.Module):
    """(last_hidden_state [N, 257, 1024]: CLS + patch tokens of the last block, before post_layernorm;
    pooler_output [N, 1024]: post_layernorm(CLS))."""

    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, pixel_values):
        out = self.clip(pixel_values)
        return out.last_hidden_state, out.pooler_output


clip = CLIPVisionModel.from_pretrained('openai/clip-vit-large-patch14').eval()
model = ClipVision(clip).eval()
x = torch.randn(2, 3, SIZE, SIZE)
with torch.no_grad():
    tokens, pooled = model(x)
    normed_cls = clip.vision_model.post_layernorm(tokens[:, 0])
assert tokens.shape == (2, 1 + (SIZE // 14) ** 2, 1024), tokens.shape
assert torch.allclose(pooled, normed_cls, atol=1e-5), 'pooler_output should be post_layernorm(CLS)'

outputs = ['last_hidden_state', 'pooler_output']
export_onnx(model, x, FILE, outputs, {'pixel_values': {0: 'batch'}, 'last_hidden_state': {0: 'batch'}, 'pooler_output': {0: 'batch'}})
compare_with_onnxruntime(FILE, model, 3, SIZE, outputs)
print(f'wrote {FILE}: last_hidden_state [N, 257, 1024], pooler_output [N, 1024] at {SIZE} px (fixed)')
`;
  return {
    tool: 'torch.onnx.export',
    command: pyScript('CLIP ViT-L/14 image tower with token outputs', 'torch transformers', body),
    notes:
      'Exports the image tower only, with both outputs: last_hidden_state (HF convention: the last block, before post_layernorm — so cls, mean-patch and last-4 views read un-normed tokens, consistently) and pooler_output = post_layernorm(CLS), the default feature. H/W are fixed at 224.',
    card: vitCard({
      name: 'clip-vit-l14-openai',
      file,
      pre,
      patchSize: 14,
      pooled: 'pooler_output',
      defaultFeature: 'pooled',
      description: 'CLIP ViT-L/14 image tower (openai/clip-vit-large-patch14): pooled = post_layernorm(CLS) [N,1024]; last_hidden_state [N,257,1024] before post_layernorm; fixed 224 px',
    }),
    checked: TORCH_CHECKED,
  };
}

/** OpenCLIP ViT-H/14 visual tower: CLS + patch tokens after ln_post, and the projected embedding; external data (≈ 2.5 GB). */
export function openclipRecipe(pre: Preprocessing): Recipe {
  const file = 'openclip-vit-h14-visual.onnx';
  const body = `
import open_clip

SIZE = 224
FILE = '${file}'

if hasattr(torch.backends, 'mha'):
    torch.backends.mha.set_fastpath_enabled(False)  # the fused MHA kernel has no ONNX export


class OpenClipTokens(torch.nn.Module):
    """(last_hidden_state [N, 257, 1280]: CLS + patch tokens after ln_post; pooled [N, 1024]: the image embedding)."""

    def __init__(self, visual):
        super().__init__()
        self.visual = visual
        visual.output_tokens = True
        self.normed = []
        visual.ln_post.register_forward_hook(lambda module, inputs, output: self.normed.append(output))

    def forward(self, pixel_values):
        self.normed.clear()
        pooled, patch_tokens = self.visual(pixel_values)
        return self.normed[0], pooled


clip, _, _ = open_clip.create_model_and_transforms('ViT-H-14', pretrained='laion2b_s32b_b79k')
visual = clip.visual.eval()
if not hasattr(visual, 'output_tokens'):
    raise SystemExit('this open_clip has no visual.output_tokens; upgrade open_clip_torch (pip install -U open_clip_torch)')
model = OpenClipTokens(visual).eval()
x = torch.randn(2, 3, SIZE, SIZE)
with torch.no_grad():
    tokens, pooled = model(x)
    _, patch_tokens = visual(x)
if tokens.dim() != 3:
    raise SystemExit('this open_clip applies ln_post to the pooled token only, so its patch tokens are not normalised; '
                     'upgrade open_clip_torch (pip install -U open_clip_torch)')
assert tokens.shape == (2, 1 + (SIZE // 14) ** 2, 1280), tokens.shape
assert torch.allclose(tokens[:, 1:], patch_tokens, atol=1e-5), 'output_tokens should be the patch tokens after ln_post'
assert torch.allclose(pooled, tokens[:, 0] @ visual.proj, atol=1e-4), 'pooled should be ln_post(CLS) @ proj'
if not getattr(visual.transformer, 'batch_first', False):
    print('warning: this open_clip runs its blocks sequence-first (transposes around them); medprobe cannot expose '
          'their outputs (last4 features fail), cls / mean-patch / pooled work. Upgrade open_clip_torch for last4.')

outputs = ['last_hidden_state', 'pooled']
export_onnx_external(model, x, FILE, outputs, {'pixel_values': {0: 'batch'}, 'last_hidden_state': {0: 'batch'}, 'pooled': {0: 'batch'}})
compare_with_onnxruntime(FILE, model, 3, SIZE, outputs)
print(f'wrote {FILE} + {FILE}.data: last_hidden_state [N, 257, 1280], pooled [N, 1024] at {SIZE} px (fixed)')
`;
  return {
    tool: 'torch.onnx.export',
    command: pyScript('OpenCLIP ViT-H/14 (LAION-2B) visual tower with token outputs', 'torch open_clip_torch onnx', body),
    notes:
      "open_clip's visual.output_tokens = True returns (pooled, patch tokens) without CLS; the script reads ln_post's output instead, so last_hidden_state is CLS + patch tokens after ln_post (medprobe's cls, mean-patch and last-4 views, blocks normed by ln_post), and pooled is the 1024-d image embedding (the default feature). About 2.5 GB: weights go to one external data file beside the .onnx. H/W are fixed at 224.",
    card: vitCard({
      name: 'openclip-vit-h14-laion2b',
      file,
      pre,
      patchSize: 14,
      pooled: 'pooled',
      defaultFeature: 'pooled',
      description: 'OpenCLIP ViT-H/14 visual tower (laion2b_s32b_b79k): pooled = image embedding [N,1024]; last_hidden_state = ln_post(CLS + patch tokens) [N,257,1280]; external data; fixed 224 px',
    }),
    checked: TORCH_CHECKED,
  };
}

/** SAM ViT-L image encoder at 1024 px: the 64×64 grid of 256-d neck outputs, no CLS token. */
export function samRecipe(pre: Preprocessing): Recipe {
  const file = 'sam-vit-l-encoder.onnx';
  const body = `
from transformers import SamModel

SIZE = 1024
FILE = '${file}'


class SamImageEncoder(torch.nn.Module):
    """image_embeddings [N, 256, 64, 64]: the neck output over the 64 x 64 patch grid (row-major, no CLS token)."""

    def __init__(self, sam):
        super().__init__()
        self.sam = sam

    def forward(self, pixel_values):
        return self.sam.get_image_embeddings(pixel_values)


sam = SamModel.from_pretrained('facebook/sam-vit-large').eval()
model = SamImageEncoder(sam).eval()
x = torch.randn(2, 3, SIZE, SIZE)
with torch.no_grad():
    embeddings = model(x)
assert embeddings.shape == (2, 256, SIZE // 16, SIZE // 16), embeddings.shape

export_onnx(model, x, FILE, ['image_embeddings'], {'pixel_values': {0: 'batch'}, 'image_embeddings': {0: 'batch'}})
compare_with_onnxruntime(FILE, model, 1, SIZE, ['image_embeddings'])
print(f'wrote {FILE}: image_embeddings [N, 256, 64, 64] at {SIZE} px (fixed)')
`;
  return {
    tool: 'torch.onnx.export',
    command: pyScript('SAM ViT-L image encoder at 1024 px', 'torch transformers', body),
    notes:
      "No CLS token: the global feature (pooled) is the mean of image_embeddings over its 64x64 grid, which medprobe computes from the 4-D output; segmentation reads the grid itself (the card's segmentationMaps). H/W are fixed at 1024 (SAM's position embeddings are 64x64). SAM's processor resizes the longest side to 1024 and zero-pads; medprobe resizes the image to 1024x1024, the same for square images.",
    card: {
      name: 'sam-vit-l',
      file,
      format: 'onnx',
      input: cardInput(pre),
      outputs: { pooled: 'image_embeddings' },
      segmentationMaps: ['image_embeddings'],
      description: 'SAM ViT-L image encoder (facebook/sam-vit-large) at 1024 px: image_embeddings [N,256,64,64], no CLS; pooled = mean over the 64x64 grid; segmentation reads the grid',
    },
    checked: TORCH_CHECKED,
  };
}

/** DINOv2 via optimum-cli: a folder with a root-level model.onnx (+ model.onnx_data for ViT-g's 4.4 GB). */
export function dinov2Recipe(hub: string, id: string, pre: Preprocessing): Recipe {
  const dir = `dinov2-${hub}-onnx`;
  const large = hub === 'giant';
  return {
    tool: 'optimum-cli',
    command: optimumExport(`facebook/dinov2-${hub}`),
    notes: `Writes ${dir}/ with model.onnx at its root${large ? ' and the weights in model.onnx_data (external data, over 2 GB)' : ''}, config.json and preprocessor_config.json: pass the folder or this card. Do not add --optimize (fused ops hide the blocks from medprobe's last-4 edit).`,
    card: vitCard({
      name: id,
      file: `${dir}/model.onnx`,
      pre,
      patchSize: 14,
      pooled: 'pooler_output',
      defaultFeature: 'cls',
      description: `DINOv2 (facebook/dinov2-${hub}) exported by optimum-cli: last_hidden_state [N,1+(S/14)^2,D] after the final LayerNorm, pooler_output = its CLS; last4/* views expose the last 4 blocks${large ? '; weights in external data' : ''}`,
    }),
    checked: `${NOT_RUN} Checked instead: this card opens a generated optimum-style folder (root model.onnx, weights in model.onnx_data) and medprobe reads cls, mean-patch and last-4-block features from it (test/models/export-recipes.test.ts).`,
  };
}
