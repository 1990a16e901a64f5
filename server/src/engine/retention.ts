/**
 * Op-log retention: per collection, keep the ops of the last N versions and/or the ops younger than an age; delete
 * older ones. Milestones are never deleted, so past versions stay readable at milestone granularity, and the
 * current snapshot is never touched.
 *
 * Where it cuts: at a milestone. The policy names a target version T (ops below T may go); the log is cut at the
 * newest milestone at or below T, so that the new oldest op has a milestone at its version and every version from
 * there on is rebuilt from a milestone plus at most MILESTONE_INTERVAL ops. When no milestone lies between the
 * oldest stored op and T, the prune waits for the next milestone; only when the log reaches a whole
 * MILESTONE_INTERVAL below T without one (milestones missing) is one saved at T first, built from the previous
 * milestone and the ops. So a document keeps up to MILESTONE_INTERVAL versions more than the policy asks, never
 * fewer.
 *
 * When: a sweep of every document of the collections with a policy, every `intervalMs` (an unref'd timer, stopped
 * by `stop()`), and, for a document, after a commit that reaches a milestone version (so busy documents are held
 * near their bound between sweeps). Prunes run one at a time. Several processes sharing a store may sweep at once:
 * every step is idempotent.
 */
import type ShareDB from 'sharedb';
import type { Storage } from '../storage/storage.js';
import { useSync } from './middleware.js';
import { isMissingOps } from './history.js';

export interface RetentionPolicy {
  /** Keep the ops of at least the last N versions (N >= 1). */
  readonly keepVersions?: number;
  /** Keep the ops committed within the last D days (D > 0, fractions allowed). */
  readonly maxAgeDays?: number;
}

/** Per collection name. With both limits, an op is kept while either keeps it. */
export type RetentionPolicies = Readonly<Record<string, RetentionPolicy>>;

export interface RetentionOptions {
  readonly policies: RetentionPolicies;
  /** Period of the sweep over every document. Default 10 minutes; 0 turns the periodic sweep off. */
  readonly intervalMs?: number;
  /** Prune a document after a commit that reaches a milestone version. Default true. */
  readonly afterCommit?: boolean;
  /** The clock for age limits (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
}

export interface SweepResult {
  readonly documents: number;
  readonly opsDeleted: number;
}

export const DEFAULT_RETENTION_INTERVAL_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

interface Snapshot {
  id: string;
  v: number;
  type: string | null;
  data?: unknown;
  m?: Record<string, unknown> | null;
}
type Callback<T> = (err: unknown, value?: T) => void;
interface BackendInternals {
  _fetchSnapshot(collection: string, id: string, version: number, cb: Callback<Snapshot>): void;
}

export class Retention {
  private readonly policies: RetentionPolicies;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  /** Every prune and sweep runs on this chain, one at a time. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly queued = new Set<string>();
  private stopped = false;

  constructor(
    private readonly backend: ShareDB,
    private readonly storage: Storage,
    private readonly options: RetentionOptions,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    this.policies = options.policies;
    this.now = options.now ?? Date.now;
    const interval = this.milestoneInterval;
    if (options.afterCommit !== false && interval > 0) {
      useSync(backend, 'afterWrite', (request) => {
        if (this.policies[request.collection] && request.snapshot && request.snapshot.v % interval === 0) {
          this.schedule(request.collection, request.id);
        }
      });
    }
  }

  /** Starts the periodic sweep (if any collection has a policy and the interval is not 0). */
  start(): void {
    const intervalMs = this.options.intervalMs ?? DEFAULT_RETENTION_INTERVAL_MS;
    if (this.timer || intervalMs <= 0 || Object.keys(this.policies).length === 0) return;
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.onError(err as Error));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and scheduling; resolves once the running prune (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.chain.catch(() => undefined);
  }

  /** Prunes every document of every collection with a policy. */
  sweep(): Promise<SweepResult> {
    return this.enqueue(async () => {
      let documents = 0;
      let opsDeleted = 0;
      for (const collection of Object.keys(this.policies)) {
        for (const id of await this.storage.history?.listIds(collection) ?? []) {
          if (this.stopped) break;
          documents++;
          opsDeleted += await this.pruneNow(collection, id);
        }
      }
      return { documents, opsDeleted };
    });
  }

  /** Prunes one document now (after whatever is running); resolves with the number of ops deleted. */
  prune(collection: string, id: string): Promise<number> {
    return this.enqueue(() => this.pruneNow(collection, id));
  }

  private schedule(collection: string, id: string): void {
    const key = `${collection}\u0000${id}`;
    if (this.stopped || this.queued.has(key)) return;
    this.queued.add(key);
    this.enqueue(() => {
      this.queued.delete(key);
      return this.pruneNow(collection, id);
    }).catch((err: unknown) => this.onError(err as Error));
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private get milestoneInterval(): number {
    const interval = (this.storage.milestoneDb as unknown as { interval?: unknown }).interval;
    return typeof interval === 'number' && interval > 0 ? interval : 0;
  }

  private async pruneNow(collection: string, id: string): Promise<number> {
    const policy = this.policies[collection];
    const { history } = this.storage;
    if (!policy || !history || this.stopped) return 0;
    const current = (await this.call<Snapshot>((cb) => this.storage.db.getSnapshot(collection, id, null, null, cb as never))).v;
    const oldest = await history.oldestOpVersion(collection, id);
    if (current === 0 || oldest === undefined) return 0;
    const target = await this.target(policy, collection, id, current);
    if (target <= oldest) return 0;
    const milestones = await history.milestoneVersions(collection, id);
    let cut = milestones.filter((v) => v > oldest && v <= target).pop();
    // No milestone to cut at: wait for the next one, unless the log is a whole interval past the target (milestones
    // missing: none configured, saves that failed, or an interval raised since), then make one.
    const interval = this.milestoneInterval;
    if (cut === undefined && interval > 0 && target - oldest < interval) return 0;
    if (cut === undefined) {
      try {
        await this.saveMilestone(collection, id, target);
      } catch (err) {
        if (isMissingOps(err)) return 0; // no readable base below the target: leave the log as it is
        throw err;
      }
      cut = target;
    }
    return history.pruneOps(collection, id, cut);
  }

  /** The version below which the policy lets ops go (at most the current version). */
  private async target(policy: RetentionPolicy, collection: string, id: string, current: number): Promise<number> {
    const targets: number[] = [];
    if (policy.keepVersions !== undefined) targets.push(Math.max(0, current - policy.keepVersions));
    if (policy.maxAgeDays !== undefined) {
      const since = this.now() - policy.maxAgeDays * DAY_MS;
      targets.push((await this.storage.history?.firstOpVersionSince(collection, id, since)) ?? current);
    }
    // An op is kept while either limit keeps it: cut at the lower target.
    return targets.length === 0 ? 0 : Math.min(current, ...targets);
  }

  /** Saves the snapshot at `version` as a milestone, with the time of the op that produced it (for time reads). */
  private async saveMilestone(collection: string, id: string, version: number): Promise<void> {
    const snapshot = await this.call<Snapshot>((cb) =>
      (this.backend as unknown as BackendInternals)._fetchSnapshot(collection, id, version, cb));
    const [last] = await this.call<Array<{ m?: { ts?: number } }>>((cb) =>
      this.storage.db.getOps(collection, id, version - 1, version, { metadata: true }, cb as never));
    const ts = last?.m?.ts;
    snapshot.m = typeof ts === 'number' ? { ...snapshot.m, mtime: ts } : snapshot.m ?? null;
    await this.call<void>((cb) => this.storage.milestoneDb.saveMilestoneSnapshot(collection, snapshot as never, cb as never));
  }

  private call<T>(run: (cb: Callback<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));
  }
}

/**
 * Validates the `retention` key of CONFIG_FILE: `{"<collection>": {"keepVersions": N, "maxAgeDays": D}}`, at least
 * one of the two per collection. Problems are pushed as messages naming `source` and the key; returns the
 * policies (undefined when the key is absent).
 */
export function parseRetention(value: unknown, source: string, problems: string[]): RetentionPolicies | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${source}: "retention" must be an object of collection names to {"keepVersions": N} and/or {"maxAgeDays": D}`);
    return undefined;
  }
  const policies: Record<string, RetentionPolicy> = {};
  for (const [collection, raw] of Object.entries(value as Record<string, unknown>)) {
    const key = `retention.${collection}`;
    if (!/^[A-Za-z0-9_\-.:]{1,200}$/.test(collection)) {
      problems.push(`${source}: "${key}": collection names are 1-200 characters of letters, digits, _ - . :`);
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push(`${source}: "${key}" must be an object with keepVersions and/or maxAgeDays`);
      continue;
    }
    const entry = raw as Record<string, unknown>;
    const unknownKeys = Object.keys(entry).filter((k) => k !== 'keepVersions' && k !== 'maxAgeDays');
    if (unknownKeys.length > 0) problems.push(`${source}: "${key}" has unknown keys ${unknownKeys.join(', ')} (allowed: keepVersions, maxAgeDays)`);
    const policy: { keepVersions?: number; maxAgeDays?: number } = {};
    const keep = entry['keepVersions'];
    if (keep !== undefined) {
      if (typeof keep !== 'number' || !Number.isSafeInteger(keep) || keep < 1) problems.push(`${source}: "${key}.keepVersions" must be an integer of at least 1`);
      else policy.keepVersions = keep;
    }
    const days = entry['maxAgeDays'];
    if (days !== undefined) {
      if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0) problems.push(`${source}: "${key}.maxAgeDays" must be a number greater than 0`);
      else policy.maxAgeDays = days;
    }
    if (keep === undefined && days === undefined) problems.push(`${source}: "${key}" needs keepVersions or maxAgeDays`);
    if (policy.keepVersions !== undefined || policy.maxAgeDays !== undefined) policies[collection] = policy;
  }
  return policies;
}
