/**
 * How the validator refuses: every rejection is a ConcordError `ERR_OP_INVALID` with a short reason naming the rule
 * and the place (a JSON-pointer-like path, a component index). Reasons echo at most a few characters of user data.
 */
import { ConcordError, errorMessage } from '@concord/shared';

/** A step in a JSON path: an object key or a list index. */
export type PathKey = string | number;

/** Throws the validator's one error. */
export function invalid(reason: string): never {
  throw new ConcordError('ERR_OP_INVALID', reason);
}

const MAX_SHOWN = 40;

/** A user string as it appears in a reason: quoted, truncated. */
export function shown(value: string): string {
  return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
}

/** `/a/0/b` for a path, `/` for the root; keys are truncated, `~` and `/` escaped as in JSON pointers. */
export function formatPath(path: readonly unknown[]): string {
  if (path.length === 0) return '/';
  return path
    .map((key) => {
      const text = typeof key === 'string' ? key : String(key);
      const cut = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
      return `/${cut.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    })
    .join('');
}

/** `typeof`, but telling null, lists and objects apart, for reasons such as "na on a string". */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  return typeof value;
}

/** The message of something a type library threw, for a reason. */
export function messageOf(err: unknown): string {
  const message = errorMessage(err);
  return message.length > 0 ? message : 'rejected by the type';
}
