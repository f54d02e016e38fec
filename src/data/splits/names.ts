import type { SplitName } from '../types.js';

const ALIASES: Record<string, SplitName> = {
  train: 'train',
  training: 'train',
  tr: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  dev: 'val',
  tune: 'val',
  test: 'test',
  testing: 'test',
  ts: 'test',
};

/** Official split names as datasets spell them ("Training", "valid", …); null when unrecognised. */
export function parseSplitName(value: string): SplitName | null {
  return ALIASES[value.trim().toLowerCase()] ?? null;
}
