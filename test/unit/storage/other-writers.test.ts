import { describe, expect, it } from 'vitest';
import { OtherWriters } from '../../../server/dist/storage/sqlite/other-writers.js';

/** A data_version that the test moves, counting its reads. */
function fakeFile() {
  const file = { version: 1, reads: 0 };
  return { file, read: () => (file.reads++, file.version) };
}
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('OtherWriters', () => {
  it('with several writers, looks once per event-loop turn and reports a commit by another process', async () => {
    const { file, read } = fakeFile();
    const writers = new OtherWriters(read);
    expect(writers.committedSinceLastLook(false)).toBe(true); // first look: nothing known yet
    file.version = 2;
    expect(writers.committedSinceLastLook(false)).toBe(false); // same turn: not looked again
    expect(file.reads).toBe(1);
    await nextTurn();
    expect(writers.committedSinceLastLook(false)).toBe(true);
    await nextTurn();
    expect(writers.committedSinceLastLook(false)).toBe(false); // looked, unchanged
    expect(file.reads).toBe(3);
  });

  it('as the only writer, looks at most every 5 ms, whatever the turns', async () => {
    const { file, read } = fakeFile();
    let clock = 1000;
    const writers = new OtherWriters(read, () => clock);
    writers.committedSinceLastLook(true);
    file.version = 2;
    await nextTurn();
    clock += 4;
    expect(writers.committedSinceLastLook(true)).toBe(false); // 4 ms after the last look: not looked again
    expect(file.reads).toBe(1);
    clock += 1;
    expect(writers.committedSinceLastLook(true)).toBe(true); // 5 ms: looked, and the other process's commit seen
    expect(writers.committedSinceLastLook(true)).toBe(false);
    expect(file.reads).toBe(2);
  });
});
