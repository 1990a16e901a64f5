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
}
