/**
 * Reads what a (dead or stopped) server left in its SQLite file, straight from the file with a read-only
 * connection, and checks it against a marker ledger: acknowledged ⊆ stored ⊆ acknowledged ∪ in flight, every
 * marker exactly once in the log and in the snapshot, versions contiguous from the create, and the snapshot equal
 * to a replay of its log with the OT types' own `apply`.
 */
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import ShareDB from 'sharedb';
import { registerTypes, type OTType, type TypeRegistry } from '@concord/shared';
import { markersIn, type Ledger } from './marker-load.js';

registerTypes(ShareDB.types as unknown as TypeRegistry);

export interface StoredOp {
  readonly v: number;
  readonly create?: { type: string; data?: unknown };
  readonly op?: unknown;
  readonly del?: boolean;
  readonly m?: { ts?: number; user?: string };
}

export interface StoredDoc {
  readonly id: string;
  readonly type: string | null;
  readonly v: number;
  readonly data: unknown;
  readonly ops: readonly StoredOp[];
}

/** Every document of `collection` with its whole op log, read from `<dataDir>/concord.sqlite` without writing. */
export function readStore(dataDir: string, collection: string): StoredDoc[] {
  const db = new Database(join(dataDir, 'concord.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const docs = db.prepare<[string], { id: string; type: string | null; v: number; data: string | null }>(
      'SELECT id, type, v, data FROM snapshots WHERE collection = ? ORDER BY id').all(collection);
    const ops = db.prepare<[string, string], { v: number; op: string }>(
      'SELECT v, op FROM ops WHERE collection = ? AND id = ? ORDER BY v');
    return docs.map((row) => ({
      id: row.id,
      type: row.type,
      v: row.v,
      data: row.data === null ? undefined : JSON.parse(row.data),
      ops: ops.all(collection, row.id).map((r) => ({ ...(JSON.parse(r.op) as object), v: r.v })),
    }));
  } finally {
    db.close();
  }
}

/** Milestone versions per document, read-only. */
export function readMilestones(dataDir: string, collection: string): Map<string, number[]> {
  const db = new Database(join(dataDir, 'concord.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare<[string], { id: string; v: number }>(
      'SELECT id, v FROM milestones WHERE collection = ? ORDER BY id, v').all(collection);
    const out = new Map<string, number[]>();
    for (const { id, v } of rows) out.set(id, [...(out.get(id) ?? []), v]);
    return out;
  } finally {
    db.close();
  }
}

function typeNamed(name: string): OTType {
  const type = (ShareDB.types.map as Record<string, OTType | undefined>)[name];
  if (!type) throw new Error(`unknown OT type ${name}`);
  return type;
}

/** Problems of one document's log on its own: gaps, a log not starting with a create, a replay that differs. */
export function checkLog(doc: StoredDoc): string[] {
  const problems: string[] = [];
  const versions = doc.ops.map((op) => op.v);
  const expected = Array.from({ length: doc.v }, (_, v) => v);
  if (!isDeepStrictEqual(versions, expected)) {
    problems.push(`${doc.id}: op versions ${summary(versions)} are not 0..${doc.v - 1}`);
    return problems;
  }
  let type: OTType | null = null;
  let data: unknown;
  for (const op of doc.ops) {
    if (op.create) {
      if (type) problems.push(`${doc.id}: create at v${op.v} of an existing document`);
      type = typeNamed(op.create.type);
      data = type.create(op.create.data);
    } else if (op.del) {
      type = null;
      data = undefined;
    } else {
      if (!type) {
        problems.push(`${doc.id}: op at v${op.v} on a missing document`);
        return problems;
      }
      data = type.apply(data, op.op);
    }
  }
  const replayed = data === undefined ? undefined : JSON.parse(JSON.stringify(data));
  const accepted: Array<string | null> = type ? [type.uri, type.name] : [null];
  if (!accepted.includes(doc.type)) {
    problems.push(`${doc.id}: snapshot type ${String(doc.type)}, replay gives ${String(type?.uri)}`);
  }
  if (!isDeepStrictEqual(replayed, doc.data)) {
    problems.push(`${doc.id}: snapshot v${doc.v} differs from the replay of its log:\n  stored   ${JSON.stringify(doc.data)}\n  replayed ${JSON.stringify(replayed)}`);
  }
  return problems;
}

export interface CycleFigures {
  /** Markers of the cycle the server acknowledged. */
  readonly acknowledged: number;
  /** Markers of the cycle found in the store. */
  readonly stored: number;
  /** Markers of the cycle submitted but not acknowledged when the server died (sent, or pending in the client). */
  readonly inFlight: number;
  /** Of those, the ones that had left the client in an op message. */
  readonly inFlightSent: number;
  /** Markers of the cycle stored although never acknowledged (a subset of the in-flight ones). */
  readonly storedNotAcked: number;
  /** Submits the server answered with an error. */
  readonly failed: number;
}

export interface StoreCheck {
  readonly problems: string[];
  /** Every marker in the store (log) with its document. */
  readonly stored: ReadonlyMap<string, string>;
  figures(cycle: number): CycleFigures;
}

/** Checks every document's log and the markers of the whole store against the ledger (all cycles so far). */
export function checkStore(docs: readonly StoredDoc[], ledger: Ledger): StoreCheck {
  const problems: string[] = [];
  const stored = new Map<string, string>();
  for (const doc of docs) {
    problems.push(...checkLog(doc));
    const inLog = new Map<string, number>();
    for (const op of doc.ops) for (const marker of markersIn(op.op)) inLog.set(marker, (inLog.get(marker) ?? 0) + 1);
    const inSnapshot = new Map<string, number>();
    for (const marker of markersIn(doc.data)) inSnapshot.set(marker, (inSnapshot.get(marker) ?? 0) + 1);
    for (const [marker, count] of inLog) {
      if (count !== 1) problems.push(`${doc.id}: ${marker} is ${count} times in the log`);
      if (inSnapshot.get(marker) !== 1) problems.push(`${doc.id}: ${marker} is in the log but ${inSnapshot.get(marker) ?? 0} times in the snapshot`);
      stored.set(marker, doc.id);
    }
    for (const marker of inSnapshot.keys()) {
      if (!inLog.has(marker)) problems.push(`${doc.id}: ${marker} is in the snapshot but not in the log`);
    }
  }
  for (const [marker, record] of ledger.markers) {
    if (record.state === 'acked' && !stored.has(marker)) problems.push(`acknowledged ${marker} (${record.doc}) is not stored`);
  }
  for (const [marker, doc] of stored) {
    const record = ledger.markers.get(marker);
    if (!record) problems.push(`stored ${marker} was never sent`);
    else if (record.doc !== doc) problems.push(`${marker} was sent to ${record.doc} but is stored in ${doc}`);
    else if (record.state === 'failed') problems.push(`${marker} was answered with ${String(record.error)} but is stored`);
    else if (!record.sentOnWire) problems.push(`${marker} is stored but never left its client`);
  }
  return {
    problems,
    stored,
    figures: (cycle) => {
      let storedCount = 0;
      let storedNotAcked = 0;
      for (const [marker, record] of ledger.markers) {
        if (record.cycle !== cycle || !stored.has(marker)) continue;
        storedCount++;
        if (record.state !== 'acked') storedNotAcked++;
      }
      return {
        acknowledged: ledger.count(cycle, 'acked'),
        stored: storedCount,
        inFlight: ledger.count(cycle, 'in-flight'),
        inFlightSent: ledger.count(cycle, 'in-flight', true),
        storedNotAcked,
        failed: ledger.count(cycle, 'failed'),
      };
    },
  };
}

function summary(versions: readonly number[]): string {
  return versions.length <= 10 ? `[${versions.join(',')}]` : `[${versions.slice(0, 5).join(',')},…,${versions.slice(-5).join(',')}] (${versions.length})`;
}
