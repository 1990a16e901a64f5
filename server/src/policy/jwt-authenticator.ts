/**
 * Bearer-token authentication with jose: HS256 with a shared secret, or RS256 / ES256 with a PEM public key.
 * `exp` and `sub` are required, `iss` / `aud` when configured, with a small clock skew allowed.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { jwtVerify, type JWTPayload } from 'jose';
import { ConcordError } from '@concord/shared';
import type { Authenticator, Credentials } from '../engine/policies.js';
import type { Principal } from '../engine/principal.js';

export interface JwtOptions {
  secret?: string;
  publicKey?: string;
  issuer?: string;
  audience?: string;
  /** Seconds of clock skew tolerated on `exp` / `nbf`. Default 5. */
  clockToleranceSec?: number;
}

export function createJwtAuthenticator(options: JwtOptions): Authenticator {
  const { key, algorithms } = verificationKey(options);
  const verifyOptions = {
    algorithms,
    requiredClaims: ['exp', 'sub'],
    clockTolerance: options.clockToleranceSec ?? 5,
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
  };
  return {
    required: true,
    async authenticate({ token }: Credentials): Promise<Principal> {
      if (token === undefined) throw new ConcordError('ERR_UNAUTHENTICATED', 'a bearer token is required');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, verifyOptions));
      } catch {
        throw new ConcordError('ERR_UNAUTHENTICATED', 'the token is invalid or expired');
      }
      return principalFrom(payload);
    },
  };
}

function verificationKey(options: JwtOptions): { key: Uint8Array | KeyObject; algorithms: string[] } {
  if (options.secret !== undefined) return { key: new TextEncoder().encode(options.secret), algorithms: ['HS256'] };
  if (options.publicKey === undefined) throw new Error('a JWT secret or public key is required');
  const key = createPublicKey(options.publicKey);
  return { key, algorithms: key.asymmetricKeyType === 'ec' ? ['ES256'] : ['RS256'] };
}

function principalFrom(payload: JWTPayload): Principal {
  const { sub, name, roles, exp } = payload as JWTPayload & { name?: unknown; roles?: unknown };
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) {
    throw new ConcordError('ERR_UNAUTHENTICATED', 'the token has no valid sub');
  }
  const roleList = Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
  const expiresAt = typeof exp === 'number' ? exp * 1000 : undefined; // jose requires exp; typed as optional
  return {
    sub, roles: roleList,
    ...(typeof name === 'string' ? { name: name.slice(0, 200) } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}
