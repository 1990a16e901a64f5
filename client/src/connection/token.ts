import { ConcordError, toError } from '@concord/shared';

/** Where bearer tokens come from: a fixed string, or an async function called before every (re)connect. */
export type TokenSource = string | (() => Promise<string>);

/**
 * Resolves a token source to a usable token, or throws ERR_UNAUTHENTICATED (with what the source threw as its
 * `cause` and message): without a token there is no session.
 */
export async function fetchToken(source: TokenSource): Promise<string> {
  let token: unknown;
  try {
    token = typeof source === 'string' ? source : await source();
  } catch (err) {
    const cause = toError(err);
    throw Object.assign(new ConcordError('ERR_UNAUTHENTICATED', cause.message), { cause });
  }
  if (typeof token !== 'string' || token.length === 0) throw new ConcordError('ERR_UNAUTHENTICATED', 'the token source gave no token');
  return token;
}
