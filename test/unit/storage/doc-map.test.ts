import { describe, expect, it } from 'vitest';
import { DocMap } from '../../../server/dist/storage/doc-map.js';

describe('DocMap', () => {
  it('keys by collection and id without mixing up pairs that would join to the same string', () => {
    const map = new DocMap<number>();
    map.set('a\nb', 'c', 1).set('a', 'b\nc', 2).set('a', 'x', 3);
    expect([map.get('a\nb', 'c'), map.get('a', 'b\nc'), map.get('a', 'x'), map.get('a', 'y')]).toEqual([1, 2, 3, undefined]);
    expect(map.size).toBe(3);
  });

  it('counts each document once and forgets emptied collections', () => {
    const map = new DocMap<string>();
    map.set('notes', 'n1', 'first').set('notes', 'n1', 'second');
    expect(map.size).toBe(1);
    expect(map.get('notes', 'n1')).toBe('second');
    expect(map.delete('notes', 'n2')).toBe(false);
    expect(map.delete('notes', 'n1')).toBe(true);
    expect(map.delete('notes', 'n1')).toBe(false);
    expect(map.size).toBe(0);
    map.set('notes', 'n1', 'again').set('tasks', 't1', 'task').set('notes', 'n2', 'later');
    expect([...map.values()]).toEqual(['again', 'later', 'task']);
    map.clear();
    expect([map.size, map.get('notes', 'n1')]).toEqual([0, undefined]);
  });

  it('with a bound, starts over when a new key would pass it; updating a key never does', () => {
    const map = new DocMap<number>(2);
    map.set('a', '1', 1).set('b', '1', 2);
    map.set('a', '1', 3); // an existing key: no eviction
    expect([map.size, map.get('a', '1'), map.get('b', '1')]).toEqual([2, 3, 2]);
    map.set('c', '1', 4); // a third key: cleared first
    expect([map.size, map.get('a', '1'), map.get('b', '1'), map.get('c', '1')]).toEqual([1, undefined, undefined, 4]);
  });

  it('keeps a lone entry without maps and moves it into them, first in order, when a second key comes', () => {
    const map = new DocMap<string>();
    map.set('notes', 'n1', 'one');
    expect([map.size, map.get('notes', 'n1'), map.get('notes', 'n2'), map.get('other', 'n1')]).toEqual([1, 'one', undefined, undefined]);
    expect(map.delete('notes', 'n2')).toBe(false);
    expect(map.delete('notes', 'n1')).toBe(true);
    expect([map.size, map.get('notes', 'n1'), [...map.values()]]).toEqual([0, undefined, []]);
    map.set('tasks', 't1', 'lone').set('tasks', 't1', 'updated');
    expect([map.size, [...map.values()]]).toEqual([1, ['updated']]);
    map.set('notes', 'n1', 'two').set('tasks', 't2', 'three');
    expect([map.size, map.get('tasks', 't1'), map.get('notes', 'n1'), map.get('tasks', 't2')]).toEqual([3, 'updated', 'two', 'three']);
    expect([...map.values()]).toEqual(['updated', 'three', 'two']);
    expect(map.delete('tasks', 't1')).toBe(true);
    expect([map.size, [...map.values()]]).toEqual([2, ['three', 'two']]);
  });

  it('with a bound of one, a second key replaces the first', () => {
    const map = new DocMap<number>(1);
    map.set('a', '1', 1).set('a', '1', 2);
    expect([map.size, map.get('a', '1')]).toEqual([1, 2]);
    map.set('b', '1', 3);
    expect([map.size, map.get('a', '1'), map.get('b', '1')]).toEqual([1, undefined, 3]);
  });
});
