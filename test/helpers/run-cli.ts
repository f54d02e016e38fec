import { runCli } from '../../src/cli/program.js';

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The CLI in this process, with its stdout and stderr captured: no child start-up (seconds on a
 * busy box), so a test asserts what the command does, not how fast the machine is. Calls must
 * not overlap (the streams are shared); `cwd` is entered for the call and left after.
 */
export async function runCliCaptured(argv: readonly string[], opts: { cwd?: string } = {}): Promise<CliOutcome> {
  const out = { stdout: '', stderr: '' };
  const write = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (k: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      out[k] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  const cwd = process.cwd();
  const exitCode = process.exitCode;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  if (opts.cwd) process.chdir(opts.cwd);
  try {
    process.exitCode = undefined;
    const code = await runCli(argv);
    return { code, ...out };
  } finally {
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
    process.chdir(cwd);
    process.exitCode = exitCode;
  }
}
