/**
 * An error the user can act on: printed as one clear message, without a stack trace.
 * Anything else that escapes a command is a bug and is printed with its stack.
 */
export class KubelabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubelabError';
  }
}
