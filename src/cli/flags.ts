/**
 * The CLI's one flag vocabulary. Every command that writes output takes `--out`, every command
 * that caches takes `--cache-dir`, every batched one `--batch-size`, and so on: the flag, its
 * parser and its help text are defined here once. Spellings of earlier releases (`--results`,
 * `--results-dir`, `--batch`) still parse, hidden from help, and print one deprecation line.
 *
 * This module is loaded for `--help` and `--version`, so it imports nothing heavy.
 */
import { Option, type Command } from 'commander';
import { MedprobeError } from '../util/errors.js';
import { parseMetricName, type MetricName, type TaskKind } from '../metrics/names.js';

export function positiveInt(flag: string, example = 2048) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new MedprobeError(`${flag} ${v} is not a positive integer`, { hint: `e.g. ${flag} ${example}` });
    return n;
  };
}

export function nonNegativeInt(flag: string, example = 0) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new MedprobeError(`${flag} ${v} is not a non-negative integer`, { hint: `e.g. ${flag} ${example}` });
    return n;
  };
}

export function positiveNumber(flag: string, example = 0.001) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new MedprobeError(`${flag} ${v} is not a positive number`, { hint: `e.g. ${flag} ${example}` });
    return n;
  };
}

export function oneOf<T extends string>(flag: string, allowed: readonly T[]) {
  return (v: string): T => {
    if (!(allowed as readonly string[]).includes(v)) throw new MedprobeError(`${flag} must be ${allowed.join(' or ')}, got '${v}'`, { hint: `e.g. ${flag} ${allowed[0]} (values are case-sensitive)` });
    return v as T;
  };
}

export function commaList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

export function repeatable(v: string, acc: string[]): string[] {
  return [...acc, v];
}

export const MEDMNIST_SIZES = [28, 64, 128, 224] as const;
export type MedMNISTSizeFlag = (typeof MEDMNIST_SIZES)[number];
export function medmnistSize(v: string): MedMNISTSizeFlag {
  const n = Number(v);
  if (!(MEDMNIST_SIZES as readonly number[]).includes(n)) throw new MedprobeError(`--size must be 28, 64, 128 or 224, got '${v}'`, { hint: 'MedMNIST+ is released at those sizes only, e.g. --size 224' });
  return n as MedMNISTSizeFlag;
}

/**
 * An old spelling of a flag: parsed (hidden from help) and moved onto the current flag before
 * the action runs, with one line on stderr. Giving both is an error, not a silent pick.
 */
export function deprecatedAlias(cmd: Command, old: { flags: string; attr: string }, current: { flag: string; attr: string }, parse?: (v: string) => unknown): Command {
  const opt = new Option(old.flags).hideHelp();
  if (parse) opt.argParser(parse);
  cmd.addOption(opt);
  cmd.hook('preAction', (_self, action) => {
    if (action !== cmd) return;
    const v = cmd.getOptionValue(old.attr);
    if (v === undefined) return;
    const oldFlag = old.flags.split(/[ ,]/)[0];
    if (cmd.getOptionValueSource(current.attr) === 'cli') {
      throw new MedprobeError(`${oldFlag} and ${current.flag} both given`, { hint: `${oldFlag} is the old spelling of ${current.flag}: keep only ${current.flag}` });
    }
    process.stderr.write(`medprobe: ${oldFlag} is deprecated, use ${current.flag} (it still works for now)\n`);
    cmd.setOptionValueWithSource(current.attr, v, 'cli');
    cmd.setOptionValue(old.attr, undefined);
  });
  return cmd;
}

/** `--out <dir>`: where a command writes; `--results`/`--results-dir` are its old spellings. */
export function outOption(cmd: Command, description: string, defaultValue?: string): Command {
  cmd.option('--out <dir>', description, defaultValue);
  deprecatedAlias(cmd, { flags: '--results <dir>', attr: 'results' }, { flag: '--out', attr: 'out' });
  deprecatedAlias(cmd, { flags: '--results-dir <dir>', attr: 'resultsDir' }, { flag: '--out', attr: 'out' });
  return cmd;
}

export function cacheDirOption(cmd: Command, description = 'feature cache and downloads (default $MEDPROBE_CACHE or ~/.cache/medprobe)'): Command {
  return cmd.option('--cache-dir <dir>', description);
}

/** `--batch-size <n>`; `--batch` is its old spelling. */
export function batchSizeOption(cmd: Command, description: string, defaultValue?: number): Command {
  const parse = positiveInt('--batch-size', 32);
  if (defaultValue === undefined) cmd.option('--batch-size <n>', description, parse);
  else cmd.option('--batch-size <n>', description, parse, defaultValue);
  return deprecatedAlias(cmd, { flags: '--batch <n>', attr: 'batch' }, { flag: '--batch-size', attr: 'batchSize' }, parse);
}

export function limitOption(cmd: Command, description: string, defaultValue?: number): Command {
  const parse = positiveInt('--limit', 20);
  return defaultValue === undefined ? cmd.option('--limit <n>', description, parse) : cmd.option('--limit <n>', description, parse, defaultValue);
}

export function jsonOption(cmd: Command, description = 'print machine-readable JSON on stdout instead of text'): Command {
  return cmd.option('--json', description);
}

/** `--protocols knn,linear`: run (or show) only these protocols of a suite. */
export function protocolsOption(cmd: Command, description = 'only these protocols, comma-separated (e.g. knn,linear)'): Command {
  return cmd.option('--protocols <names>', description, commaList);
}

/**
 * `--metric <name>` (and `--segmentation-metric`): checked against the metric vocabulary when
 * parsed, so a typo fails in one line naming the valid metrics instead of ranking empty cells.
 */
export function metricOption(cmd: Command, kind: TaskKind, defaultValue?: MetricName): Command {
  const flag = kind === 'classification' ? '--metric <name>' : '--segmentation-metric <name>';
  const parse = (v: string) => parseMetricName(v, kind);
  // No default: each table is ranked by its protocol's main score from the protocol registry.
  if (defaultValue === undefined) return cmd.option(flag, `${kind} metric to rank by (default: each protocol's main score${kind === 'segmentation' ? ', diceJaccard' : ', auroc'})`, parse);
  return cmd.option(flag, `${kind} metric to rank by`, parse, defaultValue);
}

export function threadsOption(cmd: Command, description = 'compute threads (default: every core)'): Command {
  return cmd.option('--threads <n>', description, positiveInt('--threads', 4));
}
