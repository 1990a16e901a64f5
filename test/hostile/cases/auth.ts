/**
 * Authentication against an HS256 server: no token (4408 after the deadline; 4401 when something else is sent
 * first), a bad signature, an expired token, a token for another algorithm (HS512, RS256) and `alg: none` are
 * refused with 401 at the upgrade, 4401 in-band, or 401 on REST; a browser upgrade from a foreign Origin gets 403.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { http, probeUpgrade, restCode } from '../attacker.js';
import type { HostileCase, HostileContext } from '../case.js';
import { SECRET } from '../suite.js';

const claims = (ttlSec = 3600) => ({ sub: 'mallory', roles: ['user', 'admin'], exp: Math.floor(Date.now() / 1000) + ttlSec });
const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

async function hs256(secret: string, ttlSec = 3600): Promise<string> {
  return new SignJWT(claims(ttlSec)).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}

const forged = {
  badSignature: () => hs256('not-the-server-secret-not-the-server-secret'),
  expired: () => hs256(SECRET, -120),
  hs512: () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS512' }).sign(new TextEncoder().encode(SECRET)),
  rs256: async () => {
    // Off the event loop (the server shares this process): a synchronous RSA key generation stalls it ~0.3 s.
    const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
    return new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
  },
  algNone: () => Promise.resolve(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`),
};

const header = (token: string) => ({ authorization: `Bearer ${token}` });
const inBand = (token: string) => (socket: import('ws').WebSocket) => socket.send(JSON.stringify({ a: 'auth', token }));

async function restWith(ctx: HostileContext, token: string): Promise<string | number> {
  return restCode(await http(`${ctx.server.httpUrl}/api/docs/shared/honest`, { headers: header(token) }));
}

export const authCases: HostileCase[] = [
  {
    name: 'no token and no message until the deadline', category: 'auth', expected: 4408,
    run: async (ctx) => ({ code: await probeUpgrade(ctx.server.wsUrl, {}, () => undefined, 20_000) }),
  },
  {
    name: 'an in-band auth message without a token field', category: 'auth', expected: 4401,
    run: async (ctx) => ({ code: await probeUpgrade(ctx.server.wsUrl, {}, (s) => s.send('{"a":"auth","token":{"sub":"admin"}}')) }),
  },
  {
    name: 'a bad signature in the Authorization header', category: 'auth', expected: 401,
    run: async (ctx) => ({ code: await probeUpgrade(ctx.server.wsUrl, header(await forged.badSignature())) }),
  },
  {
    name: 'an expired token in-band', category: 'auth', expected: 4401,
    run: async (ctx) => ({ code: await probeUpgrade(ctx.server.wsUrl, {}, inBand(await forged.expired())) }),
  },
  {
    name: 'an expired token on REST', category: 'auth', expected: 'ERR_UNAUTHENTICATED',
    run: async (ctx) => ({ code: await restWith(ctx, await forged.expired()) }),
  },
  {
    name: 'an HS512 token signed with the server secret', category: 'auth', expected: 401,
    run: async (ctx) => ({ code: await probeUpgrade(ctx.server.wsUrl, header(await forged.hs512())) }),
  },
  {
    name: 'an RS256 token from a foreign key pair, in-band', category: 'auth', expected: 4401,
    run: async (ctx) => ({ code: await probeUpgrade(ctx.server.wsUrl, {}, inBand(await forged.rs256())) }),
  },
  {
    name: 'an alg:none token in ?token=', category: 'auth', expected: 401,
    run: async (ctx) => ({ code: await probeUpgrade(`${ctx.server.wsUrl}?token=${await forged.algNone()}`) }),
  },
  {
    name: 'an alg:none token on REST', category: 'auth', expected: 'ERR_UNAUTHENTICATED',
    run: async (ctx) => ({ code: await restWith(ctx, await forged.algNone()) }),
  },
  {
    name: 'a valid token from a foreign Origin (cross-site WebSocket hijacking)', category: 'auth', expected: 403,
    run: async (ctx) => ({
      code: await probeUpgrade(ctx.server.wsUrl, { ...header(await ctx.token('mallory')), origin: 'https://evil.example' }),
    }),
  },
  {
    name: 'a valid token from the allowed Origin is accepted (control)', category: 'auth', expected: 'open',
    run: async (ctx) => ({
      code: await probeUpgrade(ctx.server.wsUrl, { ...header(await ctx.token('mallory')), origin: ctx.origin },
        (s) => s.send(JSON.stringify({ a: 'hs', id: null })), 1_000),
    }),
  },
];
