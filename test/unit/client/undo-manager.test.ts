/**
 * Undo only ever reverts the user's own edits, on interleavings with another user's, for rich-text (Quill) and
 * json1 (whiteboard) documents.
 */
import { describe, expect, it } from 'vitest';
import { Delta, json1Undo, richTextUndo, UndoManager, insertOp, removeOp, replaceOp, type DeltaLike, type JSONOp, type JsonValue } from '@concord/client';
import { json1Type, richTextType } from '@concord/shared';
import { Peer, sync, type OtType } from './undo-sim.js';

const richText: OtType<Delta, DeltaLike> = {
  ...richTextUndo,
  apply: (doc, op) => new Delta(richTextType.apply(doc, op) as DeltaLike),
};
const json: OtType<JSONOp, JsonValue | undefined> = {
  ...json1Undo,
  apply: (doc, op) => json1Type.apply(doc, op) as JsonValue,
};

const text = (doc: DeltaLike): string => doc.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');
const ins = (at: number, s: string): Delta => new Delta().retain(at).insert(s);
const del = (at: number, n: number): Delta => new Delta().retain(at).delete(n);

function textPeers(initial = ''): [Peer<Delta, DeltaLike>, Peer<Delta, DeltaLike>] {
  const doc = new Delta().insert(initial);
  return [
    new Peer('A', richText, new UndoManager(richTextUndo, { captureMs: 0 }), doc),
    new Peer('B', richText, new UndoManager(richTextUndo, { captureMs: 0 }), doc),
  ];
}

describe('rich-text undo', () => {
  it('A types, B types inside A’s text, A undoes: B’s text stays', () => {
    const [a, b] = textPeers();
    a.edit(ins(0, 'hello world'));
    sync(a, b);
    b.edit(ins(5, ' big'));
    sync(b, a);
    expect(text(a.doc)).toBe('hello big world');
    a.undoStep();
    sync(a, b);
    expect(text(a.doc)).toBe(' big');
    expect(text(b.doc)).toBe(' big');
  });

  it('concurrently: B types inside A’s text before seeing A’s later edit, and A undoes only its own', () => {
    const [a, b] = textPeers('abc');
    a.edit(ins(3, 'DEF'));
    sync(a, b);
    a.edit(del(0, 1)); // A deletes "a" ...
    b.edit(ins(4, '+')); // ... while B types inside "DEF"
    sync(a, b);
    expect(text(a.doc)).toBe('bcD+EF');
    a.undoStep(); // undo the delete of "a"
    a.undoStep(); // undo the typing of "DEF"
    sync(a, b);
    expect(text(a.doc)).toBe('abc+');
    expect(text(b.doc)).toBe(text(a.doc));
  });

  it('undo of text another user deleted does nothing; the next undo takes the step before', () => {
    const [a, b] = textPeers();
    a.edit(ins(0, 'keep '));
    a.edit(ins(5, 'gone'));
    sync(a, b);
    b.edit(del(5, 4));
    sync(b, a);
    expect(text(a.doc)).toBe('keep ');
    // One key press, one step: the emptied "gone" step is taken and nothing happens. Undoing "keep " with the same
    // press would remove text the user did not ask to undo.
    expect(a.undoStep()).toBe(false);
    expect(text(a.doc)).toBe('keep ');
    expect(a.undo.canUndo).toBe(true);
    expect(a.undoStep()).toBe(true);
    sync(a, b);
    expect(text(b.doc)).toBe('');
    expect(a.undoStep()).toBe(false);
    expect(a.undo.canUndo).toBe(false);
  });

  it('undo of formatting keeps text another user typed inside it', () => {
    const [a, b] = textPeers('hello');
    a.edit(new Delta().retain(5, { bold: true }));
    sync(a, b);
    b.edit(ins(2, 'XX'));
    sync(b, a);
    a.undoStep();
    sync(a, b);
    expect(b.doc.ops).toEqual([{ insert: 'heXXllo' }]);
    expect(a.doc.ops).toEqual(b.doc.ops);
  });

  it('redo after remote ops re-applies the step where it belongs now', () => {
    const [a, b] = textPeers('[]');
    a.edit(ins(1, 'mine'));
    sync(a, b);
    a.undoStep();
    sync(a, b);
    b.edit(ins(0, 'theirs '));
    b.edit(ins(8, '!'));
    sync(b, a);
    expect(text(a.doc)).toBe('theirs [!]');
    a.undoStep('redo');
    sync(a, b);
    expect(text(a.doc)).toMatch(/^theirs \[(mine!|!mine)\]$/);
    expect(text(b.doc)).toBe(text(a.doc));
  });

  it('groups own edits within the capture time into one step', () => {
    let now = 0;
    const undo = new UndoManager(richTextUndo, { captureMs: 500, now: () => now });
    const peer = new Peer('A', richText, undo, new Delta());
    for (const [i, ch] of [...'abc'].entries()) {
      now = i * 100;
      peer.edit(ins(i, ch));
    }
    now = 5000;
    peer.edit(ins(3, 'd'));
    peer.undoStep();
    expect(text(peer.doc)).toBe('abc');
    peer.undoStep();
    expect(text(peer.doc)).toBe('');
  });

  it('keeps every own edit between startCapturing and stopCapturing in one step, however far apart', () => {
    let now = 0;
    const undo = new UndoManager(richTextUndo, { captureMs: 500, now: () => now });
    const peer = new Peer('A', richText, undo, new Delta());
    peer.edit(ins(0, 'x'));
    now = 100;
    undo.startCapturing();
    for (const [i, ch] of [...'abc'].entries()) {
      now += 2000;
      peer.edit(ins(1 + i, ch));
    }
    undo.stopCapturing();
    now += 100;
    peer.edit(ins(4, 'd'));
    expect(text(peer.doc)).toBe('xabcd');
    peer.undoStep();
    expect(text(peer.doc)).toBe('xabc');
    peer.undoStep();
    expect(text(peer.doc)).toBe('x');
    peer.undoStep();
    expect(text(peer.doc)).toBe('');
  });
});

type Board = { shapes: Record<string, { x: number; y: number; color: string }> };

function boardPeers(board: Board): [Peer<JSONOp, JsonValue | undefined>, Peer<JSONOp, JsonValue | undefined>] {
  const doc = board as unknown as JsonValue;
  return [
    new Peer('A', json, new UndoManager(json1Undo, { captureMs: 0 }), doc),
    new Peer('B', json, new UndoManager(json1Undo, { captureMs: 0 }), doc),
  ];
}

const shape = (doc: JsonValue | undefined, id: string): unknown => (doc as unknown as Board).shapes[id];

describe('json1 undo', () => {
  const start: Board = { shapes: { s1: { x: 10, y: 10, color: 'red' } } };

  it('A moves a shape, B recolours it, A undoes: the position reverts, the colour stays', () => {
    const [a, b] = boardPeers(start);
    a.edit(replaceOp(a.doc, ['shapes', 's1', 'x'], 200));
    sync(a, b);
    b.edit(replaceOp(b.doc, ['shapes', 's1', 'color'], 'blue'));
    sync(b, a);
    a.undoStep();
    sync(a, b);
    expect(shape(a.doc, 's1')).toEqual({ x: 10, y: 10, color: 'blue' });
    expect(b.doc).toEqual(a.doc);
  });

  it('concurrent move and recolour: the same outcome', () => {
    const [a, b] = boardPeers(start);
    a.edit(replaceOp(a.doc, ['shapes', 's1', 'x'], 200));
    b.edit(replaceOp(b.doc, ['shapes', 's1', 'color'], 'blue'));
    sync(a, b);
    a.undoStep();
    sync(a, b);
    expect(shape(b.doc, 's1')).toEqual({ x: 10, y: 10, color: 'blue' });
    expect(b.doc).toEqual(a.doc);
  });

  it('never overwrites a later value another user set on the same field', () => {
    const [a, b] = boardPeers(start);
    a.edit(replaceOp(a.doc, ['shapes', 's1', 'x'], 200));
    sync(a, b);
    b.edit(replaceOp(b.doc, ['shapes', 's1', 'x'], 300));
    sync(b, a);
    a.undoStep();
    sync(a, b);
    expect(shape(a.doc, 's1')).toEqual({ x: 300, y: 10, color: 'red' });
    expect(b.doc).toEqual(a.doc);
  });

  it('undo of a move that lost to another user’s concurrent move does nothing: the shape is not deleted', () => {
    // A adds a shape and drags it while B drags it too; B's position wins. A's one undo takes the drag step, which
    // B's value has emptied: the shape stays where B put it, it is not un-added.
    const [a, b] = boardPeers(start);
    a.edit(insertOp(['shapes', 's2'], { x: 1, y: 2, color: 'green' }));
    sync(a, b);
    a.edit(replaceOp(a.doc, ['shapes', 's2', 'x'], 340));
    b.edit(replaceOp(b.doc, ['shapes', 's2', 'y'], 290));
    b.edit(replaceOp(b.doc, ['shapes', 's2', 'x'], 40));
    sync(b, a); // B's moves are ordered first and win the contested x over A's concurrent move
    expect(shape(a.doc, 's2')).toEqual({ x: 40, y: 290, color: 'green' });
    expect(a.undoStep()).toBe(false);
    sync(a, b);
    expect(shape(a.doc, 's2')).toEqual({ x: 40, y: 290, color: 'green' });
    expect(shape(b.doc, 's2')).toEqual({ x: 40, y: 290, color: 'green' });
    // Only a second, deliberate undo takes back the add.
    expect(a.undoStep()).toBe(true);
    sync(a, b);
    expect(shape(b.doc, 's2')).toBeUndefined();
    expect(b.doc).toEqual(a.doc);
  });

  it('undo of a shape another user deleted does nothing (no resurrection, no error)', () => {
    const [a, b] = boardPeers(start);
    a.edit(insertOp(['shapes', 's2'], { x: 1, y: 2, color: 'green' }));
    a.edit(replaceOp(a.doc, ['shapes', 's2', 'x'], 50));
    sync(a, b);
    b.edit(removeOp(b.doc, ['shapes', 's2']));
    sync(b, a);
    expect(a.undoStep()).toBe(false);
    sync(a, b);
    expect(shape(a.doc, 's2')).toBeUndefined();
    expect(b.doc).toEqual(a.doc);
  });

  it('undo of an own delete brings the shape back as it was, with edits made since by others', () => {
    const [a, b] = boardPeers({ shapes: { s1: { x: 10, y: 10, color: 'red' }, s2: { x: 5, y: 5, color: 'teal' } } });
    a.edit(removeOp(a.doc, ['shapes', 's1']));
    sync(a, b);
    b.edit(replaceOp(b.doc, ['shapes', 's2', 'color'], 'pink'));
    sync(b, a);
    a.undoStep();
    sync(a, b);
    expect(a.doc).toEqual({ shapes: { s1: { x: 10, y: 10, color: 'red' }, s2: { x: 5, y: 5, color: 'pink' } } });
    expect(b.doc).toEqual(a.doc);
  });

  it('redo after remote ops', () => {
    const [a, b] = boardPeers(start);
    a.edit(replaceOp(a.doc, ['shapes', 's1', 'y'], 99));
    a.undoStep();
    sync(a, b);
    b.edit(replaceOp(b.doc, ['shapes', 's1', 'color'], 'black'));
    b.edit(insertOp(['shapes', 's3'], { x: 0, y: 0, color: 'red' }));
    sync(b, a);
    expect(a.undoStep('redo')).toBe(true);
    sync(a, b);
    expect(shape(a.doc, 's1')).toEqual({ x: 10, y: 99, color: 'black' });
    expect(shape(b.doc, 's3')).toBeDefined();
    expect(b.doc).toEqual(a.doc);
  });

  it('a new own edit clears the redo stack', () => {
    const [a] = boardPeers(start);
    a.edit(replaceOp(a.doc, ['shapes', 's1', 'y'], 99));
    a.undoStep();
    a.edit(replaceOp(a.doc, ['shapes', 's1', 'x'], 1));
    expect(a.undo.canRedo).toBe(false);
  });
});
