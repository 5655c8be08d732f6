/**
 * An error caused by the user's input (a file, a config key, a flag), not by a bug.
 * Front ends print `message` (and `hint`) without a stack trace.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    /** What to do about it, in one sentence. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The text a user sees for any thrown value: the message of a UserError, or a short description of a bug. */
export function describeError(err: unknown): string {
  if (err instanceof UserError) return err.hint ? `${err.message}\n${err.hint}` : err.message;
  if (err instanceof Error) return `internal error: ${err.message}`;
  return `internal error: ${String(err)}`;
}

/** One readable line per problem zod found, each naming where it is (`file: key.sub: what`). */
export function validationError(source: string, issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, hint?: string): UserError {
  const lines = issues.map((i) => `${source}: ${i.path.length ? i.path.map(String).join('.') + ': ' : ''}${i.message}`);
  return new UserError(lines.join('\n'), hint);
}
