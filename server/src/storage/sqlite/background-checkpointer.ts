import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Durability } from './open-database.js';

export interface BackgroundCheckpointerOptions {
  /** The file, and the connection that writes it (its automatic checkpoints become a backstop only). */
  readonly filename: string;
  readonly database: Database.Database;
  readonly durability: Durability;
  /** Default 200 ms. */
  readonly intervalMs?: number;
  /** Checkpoints that failed other than by contention. */
  readonly warn?: (message: string) => void;
}

/**
 * Moves WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit that crosses
 * 1,000 WAL pages, on the writing connection: it copies the pages into the database file and fsyncs twice, and with
 * better-sqlite3 that blocks the event loop (about 40% of the time a write-heavy load spends in SQLite). Here a
 * worker thread with its own connection runs PASSIVE checkpoints every `intervalMs`; the writer's own automatic
 * checkpoint is raised to 10,000 pages (a 40 MB WAL), so it only runs if the worker falls far behind. Checkpoints are crash-safe
 * whoever runs them, so durability is unchanged.
 */
export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private running = true;

  constructor(options: BackgroundCheckpointerOptions) {
    options.database.pragma('wal_autocheckpoint = 10000');
    this.worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
      workerData: {
        filename: options.filename,
        intervalMs: options.intervalMs ?? 200,
        synchronous: options.durability === 'power' ? 'FULL' : 'NORMAL',
      },
    });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => {
      this.running = false;
      resolve();
    }));
    this.worker.on('message', (message: { ok: boolean; message?: string }) => {
      if (!message.ok && !/busy|locked/i.test(message.message ?? '')) options.warn?.(`WAL checkpoint failed: ${message.message}`);
    });
    this.worker.on('error', (error) => {
      options.warn?.(`WAL checkpoint worker stopped: ${error.message}; the writer checkpoints by itself`);
      options.database.pragma('wal_autocheckpoint = 1000');
    });
  }

  /**
   * Runs a last checkpoint and ends the worker. Idempotent. The worker is referenced again while it stops: unref'd,
   * a process with nothing else left to do (a start that failed to listen) exited with code 0 before the worker
   * had run its last checkpoint, with the promise of this stop never settled.
   */
  stop(): Promise<void> {
    if (this.running) {
      this.worker.ref();
      this.worker.postMessage('stop');
    }
    return this.exited;
  }
}
