/** ShareDB reports errors as `{code, message}` objects that are not always Error instances. */
export function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string') {
    const { message, code } = value as { message: string; code?: unknown };
    return Object.assign(new Error(message), typeof code === 'string' ? { code } : {});
  }
  return new Error(String(value));
}

/** The `code` of an error-like value, if it has one. */
export function errorCode(value: unknown): string | undefined {
  const code = typeof value === 'object' && value !== null ? (value as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
