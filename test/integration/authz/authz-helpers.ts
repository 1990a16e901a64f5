/** Principals with HS256 tokens, a rules config, and promise helpers over the stock client for the authz tests. */
import { SignJWT } from 'jose';
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import { connectStock, type StockClient } from '../../helpers/stock-client.js';

export const SECRET = 'authz-tests-secret-of-at-least-32-bytes!';

/** notes: users create; nothing else by role, so reading another's note takes ownership, a grant or admin. */
export const RULES = {
  collections: {
    '*': { read: ['user'], create: ['user'] },
    notes: { read: [], create: ['user'], presence: [] },
  },
};

export async function token(sub: string, roles: string[], ttlSec = 3600): Promise<string> {
  return new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub)
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSec).sign(new TextEncoder().encode(SECRET));
}

export async function connectAs(wsUrl: string, sub: string, roles: string[], ttlSec?: number): Promise<StockClient> {
  return connectStock(wsUrl, { headers: { Authorization: `Bearer ${await token(sub, roles, ttlSec)}` } });
}

/** 'ok', or the error code a call failed with. */
export async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

export function cb<T = void>(fn: (done: (err?: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

/** A doc handle that believes it holds `data` at version `v`, to submit without reading first (as a hostile client could). */
export function blindDoc(connection: Connection, collection: string, id: string, v: number, data: unknown, type = 'http://sharejs.org/types/JSONv0'): Doc {
  const doc = connection.get(collection, id);
  // A rejected op makes the stock client fetch again to roll back; where that fetch is refused too, the Doc
  // emits 'error' (which would throw without a listener) and then fails the op's callback.
  doc.on('error', () => undefined);
  doc.ingestSnapshot({ v, type, data } as never, () => undefined);
  return doc;
}
