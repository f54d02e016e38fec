import { RE2JS } from 're2js';
import { MedprobeError } from './errors.js';

/**
 * A regular expression the user wrote (a suite's `patientPattern`), compiled with RE2JS: matching
 * is linear in the text, so a pattern such as `(a+)+$` cannot hang a run on a long file name the
 * way a backtracking engine (JS RegExp) would. RE2 has no look-around or back-references; a
 * pattern that needs them is refused with one line.
 */
export interface UserPattern {
  source: string;
  /** The first capture group of the first match in `text`, or undefined when it does not match. */
  firstGroup(text: string): string | undefined;
}

export function compileUserPattern(source: string, where: { field: string; file?: string }): UserPattern {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (e) {
    throw new MedprobeError(`${where.field} '${source}' is not a usable regular expression: ${(e as Error).message}`, {
      file: where.file,
      hint: 'use RE2 syntax (no look-around or back-references), e.g. "(P\\d+)_" to capture the patient id',
    });
  }
  if (re.groupCount() < 1) {
    throw new MedprobeError(`${where.field} '${source}' has no capture group`, { file: where.file, hint: 'put the part that is the patient id in parentheses, e.g. "(P\\d+)_"' });
  }
  return {
    source,
    firstGroup(text) {
      const m = re.matcher(text);
      return m.find() ? (m.group(1) ?? undefined) : undefined;
    },
  };
}
