/**
 * What the user sees when a command fails: one line saying what is wrong and what to do, and an exit
 * code. A `CliError` carries that line; anything else is unexpected and says so (the stack only with
 * --verbose).
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  /** 1: the work failed; 2: the command line was wrong. */
  readonly exitCode: number;
  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A wrong command line: exit code 2. */
export const usageError = (message: string) => new CliError(message, { exitCode: 2 });

/** The network error code under a failed fetch or SDK call (ECONNREFUSED, ENOTFOUND...), if any. */
export function networkErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    if (e instanceof Error && e.name === 'TimeoutError') return 'ETIMEDOUT';
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Prints the error as one line (plus the stack with --verbose) and returns the exit code. */
export function report(error: unknown, command: string, verbose: boolean): number {
  const prefix = command ? `samskapa ${command}` : 'samskapa';
  if (error instanceof CliError) {
    process.stderr.write(`${prefix}: ${error.message}\n`);
    if (verbose && error.cause) process.stderr.write(`${describeCause(error.cause)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `${prefix}: unexpected error: ${message.split('\n')[0]}${verbose ? '' : ' (run again with --verbose for details)'}\n`,
  );
  if (verbose) process.stderr.write(`${describeCause(error)}\n`);
  return 1;
}

function describeCause(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause ? `\ncaused by: ${describeCause(error.cause)}` : '';
    return `${error.stack ?? error.message}${cause}`;
  }
  return String(error);
}
