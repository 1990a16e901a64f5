/** The shape of a hostile case and the context the driver gives it. */
import type { Attacker } from './attacker.js';

export type Category =
  | 'frames' | 'protocol' | 'json0' | 'json1' | 'rich-text' | 'text-unicode' | 'create-delete' | 'presence'
  | 'queries' | 'history' | 'auth' | 'floods' | 'identity';

export type TypeName = 'json0' | 'json1' | 'rich-text' | 'text-unicode';

/** What a case observed: an error code, a close code, an HTTP status, or a word such as `ok` or `slowed`. */
export interface Outcome {
  code: string | number;
  /** Free text for the summary line (a timing, what was received). */
  note?: string;
}

/** A document made for one case, checked after it: unchanged (or equal to `expect`) and valid for its type. */
export interface Target {
  readonly collection: string;
  readonly id: string;
  readonly type: TypeName;
  v: number;
  data: unknown;
}

export interface Endpoint {
  readonly httpUrl: string;
  readonly wsUrl: string;
}

export interface HostileContext {
  readonly server: Endpoint;
  /** The allowed browser origin. */
  readonly origin: string;
  /** The largest message the server takes (MAX_MESSAGE_BYTES). */
  readonly maxMessageBytes: number;
  /** Operations per second per connection before reading slows (LIMIT_OPS_PER_SEC). */
  readonly opsPerSec: number;
  /** Whether the server runs in this process (the in-process checks then apply). */
  readonly inProcess: boolean;
  /** An HS256 token the server accepts, for `sub` with role `user`. */
  token(sub: string, options?: { ttlSec?: number; roles?: string[] }): Promise<string>;
  /** A raw authenticated socket (handshake done), closed by the driver after the case. */
  attacker(sub?: string): Promise<Attacker>;
  /** A fresh document created over REST by its owner; checked by the driver after the case. */
  target(type: TypeName, data: unknown): Promise<Target>;
  /** The connection id of the honest editor (a victim for spoofing). */
  honestId(): string;
  /** The honest editor's next `seq`. */
  honestSeq(): number;
  /** Registers cleanup (sockets the case opened itself). */
  defer(fn: () => void | Promise<void>): void;
}

export interface HostileCase {
  readonly name: string;
  readonly category: Category;
  /** The documented outcome: the code `run` must return. */
  readonly expected: string | number;
  /** Runs only against the in-process server (needs a limit set there, or inspects the process). */
  readonly inProcessOnly?: boolean;
  run(ctx: HostileContext): Promise<Outcome>;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with `promise`, or rejects after `ms` with `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e as Error); });
  });
}
