import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MedprobeError } from '../util/errors.js';
import type { BackboneRef } from './open.js';

/**
 * What a user typed on the command line → a backbone reference: a card (.yaml/.yml/.json),
 * a bare .onnx graph, or a hub-layout folder. A TF.js folder has no preprocessing of its own,
 * so it needs a card.
 */
export async function backboneRefFromPath(target: string): Promise<BackboneRef> {
  let st;
  try {
    st = await fs.stat(target);
  } catch {
    throw new MedprobeError(`model not found: ${target}`, { file: target, hint: 'give a model card (.yaml/.json), an .onnx file or a hub-layout model folder' });
  }
  if (st.isDirectory()) {
    const hasModelJson = await fs.access(path.join(target, 'model.json')).then(() => true, () => false);
    const hasConfig = await fs.access(path.join(target, 'config.json')).then(() => true, () => false);
    if (hasModelJson && !hasConfig) {
      throw new MedprobeError(`${target} is a TF.js model folder, which carries no preprocessing`, {
        file: target,
        hint: 'write a card with format: tfjs-layers (see examples/models/mobilenetv2-035-imagenet-tfjs.yaml) and pass the card',
      });
    }
    return { folder: target };
  }
  if (target.endsWith('.onnx')) return { onnx: target };
  return { card: target };
}
