import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { SplitName } from '../types.js';
import { MedprobeError } from '../../util/errors.js';
import { hashObject } from '../../util/hash.js';
import { parseSplitName } from '../splits/names.js';
import type { ImageFolderConfig } from './config.js';
import { fromRecords, type ImageFolderSource } from './source.js';

/**
 * Folder-per-class datasets as they are often distributed (Kaggle-style):
 * `root/<class>/…/*.png` ('class') or `root/<split>/<class>/…/*.png` ('split/class', e.g.
 * Training/glioma/x.jpg). Opened through the same core as CSV manifests, so labels, error policy
 * and report behave the same.
 */
export const ClassFoldersConfigSchema = z
  .object({
    name: z.string().min(1).optional(),
    root: z.string().min(1),
    layout: z.enum(['class', 'split/class']).default('split/class'),
    /** Split → folder name for 'split/class'; default: subfolders whose names read as splits (Training, valid, test, …). */
    splitDirs: z.object({ train: z.string().optional(), val: z.string().optional(), test: z.string().optional() }).strict().optional(),
    /** Class order; default: the class folder names, sorted. */
    classes: z.array(z.string().min(1)).min(2).optional(),
    extensions: z.array(z.string().min(1)).default(['.png', '.jpg', '.jpeg']),
    patientPattern: z.string().min(1).optional(),
    onError: z.enum(['stop', 'skip']).default('stop'),
    verify: z.enum(['exists', 'decode']).default('exists'),
  })
  .strict();

export type ClassFoldersConfigInput = z.input<typeof ClassFoldersConfigSchema>;

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch {
    throw new MedprobeError(`folder not found: ${dir}`, { file: dir, hint: 'check root in the dataset config' });
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join((e as unknown as { parentPath?: string; path: string }).parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort();
}

export async function openClassFolders(input: ClassFoldersConfigInput): Promise<ImageFolderSource> {
  const parsed = ClassFoldersConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MedprobeError(`invalid class-folder config: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { hint: 'see docs/datasets.md#image-folders--csv' });
  }
  const cfg = parsed.data;
  const root = path.resolve(cfg.root);
  const top = await subdirs(root);
  const splitDirs: Array<[SplitName, string]> = [];
  if (cfg.layout === 'split/class') {
    if (cfg.splitDirs) {
      for (const [s, d] of Object.entries(cfg.splitDirs)) if (d) splitDirs.push([s as SplitName, d]);
    } else {
      for (const d of top) {
        const s = parseSplitName(d);
        if (s) splitDirs.push([s, d]);
      }
    }
    if (splitDirs.length === 0) {
      throw new MedprobeError(`no split folders under ${root} (found: ${top.join(', ') || 'none'})`, { file: root, hint: "name them train/val/test (or Training/Testing), give splitDirs, or use layout: 'class'" });
    }
  } else splitDirs.push(['train', '']);

  const exts = cfg.extensions.map((e) => e.toLowerCase());
  const records: Record<string, string>[] = [];
  const classNames = new Set<string>();
  let ignored = 0;
  for (const [split, sdir] of splitDirs) {
    const base = path.join(root, sdir);
    for (const cls of await subdirs(base)) {
      classNames.add(cls);
      for (const f of await filesUnder(path.join(base, cls))) {
        if (!exts.includes(path.extname(f).toLowerCase()) || path.basename(f).startsWith('.')) {
          ignored++;
          continue;
        }
        records.push({ image: path.relative(root, f).split(path.sep).join('/'), label: cls, split });
      }
    }
  }
  const classes = cfg.classes ?? [...classNames].sort();
  if (classes.length < 2) throw new MedprobeError(`${root} has ${classes.length} class folder(s); a classification set needs at least 2`, { file: root, hint: `expected ${cfg.layout === 'class' ? 'root/<class>/' : 'root/<split>/<class>/'} folders` });
  const config: ImageFolderConfig = {
    ...(cfg.name ? { name: cfg.name } : {}),
    root,
    csv: '(class folders)',
    delimiter: ',',
    imageColumn: 'image',
    ...(cfg.layout === 'split/class' ? { splitColumn: 'split' } : {}),
    ...(cfg.patientPattern ? { patientPattern: cfg.patientPattern } : {}),
    labels: { kind: 'single', column: 'label', classes },
    onError: cfg.onError,
    verify: cfg.verify,
  };
  const src = await fromRecords(records, ['image', 'label', 'split'], {
    config,
    root,
    manifest: `${root} (class folders)`,
    manifestHash: hashObject(records),
    describe: (line) => `class folders under ${root}, entry ${line - 1}`,
  });
  if (ignored > 0) src.report.notes.push(`${ignored} file(s) without an image extension (${exts.join(', ')}) ignored`);
  return src;
}
