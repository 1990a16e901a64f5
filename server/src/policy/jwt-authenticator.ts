/**
 * Bearer-token authentication with jose: HS256 with a shared secret, or RS256 / ES256 with a PEM public key.
 * `exp` and `sub` are required, `iss` / `aud` when configured, with a small clock skew allowed.
 * A public key is checked when the authenticator is built (and by loadConfig at start): one that jose would refuse
 * for its algorithm would otherwise only show as every token being rejected.
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
  const checked = readJwtPublicKey(options.publicKey);
  if ('problem' in checked) throw new Error(`the JWT public key ${checked.problem}`);
  return { key: checked.key, algorithms: [checked.algorithm] };
}

/** A public key's PEM block: SPKI (`PUBLIC KEY`) or PKCS#1 RSA (`RSA PUBLIC KEY`). Never a private key or certificate. */
const PUBLIC_KEY_PEM = /^-----BEGIN (RSA )?PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\s]+-----END \1PUBLIC KEY-----$/;
const KEYS_ACCEPTED = 'an RSA key of at least 2048 bits (RS256) or a P-256 EC key (ES256)';

/**
 * The key and algorithm a PEM public key verifies tokens with, or what is wrong with it (a phrase to follow the
 * key's name). Only what jose verifies: RS256 needs an RSA key of 2048 bits or more, ES256 a P-256 key.
 */
export function readJwtPublicKey(pem: string): { key: KeyObject; algorithm: 'RS256' | 'ES256' } | { problem: string } {
  // createPublicKey would derive the public half of a private key: a secret pasted in the wrong place.
  if (/PRIVATE KEY-----/.test(pem)) return { problem: 'is a private key; give the public key (BEGIN PUBLIC KEY)' };
  if (!PUBLIC_KEY_PEM.test(pem.trim())) return { problem: 'must be one PEM public key (-----BEGIN PUBLIC KEY-----)' };
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    return { problem: `is not a readable PEM public key (${(err as Error).message})` };
  }
  const { modulusLength, namedCurve } = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && modulusLength !== undefined && modulusLength >= 2048) return { key, algorithm: 'RS256' };
  if (key.asymmetricKeyType === 'ec' && namedCurve === 'prime256v1') return { key, algorithm: 'ES256' };
  const got = key.asymmetricKeyType === 'rsa' ? `a ${modulusLength ?? '?'}-bit RSA key`
    : key.asymmetricKeyType === 'ec' ? `an EC key on ${namedCurve ?? 'an unknown curve'}` : `a key of type ${key.asymmetricKeyType ?? 'unknown'}`;
  return { problem: `must be ${KEYS_ACCEPTED}, got ${got}` };
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
