/**
 * `loadConfig(env)`: the standalone server's configuration from environment variables, validated at once. Every
 * problem is reported with the variable's name, and the process refuses to start on any of them. Importing this
 * module reads nothing; `main.ts` passes `process.env`.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_LIMITS } from '@concord/shared';
import type { StorageKind } from './storage/storage.js';
import { parseRetention, type RetentionPolicies } from './engine/retention.js';
import { readAccessRules, type AccessRules } from './policy/authorize/access-rules.js';
import { readQuotas } from './policy/quota.js';
import { readJwtPublicKey } from './policy/jwt-authenticator.js';
import { isHost, mongoUrlProblem, redisUrlProblem } from './config-addresses.js';
import { DEFAULT_VALIDATION_LIMITS } from './policy/validate/limits.js';

/** MongoDB stores a document of at most 16 MiB of BSON, which BSON's own overhead can reach from 8 MiB of JSON. */
const MONGO_MAX_DOC_BYTES = 8 * 1_048_576;

export type Durability = 'process' | 'power';

export interface AuthConfig {
  /** HS256 shared secret (`AUTH_JWT_SECRET`). */
  jwtSecret?: string;
  /** PEM public key (`AUTH_JWT_PUBLIC_KEY`): RSA of 2048 bits or more for RS256, or P-256 EC for ES256. */
  jwtPublicKey?: string;
  /** Required `iss` claim (`AUTH_JWT_ISSUER`). */
  issuer?: string;
  /** Required `aud` claim (`AUTH_JWT_AUDIENCE`). */
  audience?: string;
}

export interface Config {
  /** `PORT`, default 8080; `0` picks a free port. */
  port: number;
  /** `HOST`, default 127.0.0.1. */
  host: string;
  /** `NODE_ENV`: `production` turns on the strict defaults. */
  production: boolean;
  /** `STORAGE`: default `sqlite`, or `mongo` when `MONGO_URL` is set. */
  storage: StorageKind;
  /** `DATA_DIR`, default `./data`: the embedded SQLite store. */
  dataDir: string;
  /** `MONGO_URL`. */
  mongoUrl?: string;
  /** `REDIS_URL`: Redis pub/sub between processes. */
  redisUrl?: string;
  /** `DURABILITY`, default `process`. */
  durability: Durability;
  /** `MILESTONE_INTERVAL`, default 100 versions. */
  milestoneInterval: number;
  /** JWT verification; undefined means no authentication (development, or `AUTH_DISABLED=true`). */
  auth?: AuthConfig;
  /** `ALLOWED_ORIGINS`; undefined means the default (development: local origins; production: `PUBLIC_ORIGIN`). */
  allowedOrigins?: string[];
  /** `PUBLIC_ORIGIN`, default `http://HOST:PORT`. */
  publicOrigin: string;
  /** `TRUST_PROXY`, default false. */
  trustProxy: boolean;
  /** `MAX_MESSAGE_BYTES`, default 1 MiB. */
  maxMessageBytes: number;
  /** `MAX_DOC_BYTES`, default 8 MiB: the largest document an op or create may produce. */
  maxDocBytes: number;
  /** `LIMIT_OPS_PER_SEC`, default 200; 0 = off. */
  opsPerSec: number;
  /** `LIMIT_PRESENCE_PER_SEC`, default 50; 0 = off. */
  presencePerSec: number;
  /** `LIMIT_CONNECTIONS_PER_IP`, default 256; 0 = off. */
  connectionsPerIp: number;
  /** `LIMIT_REST_PER_SEC`, default 100 (averaged over 10 s); 0 = off. */
  restPerSec: number;
  /** `METRICS_TOKEN`: at least 16 characters. */
  metricsToken?: string;
  /** `CONFIG_FILE`, parsed (collections, rules, schemas, retention). */
  file?: Record<string, unknown>;
  /** `retention` of `CONFIG_FILE`: op-log retention per collection. */
  retention?: RetentionPolicies;
  /** Documents one user may own, per collection (CONFIG_FILE `collections.<name>.quota`). */
  quotas: Record<string, number>;
  /** CONFIG_FILE's `collections` authorization rules, validated; undefined when it has none. */
  rules?: AccessRules;
  /** `LOG_LEVEL`, default `info`. */
  logLevel: string;
  /** Warnings to log at start (for example: running without authentication). */
  warnings: string[];
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration; throws a ConfigError naming every invalid variable. */
export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const read = new Reader(env, problems);
  const production = read.oneOf('NODE_ENV', ['production', 'development', 'test'], 'development') === 'production';
  const port = read.integer('PORT', 8080, 0, 65535);
  const host = read.string('HOST') ?? '127.0.0.1';
  if (!isHost(host)) problems.push(`HOST must be a host name or an IP address, got "${host}"`);
  const mongoUrl = read.string('MONGO_URL');
  const mongoProblem = mongoUrl === undefined ? undefined : mongoUrlProblem(mongoUrl);
  if (mongoProblem) problems.push(`MONGO_URL ${mongoProblem}`);
  const storage = read.oneOf('STORAGE', ['sqlite', 'memory', 'mongo'], mongoUrl ? 'mongo' : 'sqlite') as StorageKind;
  if (storage === 'mongo' && !mongoUrl) problems.push('STORAGE=mongo needs MONGO_URL');
  const redisUrl = read.string('REDIS_URL');
  const redisProblem = redisUrl === undefined ? undefined : redisUrlProblem(redisUrl);
  if (redisProblem) problems.push(`REDIS_URL ${redisProblem}`);
  const auth = readAuth(read, problems);
  const authDisabled = read.boolean('AUTH_DISABLED', false);
  const warnings: string[] = [];
  if (!auth && production && !authDisabled) {
    problems.push('NODE_ENV=production needs authentication: set AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY ' +
      '(or AUTH_DISABLED=true to run without it, explicitly)');
  }
  if (!auth) warnings.push('authentication is off: every connection is the anonymous principal and may edit every document');
  const allowedOrigins = read.string('ALLOWED_ORIGINS')?.split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of allowedOrigins ?? []) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`ALLOWED_ORIGINS: "${origin}" is not an origin like https://example.com`);
  }
  const explicitOrigin = read.string('PUBLIC_ORIGIN');
  const publicOrigin = explicitOrigin ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // A derived origin is only as valid as HOST, which is reported under its own name above.
  if (explicitOrigin !== undefined && !/^https?:\/\/[^/\s]+$/.test(publicOrigin)) {
    problems.push('PUBLIC_ORIGIN must be an origin like https://example.com');
  }
  const config: Config = {
    port, host, production, storage,
    dataDir: read.string('DATA_DIR') ?? './data',
    mongoUrl, redisUrl,
    durability: read.oneOf('DURABILITY', ['process', 'power'], 'process') as Durability,
    milestoneInterval: read.integer('MILESTONE_INTERVAL', 100, 1, 1_000_000),
    auth, allowedOrigins, publicOrigin,
    trustProxy: read.boolean('TRUST_PROXY', false),
    maxMessageBytes: read.integer('MAX_MESSAGE_BYTES', DEFAULT_LIMITS.maxMessageBytes, 1024, 64 * 1_048_576),
    maxDocBytes: read.integer('MAX_DOC_BYTES', DEFAULT_VALIDATION_LIMITS.maxDocBytes, 1024, 64 * 1_048_576),
    opsPerSec: read.integer('LIMIT_OPS_PER_SEC', DEFAULT_LIMITS.opsPerSec, 0, 1_000_000),
    presencePerSec: read.integer('LIMIT_PRESENCE_PER_SEC', DEFAULT_LIMITS.presencePerSec, 0, 1_000_000),
    connectionsPerIp: read.integer('LIMIT_CONNECTIONS_PER_IP', DEFAULT_LIMITS.connectionsPerIp, 0, 1_000_000),
    restPerSec: read.integer('LIMIT_REST_PER_SEC', DEFAULT_LIMITS.restPerSec, 0, 1_000_000),
    metricsToken: readMetricsToken(read, problems),
    file: readConfigFile(read.string('CONFIG_FILE'), problems),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    warnings,
    quotas: {},
  };
  if (storage === 'mongo' && config.maxDocBytes > MONGO_MAX_DOC_BYTES) {
    problems.push(`MAX_DOC_BYTES must be at most ${MONGO_MAX_DOC_BYTES} with MongoDB (16 MiB of BSON per document)`);
  }
  const configFile = read.string('CONFIG_FILE');
  config.rules = config.file && readAccessRules(config.file, `CONFIG_FILE ${configFile ?? ''}`, problems);
  config.quotas = readQuotas(config.file, problems);
  if (auth && !config.rules) {
    warnings.push('CONFIG_FILE defines no collection rules: only admins may create documents; owners and grantees reach theirs');
  }
  if (config.file) config.retention = parseRetention(config.file['retention'], `CONFIG_FILE ${read.string('CONFIG_FILE') ?? ''}`, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readAuth(read: Reader, problems: string[]): AuthConfig | undefined {
  const jwtSecret = read.string('AUTH_JWT_SECRET');
  const jwtPublicKey = read.string('AUTH_JWT_PUBLIC_KEY');
  if (jwtSecret !== undefined && jwtPublicKey !== undefined) problems.push('set AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY, not both');
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) problems.push('AUTH_JWT_SECRET must be at least 32 bytes');
  if (jwtPublicKey !== undefined) {
    const checked = readJwtPublicKey(jwtPublicKey);
    if ('problem' in checked) problems.push(`AUTH_JWT_PUBLIC_KEY ${checked.problem}`);
  }
  const issuer = read.string('AUTH_JWT_ISSUER');
  const audience = read.string('AUTH_JWT_AUDIENCE');
  if (jwtSecret === undefined && jwtPublicKey === undefined) {
    if (issuer !== undefined || audience !== undefined) problems.push('AUTH_JWT_ISSUER / AUTH_JWT_AUDIENCE need AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY');
    return undefined;
  }
  return { jwtSecret, jwtPublicKey, issuer, audience };
}

/** Shortest METRICS_TOKEN: the bearer token guards /metrics, where nothing slows down guessing. */
const MIN_METRICS_TOKEN_LENGTH = 16;

function readMetricsToken(read: Reader, problems: string[]): string | undefined {
  const token = read.string('METRICS_TOKEN');
  if (token !== undefined && token.length < MIN_METRICS_TOKEN_LENGTH) {
    problems.push(`METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_LENGTH} characters, got ${token.length}`);
  }
  return token;
}

/** The top-level keys of CONFIG_FILE; a typo such as `colections` would otherwise run with no rules at all. */
const CONFIG_FILE_KEYS: readonly string[] = ['collections', 'retention'];

function readConfigFile(path: string | undefined, problems: string[]): Record<string, unknown> | undefined {
  if (path === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`CONFIG_FILE ${path} must hold a JSON object`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!CONFIG_FILE_KEYS.includes(key)) {
        problems.push(`CONFIG_FILE ${path}: ${key} is not a setting (the file holds ${CONFIG_FILE_KEYS.join(' and ')})`);
      }
    }
    return value as Record<string, unknown>;
  } catch (err) {
    problems.push(`CONFIG_FILE ${path} cannot be read as JSON: ${(err as Error).message}`);
    return undefined;
  }
}

/** Typed reads of environment variables; each problem names its variable. Empty strings count as unset. */
class Reader {
  constructor(private readonly env: Env, private readonly problems: string[]) {}

  string(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  oneOf(name: string, allowed: readonly string[], fallback: string): string {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!allowed.includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw;
  }
}
