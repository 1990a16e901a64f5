/**
 * A page's own doc listener that throws. ShareDB's client answers an exception from a listener of an op it applies
 * with a hard rollback, which throws away every edit the server has not acknowledged yet; the documents of a
 * connect() client report the exception as the client's 'error' instead, and keep the edits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Doc } from 'sharedb/lib/client/index.js';
import { guardListeners, openDoc } from '@concord/client';
import type { TestServer } from '../../helpers/test-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { client, docId, runCleanup, server, serverDoc, type } from './client-fixture.js';

afterEach(runCleanup);

const serverText = async (s: TestServer, id: string): Promise<string> => (await serverDoc<string>(s, 'notes', id)).data;

describe('a doc listener that throws', () => {
  it('on the user\'s own edits: the edits still reach the server, the exception is reported', async () => {
    const s = await server();
    const { c, errors } = client(s.wsUrl);
    const id = docId();
    const doc = await openDoc<string>(c.connection, 'notes', id, { type: 'text-unicode', data: '' });
    const seen: string[] = [];
    doc.on('op', (_op, source) => {
      if (source) throw new Error('page bug on a local op');
    });
    doc.on('op', () => seen.push(doc.data));
    type(doc, 0, 'a');
    type(doc, 1, 'b');
    await waitFor('acknowledged', () => c.status.pending === 0);
    expect(await serverText(s, id)).toBe('ab');
    expect(doc.data).toBe('ab');
    // The listener after the failing one still saw every op.
    expect(seen).toEqual(['a', 'ab']);
    await waitFor('both reported', () => errors.length === 2);
    expect(errors.map((e) => e.message)).toEqual(['page bug on a local op', 'page bug on a local op']);
  });

  it('on other people\'s edits arriving while the user\'s wait: both survive, the exception is reported', async () => {
    const s = await server();
    const a = client(s.wsUrl);
    const b = client(s.wsUrl);
    const id = docId();
    const docA = await openDoc<string>(a.c.connection, 'notes', id, { type: 'text-unicode', data: 'base.' });
    const docB = await openDoc<string>(b.c.connection, 'notes', id, { type: 'text-unicode', data: 'base.' });
    docA.on('op', (_op, source) => {
      if (!source) throw new Error('page bug on a remote op');
    });
    // a's first edit is held on its way out (the server would queue b's edit behind it, per document).
    let release: (() => void) | undefined;
    const connection = a.c.connection as unknown as { send(message: unknown): void };
    const send = connection.send.bind(connection);
    connection.send = (message) => {
      if (JSON.stringify(message).includes(' mine')) release = () => send(message);
      else send(message);
    };
    type(docA, 5, ' mine');
    await waitFor('a\'s first edit held', () => release !== undefined);
    type(docA, 10, ' more'); // waits at a for the ack of the first
    type(docB, 0, 'theirs: '); // committed first, and sent to a
    await waitFor('b\'s edit at a', () => docA.data.startsWith('theirs: ') || a.errors.length > 0);
    release?.();
    await waitFor('a acknowledged', () => a.c.status.pending === 0 && b.c.status.pending === 0);
    await waitFor('b has a\'s edits', () => docB.data === 'theirs: base. mine more');
    expect(await serverText(s, id)).toBe('theirs: base. mine more');
    expect(docA.data).toBe('theirs: base. mine more');
    expect(a.errors.map((e) => e.message)).toContain('page bug on a remote op');
    expect(b.errors).toEqual([]);
  });

  it('on load: the document still opens and its subscription completes, the exception is reported', async () => {
    const s = await server();
    const { c, errors } = client(s.wsUrl);
    const id = docId();
    // ShareDB emits 'load' before it calls the fetch and subscribe callbacks: an exception there would leave
    // openDoc waiting for ever.
    c.connection.get('notes', id).on('load', () => {
      throw new Error('page bug on load');
    });
    let opened: Doc<string> | undefined;
    void openDoc<string>(c.connection, 'notes', id, { type: 'text-unicode', data: 'hello' }).then((d) => (opened = d));
    const doc = await waitFor('openDoc resolved', () => opened);
    expect(doc.subscribed).toBe(true);
    type(doc, 5, '!');
    await waitFor('acknowledged', () => c.status.pending === 0);
    expect(await serverText(s, id)).toBe('hello!');
    await waitFor('reported', () => errors.length > 0);
    expect(errors.map((e) => e.message)).toContain('page bug on load');
  });

  it('guardListeners on a doc the client already guards adds nothing, and its disposer leaves the client\'s guard', async () => {
    const s = await server();
    const { c, errors } = client(s.wsUrl);
    const doc = await openDoc<string>(c.connection, 'notes', docId(), { type: 'text-unicode', data: '' });
    const reported: string[] = [];
    // Already guarded by the client: a second guard adds nothing.
    const again = guardListeners(doc, (err) => reported.push(err.message));
    again();
    doc.on('op', () => {
      throw new Error('still guarded');
    });
    type(doc, 0, 'x');
    expect(doc.data).toBe('x');
    await waitFor('acknowledged', () => c.status.pending === 0);
    expect(reported).toEqual([]);
    await waitFor('reported to the client', () => errors.length === 1);
    expect(errors[0]?.message).toBe('still guarded');
  });
});
