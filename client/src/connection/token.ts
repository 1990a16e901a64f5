/** Where bearer tokens come from: a fixed string, or an async function called before every (re)connect. */
export type TokenSource = string | (() => Promise<string>);

/** Resolves a token source to a usable token, or throws. */
export async function fetchToken(source: TokenSource): Promise<string> {
  const token = typeof source === 'string' ? source : await source();
  if (typeof token !== 'string' || token.length === 0) throw new TypeError('the token source gave no token');
  return token;
}
