/**
 * The public keys the JWT authenticator takes are exactly those jose verifies with (RS256 with RSA of 2048 bits or
 * more, ES256 with P-256): each accepted key verifies a token signed by its private half, and each refused key is one
 * jose cannot use for either algorithm, refused when the authenticator is built instead of failing every token later.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { createJwtAuthenticator } from '@concord/server';

// Node types generateKeyPairSync with one overload per key type; these tests pick the type from a table.
const generate = generateKeyPairSync as (type: string, options?: object) => { publicKey: KeyObject; privateKey: KeyObject };

const sign = (alg: string, key: KeyObject): Promise<string> =>
  new SignJWT({}).setProtectedHeader({ alg }).setSubject('alice').setExpirationTime('5m').sign(key);

describe('createJwtAuthenticator with a public key', () => {
  const accepted: Array<[string, string, object, string]> = [
    ['RSA 2048', 'rsa', { modulusLength: 2048 }, 'RS256'],
    ['EC P-256', 'ec', { namedCurve: 'P-256' }, 'ES256'],
  ];
  for (const [name, type, options, alg] of accepted) {
    it(`verifies ${alg} tokens with ${name}`, async () => {
      const { publicKey, privateKey } = generate(type, options);
      const auth = createJwtAuthenticator({ publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
      await expect(auth.authenticate({ token: await sign(alg, privateKey), headers: {}, remoteAddress: '127.0.0.1' })).resolves.toMatchObject({ sub: 'alice' });
    });
  }

  const refused: Array<[string, string, object]> = [
    ['RSA 1024', 'rsa', { modulusLength: 1024 }],
    ['EC P-384', 'ec', { namedCurve: 'P-384' }],
    ['Ed25519', 'ed25519', {}],
    ['RSA-PSS 2048', 'rsa-pss', { modulusLength: 2048 }],
  ];
  for (const [name, type, options] of refused) {
    it(`refuses ${name}, a key jose cannot use for RS256 or ES256`, async () => {
      const { publicKey, privateKey } = generate(type, options);
      // The premise: jose itself will not sign (nor verify) with this key under either algorithm.
      await expect(sign('RS256', privateKey)).rejects.toThrow();
      await expect(sign('ES256', privateKey)).rejects.toThrow();
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      expect(() => createJwtAuthenticator({ publicKey: pem })).toThrow(/RSA key of at least 2048 bits \(RS256\) or a P-256 EC key \(ES256\)/);
    });
  }

  it('refuses a private key, which Node would otherwise read as its public half', () => {
    const { privateKey } = generate('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => createJwtAuthenticator({ publicKey: pem })).toThrow(/private key/);
  });

  it('refuses text that is not a PEM public key', () => {
    expect(() => createJwtAuthenticator({ publicKey: 'not a pem' })).toThrow(/PEM public key/);
    expect(() => createJwtAuthenticator({ publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }))
      .toThrow(/not a readable PEM public key/);
  });
});
