import path from 'node:path';
import YAML from 'yaml';
import { writeFileAtomic } from '../../util/atomic.js';
import { MedprobeError } from '../../util/errors.js';
import type { CatalogCard } from './schema.js';

/**
 * A catalog card's export recipe as the files a user runs: the script (`export-<id>.py`, or
 * `.sh` for an optimum-cli command) and, where the catalog has one, the medprobe model card
 * (`<id>.yaml`) for the file the script writes. Both go in one folder: the script writes its
 * ONNX output into the folder it runs in, and the card names that file relative to itself.
 */
export interface RecipeFile {
  name: string;
  text: string;
}

export interface RecipeFiles {
  script: RecipeFile;
  /** Absent when the catalog ships no card for this export (write one: docs/models.md). */
  card?: RecipeFile;
  /** How to run the script, from the folder the files are in. */
  run: string;
}

export function recipeFiles(card: CatalogCard): RecipeFiles {
  const { onnx } = card;
  if (onnx.tool === 'provided') {
    throw new MedprobeError(`${card.id} needs no export: ${onnx.command}`, { hint: `medprobe models show ${card.id} says where its model card is` });
  }
  const python = onnx.tool === 'torch.onnx.export';
  const scriptName = `export-${card.id}.${python ? 'py' : 'sh'}`;
  const checked = onnx.checked ? [`# ${onnx.checked}`] : [];
  const script = python ? onnx.command : [`#!/bin/sh`, `# medprobe export recipe: ${card.name}`, ...checked, 'set -e', onnx.command].join('\n');
  const files: RecipeFiles = { script: { name: scriptName, text: script.endsWith('\n') ? script : script + '\n' }, run: python ? `python3 ${scriptName}` : `sh ${scriptName}` };
  if (onnx.card) {
    const comment = [`# medprobe model card for ${card.name} (medprobe models recipe ${card.id})`, ...checked];
    files.card = { name: `${card.id}.yaml`, text: comment.join('\n') + '\n' + YAML.stringify(onnx.card, { lineWidth: 0 }) };
  }
  return files;
}

/** Writes the recipe's files into `dir` (created if needed); returns their paths. */
export async function writeRecipeFiles(card: CatalogCard, dir: string): Promise<{ script: string; card?: string; run: string }> {
  const files = recipeFiles(card);
  const script = path.join(dir, files.script.name);
  await writeFileAtomic(script, files.script.text);
  let cardPath: string | undefined;
  if (files.card) {
    cardPath = path.join(dir, files.card.name);
    await writeFileAtomic(cardPath, files.card.text);
  }
  return { script, card: cardPath, run: files.run };
}
