/**
 * Errors a user can act on. `message` is one line: what went wrong and where;
 * `hint` says what to do. The CLI prints both on one line and exits non-zero.
 */
export class MedprobeError extends Error {
  readonly hint: string | undefined;
  readonly file: string | undefined;
  constructor(message: string, opts: { file?: string; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'MedprobeError';
    this.hint = opts.hint;
    this.file = opts.file;
  }

  /** The single line the CLI prints. */
  oneLine(): string {
    const where = this.file && !this.message.includes(this.file) ? ` (${this.file})` : '';
    return `${this.message}${where}${this.hint ? ` — ${this.hint}` : ''}`.replace(/\s*\n\s*/g, ' ');
  }
}

export function isMedprobeError(e: unknown): e is MedprobeError {
  return e instanceof MedprobeError;
}
