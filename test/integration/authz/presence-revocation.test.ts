/**
 * Presence of a user whose access is revoked. Bob, granted `write` (which includes presence) on Alice's note, shows
 * his cursor; Alice revokes the grant. From then on Bob may not publish presence there, but his withdrawal (when he
 * clears it, or when his connection ends and ShareDB withdraws for him) still has to reach Alice: refusing it left
 * his cursor on her screen for good.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from 'sharedb/lib/client/index.js';
import { createJwtAuthenticator } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { cb, connectAs, RULES, SECRET, token } from './authz-helpers.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setAcl(server: TestServer, who: string, id: string, grants: unknown[]): Promise<number> {
  const res = await fetch(`${server.httpUrl}/api/docs/notes/${id}/acl`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${await token(who, ['user'])}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ grants }),
  });
  return res.status;
}

async function presenceOn(connection: Connection, id: string): Promise<ReturnType<Connection['getDocPresence']>> {
  await cb((done) => connection.get('notes', id).subscribe(done));
  const presence = connection.getDocPresence('notes', id);
  await cb((done) => presence.subscribe(done));
  return presence;
}

describe('presence after a grant is revoked', () => {
  for (const how of ['clears it', 'disconnects'] as const) {
    it(`the revoked user's cursor leaves when he ${how}`, async () => {
      const server = await startTestServer({ auth: createJwtAuthenticator({ secret: SECRET }), rules: RULES });
      cleanup.push(() => server.close());
      const alice = await connectAs(server.wsUrl, 'alice', ['user']);
      const bob = await connectAs(server.wsUrl, 'bob', ['user']);
      cleanup.push(() => alice.close(), () => bob.close());
      const id = `revoked-${how.replace(' ', '-')}`;
      await cb((done) => alice.connection.get('notes', id).create('hello', 'text-unicode', done));
      expect(await setAcl(server, 'alice', id, [{ sub: 'bob', access: 'write' }])).toBe(200);
      const seen = await presenceOn(alice.connection, id);
      const bobPresence = await presenceOn(bob.connection, id);
      const cursor = bobPresence.create('bob-cursor');
      await cb((done) => cursor.submit({ index: 0, length: 0 }, done));
      await waitFor("Bob's cursor at Alice", () => seen.remotePresences['bob-cursor']);

      expect(await setAcl(server, 'alice', id, [])).toBe(200);
      // Bob may no longer show himself there.
      const moved = await new Promise<unknown>((resolve) => cursor.submit({ index: 1, length: 0 }, resolve));
      expect((moved as { code?: string } | undefined)?.code).toBe('ERR_FORBIDDEN');

      if (how === 'clears it') cursor.submit(null, () => undefined);
      else bob.socket.terminate();
      await waitFor("Bob's cursor gone at Alice", () => seen.remotePresences['bob-cursor'] === undefined, 5_000);
    });
  }
});
