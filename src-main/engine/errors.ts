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
  const fsError = fileSystemError(err);
  if (fsError) return describeError(fsError);
  if (err instanceof Error) return `internal error: ${err.message}`;
  return `internal error: ${String(err)}`;
}

/** One readable line per problem zod found, each naming where it is (`file: key.sub: what`). */
export function validationError(source: string, issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, hint?: string): UserError {
  const lines = issues.map((i) => `${source}: ${i.path.length ? i.path.map(String).join('.') + ': ' : ''}${i.message}`);
  return new UserError(lines.join('\n'), hint);
}

/** What each filesystem error means for the user, and what to do. */
const FS_ERRORS: Record<string, { reason: string; hint: string }> = {
  ENOENT: { reason: 'it does not exist', hint: 'Check the path, or create the folder first.' },
  ENOTDIR: { reason: 'a part of the path is a file, not a folder', hint: 'Choose a path whose folders are folders.' },
  EISDIR: { reason: 'it is a folder, where a file was expected', hint: 'Choose a file, not a folder.' },
  EACCES: { reason: 'permission denied', hint: 'Choose a folder you can write to (for example one in your home folder), or fix its permissions.' },
  EPERM: { reason: 'the operation is not permitted', hint: 'Choose a folder you own and can write to.' },
  EROFS: { reason: 'the filesystem is read-only', hint: 'Choose a folder on a writable disk.' },
  ENOSPC: { reason: 'the disk is full', hint: 'Free some space on that disk, or choose a folder on another disk.' },
  EDQUOT: { reason: 'your disk quota is used up', hint: 'Free some space, or choose a folder on another disk.' },
  EMFILE: { reason: 'too many files are open', hint: 'Close other programs, or raise the open-file limit (ulimit -n).' },
  ENAMETOOLONG: { reason: 'the path is too long', hint: 'Choose a shorter path.' },
  EEXIST: { reason: 'it already exists', hint: 'Choose another name, or remove it first.' },
  ENOTEMPTY: { reason: 'the folder is not empty', hint: 'Choose an empty folder.' },
  EBUSY: { reason: 'it is in use by another program', hint: 'Close the program using it and try again.' },
};

const FS_ACTIONS: Record<string, string> = { open: 'cannot open', read: 'cannot read', write: 'cannot write', mkdir: 'cannot create the folder', rename: 'cannot rename', rmdir: 'cannot remove', unlink: 'cannot remove', scandir: 'cannot list the folder', stat: 'cannot read', copyfile: 'cannot copy', access: 'cannot use', chmod: 'cannot change permissions of' };

/**
 * A Node filesystem error (ENOSPC, EROFS, ...) as a UserError naming the path, the reason in words and what to do;
 * null for anything else. `key` names the config key or flag the path came from; `path` stands in where Node's
 * error has none (reading a folder as a file).
 */
export function fileSystemError(err: unknown, key?: string, path?: string): UserError | null {
  const e = err as NodeJS.ErrnoException | null;
  if (!(e instanceof Error) || typeof e.code !== 'string' || !(e.code in FS_ERRORS)) return null;
  const { reason, hint } = FS_ERRORS[e.code]!;
  const action = FS_ACTIONS[e.syscall ?? ''] ?? 'cannot use';
  const where = e.path ?? path;
  return new UserError(`${key ? `${key}: ` : ''}${action}${where ? ` ${where}` : ''}: ${reason}`, hint);
}
