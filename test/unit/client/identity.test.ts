import { describe, expect, it } from 'vitest';
import { colorFor, displayName, participantsOf, undoShortcut } from '@concord/client';

describe('who is here', () => {
  it('names people by the server-stamped user; a self-chosen label only for anonymous senders', () => {
    expect(displayName({ user: { sub: 'u1', name: 'Ann' }, label: 'Mallory' })).toBe('Ann');
    expect(displayName({ user: { sub: 'u2' }, label: 'Mallory' })).toBe('u2');
    expect(displayName({ user: { sub: 'anonymous' }, label: 'Bob' })).toBe('Bob');
    expect(displayName({ user: { sub: 'anonymous' } })).toBe('anonymous');
    expect(displayName({ user: { sub: 'u3', name: 'x'.repeat(500) } })).toHaveLength(100);
  });

  it('counts several tabs of one user once, and anonymous tabs each', () => {
    const list = participantsOf(new Map([
      ['p1', { user: { sub: 'u1', name: 'Ann' } }],
      ['p2', { user: { sub: 'u1', name: 'Ann' } }],
      ['p3', { user: { sub: 'anonymous' }, label: 'Zed' }],
      ['p4', { user: { sub: 'anonymous' }, label: 'Bob' }],
    ]));
    expect(list.map((p) => [p.name, p.presenceIds])).toEqual([['Ann', ['p1', 'p2']], ['Bob', ['p4']], ['Zed', ['p3']]]);
    expect(list[0]?.color).toBe(colorFor('sub:u1'));
  });

  it('gives a stable colour per key', () => {
    expect(colorFor('sub:u1')).toBe(colorFor('sub:u1'));
    expect(colorFor('sub:u1')).toMatch(/^hsl\(\d+, 70%, 40%\)$/);
  });
});

describe('undo shortcuts', () => {
  const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) =>
    ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });
  it('maps Ctrl/Cmd+Z, Ctrl/Cmd+Shift+Z and Ctrl+Y', () => {
    expect(undoShortcut(key('z', { ctrlKey: true }))).toBe('undo');
    expect(undoShortcut(key('z', { metaKey: true }))).toBe('undo');
    expect(undoShortcut(key('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(undoShortcut(key('y', { ctrlKey: true }))).toBe('redo');
    expect(undoShortcut(key('z'))).toBeUndefined();
    expect(undoShortcut(key('z', { ctrlKey: true, altKey: true }))).toBeUndefined();
  });
});
