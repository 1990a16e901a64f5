/**
 * One 'receive' listener per connection for pruned-history recovery: it routes the server's ops and read replies to
 * the recovering documents and turns their ERR_HISTORY_PRUNED refusals into quiet ones before ShareDB's client acts.
 */
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import type { OpMessage } from './server-shadow.js';
import { isPruned, SILENT } from './pruned-error.js';
import type { DocRecovery } from './doc-recovery.js';

interface ReadReply {
  a: 's' | 'f' | 'bs' | 'bf';
  c: string;
  d?: string;
  b?: string[] | Record<string, unknown>;
  data?: Record<string, { error?: unknown } | undefined>;
  error?: unknown;
}

export class ConnectionHook {
  private readonly docs = new Map<string, Map<string, DocRecovery>>();
  private readonly onReceive = (request: { data: unknown }): void => this.receive(request);
  private readonly onState = (): void => {
    for (const byId of this.docs.values()) for (const recovery of byId.values()) recovery.readsMaybeSettled();
  };

  constructor(private readonly connection: Connection) {
    connection.on('receive', this.onReceive);
    connection.on('state', this.onState);
  }

  get(doc: Doc): DocRecovery | undefined {
    return this.docs.get(doc.collection)?.get(doc.id);
  }

  add(recovery: DocRecovery): void {
    const { collection, id } = recovery.doc;
    let byId = this.docs.get(collection);
    if (!byId) this.docs.set(collection, (byId = new Map()));
    byId.set(id, recovery);
  }

  remove(recovery: DocRecovery): void {
    const { collection, id } = recovery.doc;
    const byId = this.docs.get(collection);
    if (byId?.get(id) === recovery) byId.delete(id);
    if (byId?.size === 0) this.docs.delete(collection);
    if (this.docs.size === 0) {
      this.connection.off('receive', this.onReceive);
      this.connection.off('state', this.onState);
      hooks.delete(this.connection);
    }
  }

  private find(collection: unknown, id: unknown): DocRecovery | undefined {
    return typeof collection === 'string' && typeof id === 'string' ? this.docs.get(collection)?.get(id) : undefined;
  }

  private receive(request: { data: unknown }): void {
    const message = request.data as { a?: unknown } | null;
    if (typeof message !== 'object' || message === null) return;
    switch (message.a) {
      case 'op': {
        const m = message as OpMessage;
        if (this.find(m.c, m.d)?.onOp(m)) request.data = null;
        return;
      }
      case 's':
      case 'f': {
        const m = message as ReadReply;
        const recovery = this.find(m.c, m.d);
        if (!recovery) return;
        if (isPruned(m.error)) {
          recovery.readRefused(m.a, m.error, true);
          m.error = SILENT;
        }
        recovery.readsMaybeSettled();
        return;
      }
      case 'bs':
      case 'bf':
        return this.bulk(message as ReadReply);
      default:
    }
  }

  /** A bulk reply: refusals of our docs become quiet per-document ones; others' errors are left as they were. */
  private bulk(m: ReadReply): void {
    const byId = this.docs.get(m.c);
    if (!byId) return;
    if (m.error !== undefined && m.b) {
      const ids = Array.isArray(m.b) ? m.b : Object.keys(m.b);
      if (!isPruned(m.error) || !ids.some((id) => byId.has(id))) return;
      const error = m.error;
      m.data = Object.fromEntries(ids.map((id) => [id, { error: byId.has(id) ? SILENT : error }]));
      delete m.b;
      delete m.error;
      for (const id of ids) byId.get(id)?.readRefused(m.a, error, false);
    } else if (m.data) {
      for (const [id, entry] of Object.entries(m.data)) {
        const recovery = byId.get(id);
        if (!recovery || !entry || !isPruned(entry.error)) continue;
        recovery.readRefused(m.a, entry.error, false);
        entry.error = SILENT;
      }
    }
    for (const recovery of byId.values()) recovery.readsMaybeSettled();
  }
}

const hooks = new WeakMap<Connection, ConnectionHook>();

/** The connection's hook, created on first use. */
export function hookOf(connection: Connection): ConnectionHook {
  let hook = hooks.get(connection);
  if (!hook) hooks.set(connection, (hook = new ConnectionHook(connection)));
  return hook;
}
