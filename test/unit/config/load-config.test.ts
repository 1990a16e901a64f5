/**
 * `loadConfig(env)`: the defaults are the contract's table, every variable is validated and named in the error,
 * production refuses to run without auth unless told so explicitly, and STORAGE follows MONGO_URL.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@concord/server';

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!';
// Node types generateKeyPairSync with one overload per key type; these tests pick the type from a table.
const generate = generateKeyPairSync as (type: string, options?: object) => { publicKey: KeyObject; privateKey: KeyObject };

/** A fresh key pair as PEM: the public key as SPKI, the private key as PKCS#8. */
function keyPair(type: 'rsa' | 'rsa-pss' | 'ec' | 'ed25519', options?: { modulusLength?: number; namedCurve?: string }): { publicKey: string; privateKey: string } {
  const pair = generate(type, options);
  return {
    publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
const P256 = keyPair('ec', { namedCurve: 'P-256' });
const RSA_2048 = keyPair('rsa', { modulusLength: 2048 });
const PUBLIC_KEY = P256.publicKey;

/** The problems loadConfig reports for `env` (fails the test if it accepts it). */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const error = err as ConfigError;
    // The message a user sees carries every problem.
    for (const problem of error.problems) expect(error.message).toContain(problem);
    return error.problems;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  it('equal the contract table with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      production: false,
      dataDir: './data',
      storage: 'sqlite',
      durability: 'process',
      milestoneInterval: 100,
      trustProxy: false,
      maxMessageBytes: 1_048_576,
      maxDocBytes: 8_388_608,
      opsPerSec: 200,
      presencePerSec: 50,
      connectionsPerIp: 256,
      restPerSec: 100,
      logLevel: 'info',
      publicOrigin: 'http://127.0.0.1:8080',
    });
    for (const unset of ['mongoUrl', 'redisUrl', 'auth', 'allowedOrigins', 'metricsToken', 'file'] as const) {
      expect(config[unset], unset).toBeUndefined();
    }
    // Development without auth runs, with a warning to log at start.
    expect(config.warnings.join('\n')).toMatch(/authentication is off/);
  });

  it('read nothing from the process environment', () => {
    const before = process.env['PORT'];
    process.env['PORT'] = '1234';
    try {
      expect(loadConfig({}).port).toBe(8080);
    } finally {
      if (before === undefined) delete process.env['PORT'];
      else process.env['PORT'] = before;
    }
  });

  it('derive PUBLIC_ORIGIN from HOST and PORT', () => {
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '9000' }).publicOrigin).toBe('http://0.0.0.0:9000');
    expect(loadConfig({ HOST: '::1', PORT: '9000' }).publicOrigin).toBe('http://[::1]:9000');
    expect(loadConfig({ HOST: 'collab.internal' }).publicOrigin).toBe('http://collab.internal:8080');
  });

  it('treat empty values as unset and trim whitespace', () => {
    expect(loadConfig({ PORT: '', STORAGE: '  ', LOG_LEVEL: '' })).toMatchObject({ port: 8080, storage: 'sqlite', logLevel: 'info' });
    expect(loadConfig({ PORT: ' 3000 ', STORAGE: ' memory ' })).toMatchObject({ port: 3000, storage: 'memory' });
  });
});

describe('loadConfig reads each variable', () => {
  it('takes valid values', () => {
    const config = loadConfig({
      PORT: '0', HOST: '0.0.0.0', NODE_ENV: 'development', DATA_DIR: '/var/lib/concord', STORAGE: 'memory',
      REDIS_URL: 'redis://localhost:6379', DURABILITY: 'power', MILESTONE_INTERVAL: '25',
      AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: 'https://issuer', AUTH_JWT_AUDIENCE: 'concord',
      ALLOWED_ORIGINS: 'https://a.example, http://localhost:3000', PUBLIC_ORIGIN: 'https://collab.example',
      TRUST_PROXY: 'true', MAX_MESSAGE_BYTES: '2048', MAX_DOC_BYTES: '4096', LIMIT_OPS_PER_SEC: '0', LIMIT_PRESENCE_PER_SEC: '10',
      LIMIT_CONNECTIONS_PER_IP: '0', LIMIT_REST_PER_SEC: '7', METRICS_TOKEN: 'metrics-token-01', LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 0, host: '0.0.0.0', production: false, dataDir: '/var/lib/concord', storage: 'memory',
      redisUrl: 'redis://localhost:6379', durability: 'power', milestoneInterval: 25,
      auth: { jwtSecret: SECRET, issuer: 'https://issuer', audience: 'concord' },
      allowedOrigins: ['https://a.example', 'http://localhost:3000'], publicOrigin: 'https://collab.example',
      trustProxy: true, maxMessageBytes: 2048, maxDocBytes: 4096, opsPerSec: 0, presencePerSec: 10, connectionsPerIp: 0, restPerSec: 7,
      metricsToken: 'metrics-token-01', logLevel: 'debug',
    });
    expect(config.warnings.join('\n')).not.toMatch(/authentication is off/);
  });

  it('takes host names and IP addresses as HOST', () => {
    for (const host of ['localhost', 'collab.internal', 'my-host.local', '0.0.0.0', '10.1.2.3', '::', '::1', 'fe80::1']) {
      expect(loadConfig({ HOST: host }).host, host).toBe(host);
    }
  });

  it('takes MongoDB connection strings with hosts', () => {
    for (const url of [
      'mongodb://localhost:27017/concord', 'mongodb://u:p@db1:27017,db2:27018/concord?replicaSet=rs0',
      'mongodb://[::1]:27017/concord', 'mongodb://10.0.0.5', 'mongodb+srv://u:p@cluster0.example.net/concord?retryWrites=true',
    ]) {
      expect(loadConfig({ MONGO_URL: url }).mongoUrl, url).toBe(url);
    }
  });

  it('takes Redis URLs with a host, or a unix socket path', () => {
    for (const url of ['redis://localhost:6379', 'rediss://user:pw@redis.example:6380/2', 'redis://[::1]:6379', 'redis://10.0.0.5', 'unix:///run/redis.sock']) {
      expect(loadConfig({ REDIS_URL: url }).redisUrl, url).toBe(url);
    }
  });

  it('reads CONFIG_FILE as a JSON object', () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-config-'));
    const path = join(dir, 'concord.json');
    writeFileSync(path, JSON.stringify({ collections: { notes: { read: ['*'], quota: 10 } } }));
    expect(loadConfig({ CONFIG_FILE: path }).file).toEqual({ collections: { notes: { read: ['*'], quota: 10 } } });
  });

  it('takes an RS256/ES256 public key instead of a secret', () => {
    // Reader trims the value: compare with the trimmed PEM.
    expect(loadConfig({ AUTH_JWT_PUBLIC_KEY: PUBLIC_KEY }).auth).toMatchObject({ jwtPublicKey: PUBLIC_KEY.trim() });
    expect(loadConfig({ AUTH_JWT_PUBLIC_KEY: RSA_2048.publicKey }).auth).toMatchObject({ jwtPublicKey: RSA_2048.publicKey.trim() });
    // PKCS#1 (`BEGIN RSA PUBLIC KEY`) is an RSA public key too.
    const pkcs1 = createPublicKey(RSA_2048.publicKey).export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(loadConfig({ AUTH_JWT_PUBLIC_KEY: pkcs1 }).auth?.jwtPublicKey).toBe(pkcs1.trim());
  });
});

describe('loadConfig refuses invalid values, naming the variable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'concord-config-'));
  const notJson = join(dir, 'broken.json');
  writeFileSync(notJson, '{ "collections": ');
  const notObject = join(dir, 'array.json');
  writeFileSync(notObject, '[1, 2]');
  const typo = join(dir, 'typo.json');
  writeFileSync(typo, JSON.stringify({ colections: { notes: { write: ['*'] } } }));

  const cases: Array<[string, Record<string, string>]> = [
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '65536' }],
    ['PORT', { PORT: '-1' }],
    ['PORT', { PORT: '80.5' }],
    ['HOST', { HOST: 'not a host' }],
    ['HOST', { HOST: 'http://example.com' }],
    // Numeric names are mistyped addresses (no top-level domain is all digits), not host names to look up.
    ['HOST', { HOST: '999.1.1.1' }],
    ['HOST', { HOST: '10.0.0' }],
    ['HOST', { HOST: '8080' }],
    ['HOST', { HOST: 'localhost:8080' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['STORAGE', { STORAGE: 'floppy' }],
    ['MONGO_URL', { STORAGE: 'mongo' }],
    ['MONGO_URL', { MONGO_URL: 'http://localhost:27017' }],
    ['MONGO_URL', { MONGO_URL: 'mongodb://' }],
    ['MONGO_URL', { MONGO_URL: 'mongodb://:27017/concord' }],
    ['MONGO_URL', { MONGO_URL: 'mongodb://user:pw@/concord' }],
    ['MONGO_URL', { MONGO_URL: 'mongodb://db1:27017,/concord' }],
    ['MONGO_URL', { MONGO_URL: 'mongodb://bad host/concord' }],
    ['MONGO_URL', { MONGO_URL: 'mongodb+srv://' }],
    ['MONGO_URL', { MONGO_URL: 'mongodb+srv://cluster.example:27017/concord' }],
    ['MONGO_URL', { MONGO_URL: 'mongodb+srv://a.example,b.example/concord' }],
    ['REDIS_URL', { REDIS_URL: 'localhost:6379' }],
    // Without a host the Redis client would connect to localhost, and instances would not share ops.
    ['REDIS_URL', { REDIS_URL: 'redis://' }],
    ['REDIS_URL', { REDIS_URL: 'redis://:6379' }],
    ['REDIS_URL', { REDIS_URL: 'rediss://' }],
    ['REDIS_URL', { REDIS_URL: 'redis:///0' }],
    ['REDIS_URL', { REDIS_URL: 'redis://user:pw@:6379' }],
    ['REDIS_URL', { REDIS_URL: 'unix://' }],
    ['REDIS_URL', { REDIS_URL: 'redis://bad host:6379' }],
    ['DURABILITY', { DURABILITY: 'x' }],
    ['MILESTONE_INTERVAL', { MILESTONE_INTERVAL: '0' }],
    ['MILESTONE_INTERVAL', { MILESTONE_INTERVAL: 'often' }],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'short' }],
    ['AUTH_JWT_PUBLIC_KEY', { AUTH_JWT_PUBLIC_KEY: 'not a pem' }],
    // A PEM frame around bytes that are no key.
    ['AUTH_JWT_PUBLIC_KEY', { AUTH_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----' }],
    ['AUTH_JWT_PUBLIC_KEY', { AUTH_JWT_PUBLIC_KEY: keyPair('rsa', { modulusLength: 1024 }).publicKey }],
    ['AUTH_JWT_PUBLIC_KEY', { AUTH_JWT_PUBLIC_KEY: keyPair('ec', { namedCurve: 'P-384' }).publicKey }],
    ['AUTH_JWT_PUBLIC_KEY', { AUTH_JWT_PUBLIC_KEY: keyPair('ed25519').publicKey }],
    ['AUTH_JWT_PUBLIC_KEY', { AUTH_JWT_PUBLIC_KEY: keyPair('rsa-pss', { modulusLength: 2048 }).publicKey }],
    // A private key would be read as its public half: refused, so a secret never sits where a public key belongs.
    ['AUTH_JWT_PUBLIC_KEY', { AUTH_JWT_PUBLIC_KEY: P256.privateKey }],
    ['AUTH_JWT_PUBLIC_KEY', { AUTH_JWT_PUBLIC_KEY: RSA_2048.privateKey }],
    // Two keys in one value.
    ['AUTH_JWT_PUBLIC_KEY', { AUTH_JWT_PUBLIC_KEY: P256.publicKey + RSA_2048.publicKey }],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: SECRET, AUTH_JWT_PUBLIC_KEY: PUBLIC_KEY }],
    ['AUTH_JWT_ISSUER', { AUTH_JWT_ISSUER: 'https://issuer' }],
    ['AUTH_JWT_AUDIENCE', { AUTH_JWT_AUDIENCE: 'concord' }],
    ['AUTH_DISABLED', { AUTH_DISABLED: 'maybe' }],
    ['ALLOWED_ORIGINS', { ALLOWED_ORIGINS: 'https://ok.example,example.com' }],
    ['ALLOWED_ORIGINS', { ALLOWED_ORIGINS: 'https://trailing.example/' }],
    ['PUBLIC_ORIGIN', { PUBLIC_ORIGIN: 'collab.example' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'yes please' }],
    ['MAX_MESSAGE_BYTES', { MAX_MESSAGE_BYTES: '1mb' }],
    ['MAX_MESSAGE_BYTES', { MAX_MESSAGE_BYTES: '0' }],
    ['MAX_DOC_BYTES', { MAX_DOC_BYTES: '8MiB' }],
    ['MAX_DOC_BYTES', { MAX_DOC_BYTES: '100' }],
    ['MAX_DOC_BYTES', { MAX_DOC_BYTES: '16777216', MONGO_URL: 'mongodb://db:27017/concord' }],
    ['LIMIT_OPS_PER_SEC', { LIMIT_OPS_PER_SEC: '-5' }],
    ['LIMIT_PRESENCE_PER_SEC', { LIMIT_PRESENCE_PER_SEC: 'lots' }],
    ['LIMIT_CONNECTIONS_PER_IP', { LIMIT_CONNECTIONS_PER_IP: '1.5' }],
    ['LIMIT_REST_PER_SEC', { LIMIT_REST_PER_SEC: '-1' }],
    // A short bearer token on /metrics is guessable: 15 characters are refused (16 pass, above).
    ['METRICS_TOKEN', { METRICS_TOKEN: 'metrics-token-0' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: 'tok-123' }],
    ['CONFIG_FILE', { CONFIG_FILE: join(dir, 'missing.json') }],
    ['CONFIG_FILE', { CONFIG_FILE: notJson }],
    ['CONFIG_FILE', { CONFIG_FILE: notObject }],
    ['colections is not a setting', { CONFIG_FILE: typo }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
  ];

  for (const [name, env] of cases) {
    it(`${name} in ${JSON.stringify(env)}`, () => {
      const found = problems(env);
      expect(found.some((problem) => problem.includes(name)), found.join('\n')).toBe(true);
    });
  }

  it('never echoes a REDIS_URL or MONGO_URL, which may carry a password', () => {
    expect(problems({ REDIS_URL: 'redis://user:hunter2-secret@:6379' }).join('\n')).not.toContain('hunter2-secret');
    expect(problems({ MONGO_URL: 'mongodb://user:hunter2-secret@/concord' }).join('\n')).not.toContain('hunter2-secret');
  });

  it('names only the variables that are wrong', () => {
    // An invalid HOST is reported as HOST, not as the PUBLIC_ORIGIN derived from it.
    expect(problems({ HOST: 'bad host' }).join('\n')).not.toMatch(/PUBLIC_ORIGIN/);
    expect(problems({ DURABILITY: 'x' })).toHaveLength(1);
  });

  it('reports every problem at once', () => {
    const found = problems({ PORT: 'abc', DURABILITY: 'x', LOG_LEVEL: 'loud', TRUST_PROXY: 'sure' });
    for (const name of ['PORT', 'DURABILITY', 'LOG_LEVEL', 'TRUST_PROXY']) {
      expect(found.some((problem) => problem.includes(name)), name).toBe(true);
    }
  });
});

describe('loadConfig in production', () => {
  it('refuses to run without auth, naming the variables to set', () => {
    const found = problems({ NODE_ENV: 'production' }).join('\n');
    expect(found).toMatch(/AUTH_JWT_SECRET/);
    expect(found).toMatch(/AUTH_JWT_PUBLIC_KEY/);
    expect(found).toMatch(/AUTH_DISABLED=true/);
    expect(problems({ NODE_ENV: 'production', AUTH_DISABLED: 'false' }).join('\n')).toMatch(/AUTH_JWT_SECRET/);
  });

  it('runs without auth when AUTH_DISABLED=true, with a warning', () => {
    const config = loadConfig({ NODE_ENV: 'production', AUTH_DISABLED: 'true' });
    expect(config.production).toBe(true);
    expect(config.auth).toBeUndefined();
    expect(config.warnings.join('\n')).toMatch(/authentication is off/);
  });

  it('runs with a secret or a public key', () => {
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET }).auth?.jwtSecret).toBe(SECRET);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_PUBLIC_KEY: PUBLIC_KEY }).auth?.jwtPublicKey).toBe(PUBLIC_KEY.trim());
  });

  it('defaults the allowed origins to PUBLIC_ORIGIN (left undefined for the server to apply)', () => {
    const config = loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, PUBLIC_ORIGIN: 'https://collab.example' });
    expect(config.allowedOrigins).toBeUndefined();
    expect(config.publicOrigin).toBe('https://collab.example');
  });
});

describe('loadConfig STORAGE', () => {
  it('defaults to sqlite, or to mongo when MONGO_URL is set', () => {
    expect(loadConfig({}).storage).toBe('sqlite');
    const mongo = loadConfig({ MONGO_URL: 'mongodb://localhost:27017/concord' });
    expect(mongo.storage).toBe('mongo');
    expect(mongo.mongoUrl).toBe('mongodb://localhost:27017/concord');
    expect(loadConfig({ MONGO_URL: 'mongodb+srv://cluster.example/concord' }).storage).toBe('mongo');
  });

  it('lets an explicit STORAGE win over MONGO_URL', () => {
    expect(loadConfig({ MONGO_URL: 'mongodb://localhost:27017/concord', STORAGE: 'sqlite' }).storage).toBe('sqlite');
    expect(loadConfig({ MONGO_URL: 'mongodb://localhost:27017/concord', STORAGE: 'memory' }).storage).toBe('memory');
  });
});
