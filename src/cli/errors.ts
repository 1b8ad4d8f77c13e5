/**
 * An error caused by what the user typed or supplied (bad flag, unreadable file, malformed input).
 * The CLI prints its message on one line and exits non-zero, without a stack trace.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
