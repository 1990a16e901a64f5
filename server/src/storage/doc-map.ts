/**
 * A map keyed by collection and document id. Lookups reuse the caller's two strings, whose hashes V8 keeps, instead
 * of joining them into a new key string that has to be hashed again: about ten times faster, which matters on the
 * paths that run once per op per subscriber.
 *
 * Most per-connection memos hold one document (a client with one editor open): until a second key arrives, its
 * entry is kept in three fields, without the two Maps (about 0.4 KB) that every idle connection would otherwise pay
 * for each memo.
 */
export class DocMap<T> {
  private collections: Map<string, Map<string, T>> | undefined = undefined;
  /** The only entry while `collections` is undefined and `count` is 1. */
  private soleCollection = '';
  private soleId = '';
  private soleValue: T | undefined = undefined;
  private count = 0;

  /**
   * @param maxSize entries at most: adding one more to a full map clears it first. For memos kept per connection,
   *   where forgetting only costs a little work again and a connection must not grow without bound.
   */
  constructor(private readonly maxSize = Infinity) {}

  get size(): number {
    return this.count;
  }

  get(collection: string, id: string): T | undefined {
    if (this.collections) return this.collections.get(collection)?.get(id);
    return this.isSole(collection, id) ? this.soleValue : undefined;
  }

  set(collection: string, id: string, value: T): this {
    if (!this.collections) {
      if (this.isSole(collection, id)) {
        this.soleValue = value;
        return this;
      }
      if (this.count === 0 && this.maxSize >= 1) {
        this.soleCollection = collection;
        this.soleId = id;
        this.soleValue = value;
        this.count = 1;
        return this;
      }
      // A second key: from now on, the maps.
      this.collections = new Map();
      if (this.count === 1) this.collections.set(this.soleCollection, new Map([[this.soleId, this.soleValue as T]]));
      this.soleValue = undefined;
    }
    let ids = this.collections.get(collection);
    if (!ids) this.collections.set(collection, (ids = new Map()));
    if (!ids.has(id)) {
      if (this.count >= this.maxSize) {
        this.clear();
        return this.set(collection, id, value);
      }
      this.count++;
    }
    ids.set(id, value);
    return this;
  }

  /**
   * A collection's inner map stays when its last entry goes: memos that add and remove the same document on every
   * op (in-flight submits, fan-out order) would otherwise build a new one each time. There are few collections.
   */
  delete(collection: string, id: string): boolean {
    if (!this.collections) {
      if (!this.isSole(collection, id)) return false;
      this.soleValue = undefined;
      this.count = 0;
      return true;
    }
    if (!this.collections.get(collection)?.delete(id)) return false;
    this.count--;
    return true;
  }

  /** The values, collection by collection, each in insertion order. */
  *values(): IterableIterator<T> {
    if (!this.collections) {
      if (this.count === 1) yield this.soleValue as T;
      return;
    }
    for (const ids of this.collections.values()) yield* ids.values();
  }

  clear(): void {
    this.collections = undefined;
    this.soleValue = undefined;
    this.count = 0;
  }

  /** Whether the lone entry (callers check that there are no maps) has this key. */
  private isSole(collection: string, id: string): boolean {
    return this.count === 1 && this.soleId === id && this.soleCollection === collection;
  }
}
