/**
 * Submit observers (metrics, logs, the live status page, an embedder's own) run before the ack is sent: one that
 * throws must not cost the client its ack, nor leave the submit counted in flight (which would hang `close()`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, createMemoryStorage } from '@concord/server';

let engine: Engine | undefined;
afterEach(async () => {
  await within(engine?.close(), 'the engine to close (it waits for submits in flight)');
  engine = undefined;
});

/** `promise`, or a failure after 5 s: without its ack a submit's callback never runs. */
function within<T>(promise: Promise<T> | undefined, what: string): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 5000)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

describe('submit observers', () => {
  it('an observer that throws is reported, and the submit is still acknowledged and finished', async () => {
    const reported: Error[] = [];
    engine = new Engine({ storage: createMemoryStorage(), onError: (err) => reported.push(err) });
    const seen: string[] = [];
    engine.onSubmit(() => {
      throw new Error('observer broke');
    });
    engine.onSubmit((outcome) => seen.push(`${outcome.kind}@${outcome.v}`));
    const doc = engine.connect().get('notes', 'n1');
    await within(new Promise<void>((resolve, reject) => doc.create({ n: 0 }, 'json1', (err) => (err ? reject(err) : resolve()))), 'the create’s ack');
    await within(new Promise<void>((resolve, reject) => doc.submitOp(['n', { ena: 1 }], {}, (err) => (err ? reject(err) : resolve()))), 'the op’s ack');
    expect(doc.data).toEqual({ n: 1 });
    expect(doc.version).toBe(2);
    expect(engine.submitsInFlight).toBe(0);
    expect(seen).toEqual(['create@0', 'edit@1']); // the observers after the broken one still run
    expect(reported.map((e) => e.message)).toEqual(['observer broke', 'observer broke']);
  });
});
