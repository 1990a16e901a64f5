import type Database from 'better-sqlite3';
import { hostname as osHostname } from 'node:os';

/** Another server process with the same SQLite file open. */
export interface SharingProcess {
  readonly hostname: string;
  readonly pid: number;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms of its last heartbeat. */
  readonly heartbeatAt: number;
}

export interface ProcessRegistryOptions {
  /** How often this process refreshes its row and looks for others. Default 10000 ms. */
  readonly heartbeatMs?: number;
  /** A row whose heartbeat is older than this belongs to a dead process. Default 60000 ms. */
  readonly staleAfterMs?: number;
  /**
   * Called when processes appear that share the file with this one (at open, or later on a
   * heartbeat), with all of them. Without cross-process pub/sub, their clients do not see each
   * other's edits live.
   */
  readonly onSharedWithOtherProcess?: (others: readonly SharingProcess[]) => void;
  /** Non-fatal problems (a heartbeat that could not be written). */
  readonly warn?: (message: string) => void;
}

interface ProcessRow {
  hostname: string;
  pid: number;
  started_at: number;
  heartbeat_at: number;
}

/**
 * Keeps one row per live process in the `processes` table, so that a process can tell when it is
 * not alone on the file. On this host a process counts as alive while its pid exists; on another
 * host (a shared volume) while its heartbeat is fresh. Rows of dead processes are removed.
 *
 * Lifecycle: `start()` registers and checks at once, then on every heartbeat (an unref'd timer);
 * `stop()` clears the timer and removes this process's row.
 */
export class ProcessRegistry {
  private readonly hostname = osHostname();
  private readonly pid = process.pid;
  private readonly startedAt = Date.now();
  private readonly reported = new Set<string>();
  private readonly upsert: Database.Statement<[string, number, number, number]>;
  private readonly list: Database.Statement<[], ProcessRow>;
  private readonly remove: Database.Statement<[string, number]>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    database: Database.Database,
    private readonly options: ProcessRegistryOptions = {},
  ) {
    this.upsert = database.prepare(
      `INSERT INTO processes (hostname, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (hostname, pid) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
    );
    this.list = database.prepare('SELECT hostname, pid, started_at, heartbeat_at FROM processes');
    this.remove = database.prepare('DELETE FROM processes WHERE hostname = ? AND pid = ?');
  }

  start(): void {
    if (this.timer) return;
    this.beat();
    this.timer = setInterval(() => this.beat(), this.options.heartbeatMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      this.remove.run(this.hostname, this.pid);
    } catch {
      // Closing anyway; a leftover row is recognised as dead by the next process.
    }
  }

  /** Refreshes this process's row and returns the other live processes. Throws on SQLite errors. */
  check(): SharingProcess[] {
    const now = Date.now();
    this.upsert.run(this.hostname, this.pid, this.startedAt, now);
    const staleAfterMs = this.options.staleAfterMs ?? 60_000;
    const others: SharingProcess[] = [];
    for (const row of this.list.all()) {
      if (row.hostname === this.hostname && row.pid === this.pid) continue;
      const fresh = now - row.heartbeat_at <= staleAfterMs;
      const alive = fresh && (row.hostname !== this.hostname || isPidAlive(row.pid));
      if (!alive) this.remove.run(row.hostname, row.pid);
      else others.push({ hostname: row.hostname, pid: row.pid, startedAt: row.started_at, heartbeatAt: row.heartbeat_at });
    }
    return others;
  }

  private beat(): void {
    let others: SharingProcess[];
    try {
      others = this.check();
    } catch (error) {
      this.options.warn?.(`storage: could not write the process heartbeat: ${(error as Error).message}`);
      return;
    }
    const fresh = others.filter((other) => !this.reported.has(`${other.hostname}:${other.pid}`));
    if (fresh.length === 0) return;
    for (const other of fresh) this.reported.add(`${other.hostname}:${other.pid}`);
    try {
      this.options.onSharedWithOtherProcess?.(others);
    } catch (error) {
      this.options.warn?.(`storage: onSharedWithOtherProcess threw: ${(error as Error).message}`);
    }
  }
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
