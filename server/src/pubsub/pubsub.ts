import type ShareDB from 'sharedb';

export type PubSubKind = 'memory' | 'redis';

/** Fan-out of committed ops and presence between the server processes that share a storage. */
export interface PubSubAdapter {
  readonly kind: PubSubKind;
  /** ShareDB's pub/sub adapter. */
  readonly pubsub: ShareDB.PubSub;
  /** Resolves when the pub/sub answers; rejects when it does not. */
  ping(): Promise<void>;
  /** Closes every handle. Idempotent. */
  close(): Promise<void>;
  /**
   * Registers `listener` for each return of the subscriber after a loss, when what was published meanwhile is gone
   * (a pub/sub that delivers at most once, like Redis). createCollabServer registers the engine's recovery here.
   */
  onResubscribed?(listener: () => void): void;
}

/**
 * ShareDB's pub/sub keeps each channel's streams in an object keyed by a stream id counted from 1, one id per
 * subscription. V8 stores a small integer key (below about 1,024) as an array element, in a backing store sized to
 * the key, so the first thousand or so subscriptions after a start each gave their document's channel a store of
 * up to 12 KB (6.6 KB on average for ids 1 to 1,000, against 0.5 KB for a named key): about 6 MB that a server
 * starting with a thousand subscribers holds for as long as they stay. Ids from 2^32 on are not array indices, so
 * they stay named properties: lookups, deletes and `for...in` order (insertion order, which is id order) are the
 * same. Safe on a pub/sub that already has streams (their keys stay as they are).
 */
export function keepStreamIdsNamed(pubsub: ShareDB.PubSub): void {
  const ids = pubsub as unknown as { nextStreamId?: unknown };
  // A pub/sub that does not count like ShareDB's (no numeric counter) is left alone.
  if (typeof ids.nextStreamId === 'number') ids.nextStreamId = Math.max(ids.nextStreamId, FIRST_NAMED_STREAM_ID);
}

/** The first integer that is not an array index (those end at 2^32 - 2; 2^32 - 1 is the length limit). */
const FIRST_NAMED_STREAM_ID = 2 ** 32;
