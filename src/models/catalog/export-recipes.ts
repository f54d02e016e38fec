/**
 * ONNX export snippets for catalog cards. Every export keeps batch, height and width dynamic so
 * one file serves any batch size and (for ViTs that interpolate position embeddings) other input
 * sizes; opset 17 runs on onnxruntime-node 1.30 without fallbacks for these graphs.
 */

/** `optimum-cli` for HF transformers vision backbones: it marks batch/height/width dynamic itself. */
export function optimumExport(hubId: string): string {
  const dir = `${hubId.split('/')[1]}-onnx`;
  return `optimum-cli export onnx --model ${hubId} --task feature-extraction --opset 17 ${dir}/`;
}

/** A `torch.onnx.export` script: `build` is Python lines that leave the backbone in `model`. */
export function torchExport(opts: { build: string[]; size: number; file: string; outputs: string[] }): string {
  const dyn = [`'pixel_values': {0: 'batch', 2: 'height', 3: 'width'}`, ...opts.outputs.map((o) => `'${o}': {0: 'batch'}`)].join(', ');
  return [
    'import torch',
    ...opts.build,
    'model.eval()',
    `x = torch.randn(1, 3, ${opts.size}, ${opts.size})`,
    `torch.onnx.export(model, (x,), '${opts.file}', input_names=['pixel_values'], output_names=[${opts.outputs.map((o) => `'${o}'`).join(', ')}],`,
    `                  dynamic_axes={${dyn}}, opset_version=17)`,
  ].join('\n');
}

/** A torchvision ImageNet classifier with its head replaced by Identity: the output is the pooled feature. */
export function torchvisionExport(ctor: string, weights: string, head: string, file: string): string {
  return torchExport({
    build: ['import torchvision', `model = torchvision.models.${ctor}(weights='${weights}')`, `model.${head} = torch.nn.Identity()`],
    size: 224,
    file,
    outputs: ['pooled'],
  });
}
