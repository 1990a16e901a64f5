/**
 * Worker thread of `BackgroundCheckpointer`: its own connection to the file, a PASSIVE checkpoint every
 * `intervalMs` (it copies WAL frames into the database file and fsyncs, without blocking writers or readers), and
 * a message back with the result. Started with `workerData: { filename, intervalMs, synchronous }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

interface CheckpointWorkerData {
  readonly filename: string;
  readonly intervalMs: number;
  readonly synchronous: 'NORMAL' | 'FULL';
}

const { filename, intervalMs, synchronous } = workerData as CheckpointWorkerData;
const database = new Database(filename, { fileMustExist: true, timeout: 0 });
database.pragma(`synchronous = ${synchronous}`);
database.pragma('wal_autocheckpoint = 0');

const checkpoint = (): void => {
  try {
    const [row] = database.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    parentPort?.postMessage({ ok: true, ...row });
  } catch (error) {
    // SQLITE_BUSY: another process is checkpointing; anything else is reported and retried next time.
    parentPort?.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
};
const timer = setInterval(checkpoint, intervalMs);
parentPort?.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  database.close();
  parentPort?.close();
});
