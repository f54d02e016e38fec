import { promises as fs } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { editedModelPath, modelFingerprint, writeEditedModel } from '../../models/onnx/external-data.js';
import { MedprobeError } from '../../util/errors.js';
import { hashBytes } from '../../util/hash.js';

const { onnx } = onnxProto;

/**
 * Copies an ONNX model with extra graph outputs for intermediate tensors (e.g. a CNN's
 * stride-4/8/16 stage outputs for U-Net skips), so one forward pass returns them alongside
 * the final feature map. The edited file is cached under `cacheDir` by source hash + names.
 */
export async function exposeGraphOutputs(modelPath: string, tensors: readonly string[], cacheDir: string): Promise<string> {
  const sha = await modelFingerprint(modelPath);
  const key = hashBytes(`${sha}:${tensors.join('|')}`).slice(0, 16);
  const model = onnx.ModelProto.decode(await fs.readFile(modelPath));
  const target = editedModelPath(path.join(cacheDir, 'models', 'taps'), `${path.basename(modelPath, '.onnx')}-${key}`, model);
  try {
    await fs.access(target);
    return target;
  } catch {
    // not cached yet
  }
  const graph = model.graph!;
  const produced = new Set(graph.node!.flatMap((n) => n.output ?? []));
  const existing = new Set(graph.output!.map((o) => o.name));
  for (const t of tensors) {
    if (existing.has(t)) continue;
    if (!produced.has(t)) {
      throw new MedprobeError(`${modelPath} has no tensor named '${t}'`, {
        file: modelPath,
        hint: 'name a node output of the graph (inspect it with netron, e.g. /graph/block_6_expand_relu/Clip_output_0)',
      });
    }
    graph.output!.push(onnx.ValueInfoProto.create({ name: t, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }));
  }
  await writeEditedModel(modelPath, model, target);
  return target;
}
