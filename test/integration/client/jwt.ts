/** HS256 JSON Web Tokens for tests, signed with node:crypto. */
import { createHmac } from 'node:crypto';

export const TEST_SECRET = 'concord-client-tests-secret-of-at-least-32-bytes';

export interface TestClaims {
  sub: string;
  name?: string;
  roles?: string[];
  /** Seconds from now until expiry; negative gives an expired token. Default 3600. */
  ttlSec?: number;
}

export function signTestToken(claims: TestClaims, secret: string = TEST_SECRET): string {
  const { ttlSec = 3600, ...rest } = claims;
  const payload = { roles: [], ...rest, exp: Math.floor(Date.now() / 1000) + ttlSec };
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
