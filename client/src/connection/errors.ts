import { toError } from '@concord/shared';

/** ShareDB reports errors as `{code, message}` objects that are not always Error instances: as an Error. */
export const asError: (value: unknown) => Error = toError;

/** The `code` of an error-like value, if it has one. */
export function errorCode(value: unknown): string | undefined {
  const code = typeof value === 'object' && value !== null ? (value as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
