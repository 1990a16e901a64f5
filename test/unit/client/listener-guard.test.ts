/**
 * guardListeners on a ShareDB doc of an in-process backend: each listener of a guarded event runs on its own, a
 * `once` listener still runs once, an exception is reported with its event after the emit, other events are left to
 * EventEmitter, and the disposer restores the doc's own emit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import ShareDB from 'sharedb';
import type { Doc } from 'sharedb/lib/client/index.js';
import { guardListeners } from '@concord/client';

let backend: ShareDB | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (backend ? backend.close(() => resolve()) : resolve()));
  backend = undefined;
});

async function newDoc(): Promise<Doc> {
  backend = new ShareDB();
  const doc = backend.connect().get('notes', 'guarded');
  await new Promise<void>((resolve, reject) => doc.create({ n: 0 }, (err) => (err ? reject(err) : resolve())));
  return doc;
}

async function serverData(): Promise<unknown> {
  const doc = backend?.connect().get('notes', 'guarded');
  if (!doc) throw new Error('no backend');
  await new Promise<void>((resolve, reject) => doc.fetch((err) => (err ? reject(err) : resolve())));
  return doc.data;
}

const flushMicrotasks = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('guardListeners', () => {
  it('runs every listener of an op on its own, once-listeners once, and reports the failure with its event', async () => {
    const doc = await newDoc();
    const reported: Array<[string, string]> = [];
    guardListeners(doc, (err, event) => reported.push([event, err.message]));
    const calls: string[] = [];
    doc.on('op', () => {
      throw new Error('first listener failed');
    });
    doc.once('op', () => calls.push('once'));
    doc.on('op', () => calls.push('after'));
    doc.submitOp([{ p: ['n'], na: 1 }]);
    doc.submitOp([{ p: ['n'], na: 1 }]);
    expect(doc.data).toEqual({ n: 2 });
    expect(calls).toEqual(['once', 'after', 'after']);
    expect(reported).toEqual([]); // reported after the emit, not inside ShareDB's apply
    await flushMicrotasks();
    expect(reported).toEqual([['op', 'first listener failed'], ['op', 'first listener failed']]);
    // Neither edit was rolled back: both reach the server.
    await new Promise<void>((resolve) => doc.whenNothingPending(() => resolve()));
    expect(await serverData()).toEqual({ n: 2 });
  });

  it('leaves other events to EventEmitter, and the disposer restores the doc\'s own emit', async () => {
    const doc = await newDoc();
    const emitter = doc as unknown as NodeJS.EventEmitter;
    const own = emitter.emit;
    const dispose = guardListeners(doc, () => undefined);
    expect(emitter.emit).not.toBe(own);
    expect(() => emitter.emit('error', new Error('nobody listens'))).toThrow('nobody listens');
    dispose();
    expect(emitter.emit).toBe(own);
    doc.on('op', () => {
      throw new Error('unguarded');
    });
    expect(() => emitter.emit('op', [], false)).toThrow('unguarded');
  });
});
