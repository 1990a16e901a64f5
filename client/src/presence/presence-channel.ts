/**
 * PresenceChannel: this client's presence on one document and everyone else's, over ShareDB doc presence.
 *
 * Lifecycle: the constructor subscribes to the document's presence and creates this client's local presence;
 * `update(value)` publishes (coalesced to `maxPerSecond`, default 20), `clear()` withdraws at once, `destroy()`
 * withdraws and removes exactly the listeners the constructor added. Channels of one connection on one document
 * share ShareDB's doc presence and its listeners (presence-members.ts): the last one destroyed unsubscribes from it,
 * so that the server stops sending everyone's presence to a client that no longer shows it. The server stamps every payload with the
 * sender's `user`, so what arrives is `T & PresenceIdentity`; the channel adds this client's `label`, if any.
 *
 * A withdrawal (another sender's null) applies as soon as it arrives, even when it is older than this client's
 * document, which stock ShareDB would hold forever (see withdrawal-on-arrival.ts).
 *
 * Across reconnects: while disconnected nobody's presence can be known (and whoever leaves meanwhile would stay as
 * a ghost), so remote presences are dropped (`receive` with null) when the connection goes; on reconnecting, ShareDB
 * asks the others to send theirs again, and this channel re-sends its own last value, which the server had cleared.
 *
 * Events: `receive` (presenceId, value or null when that sender is gone), `error`.
 */
import type { Connection, LocalPresence, Presence } from 'sharedb/lib/client/index.js';
import { Coalescer, REAL_CLOCK, type Clock } from './coalescer.js';
import { Emitter } from '../connection/emitter.js';
import { asError, errorCode } from '../connection/errors.js';
import type { PresenceIdentity } from './identity.js';
import { applyWithdrawalsOnArrival } from './withdrawal-on-arrival.js';
import { join, leave, type PresenceMember } from './presence-members.js';
import { ConcordError } from '@concord/shared';
import { jsonBytes, messageLimitOf, tooBigMessage } from '../connection/sharedb-socket.js';

export interface PresenceChannelOptions {
  /** Most presence updates sent per second. Default 20. */
  maxPerSecond?: number;
  /** A display name for servers without authentication (see `displayName`). Default none. */
  label?: string;
  clock?: Clock;
}

export type Remote<T> = T & PresenceIdentity;

export type PresenceEvents<T> = {
  receive: (presenceId: string, value: Remote<T> | null) => void;
  error: (error: Error) => void;
};

export class PresenceChannel<T extends object> {
  readonly presence: Presence<Remote<T> | null>;
  private readonly local: LocalPresence<(T & { label?: string }) | null>;
  private readonly label: string | undefined;
  private readonly coalescer: Coalescer<T | null>;
  private readonly events = new Emitter<PresenceEvents<T>>();
  private readonly onError = (err: unknown): void => this.events.emit('error', asError(err));
  /** What the channels' shared listeners tell this one (see presence-members.ts). */
  private readonly member: PresenceMember = {
    received: (id, value) => this.events.emit('receive', id, value as Remote<T> | null),
    failed: this.onError,
    connectionChanged: (state) => this.connectionChanged(state),
  };
  private readonly connection: Connection;
  private lastValue: T | null = null;
  private destroyed = false;

  constructor(connection: Connection, collection: string, id: string, options: PresenceChannelOptions = {}) {
    this.connection = connection;
    this.presence = connection.getDocPresence(collection, id) as Presence<Remote<T> | null>;
    applyWithdrawalsOnArrival(this.presence);
    this.label = options.label;
    join(connection, this.presence, this.member);
    this.local = this.presence.create() as LocalPresence<(T & { label?: string }) | null>;
    this.local.on('error', this.onError);
    this.coalescer = Coalescer.perSecond((value) => this.send(value), options.maxPerSecond ?? 20, options.clock ?? REAL_CLOCK);
  }

  /** Other senders on this document and their latest values. */
  get others(): ReadonlyMap<string, Remote<T>> {
    const map = new Map<string, Remote<T>>();
    for (const [id, value] of Object.entries(this.presence.remotePresences)) if (value) map.set(id, value);
    return map;
  }

  /** The id other clients see this client's presence under. */
  get localId(): string {
    return this.local.presenceId;
  }

  on<K extends keyof PresenceEvents<T>>(event: K, listener: PresenceEvents<T>[K]): () => void {
    return this.events.on(event, listener);
  }

  /** Publishes this client's presence, at most `maxPerSecond` times a second (the latest value always goes out). */
  update(value: T): void {
    if (!this.destroyed) this.coalescer.push(value);
  }

  /** Sends the latest value now instead of at the end of the interval. */
  flush(): void {
    this.coalescer.flush();
  }

  /** Withdraws this client's presence at once. */
  clear(): void {
    if (this.destroyed) return;
    this.coalescer.cancel();
    this.send(null);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.clear();
    this.destroyed = true;
    leave(this.connection, this.presence, this.member);
    this.local.destroy((err) => err && this.onError(err));
    this.local.off('error', this.onError);
    this.events.removeAll();
  }

  /** A value too big for one message is refused here (see ShareDbSocket): the last value sent stays in place. */
  private send(value: T | null): void {
    const payload = value === null || this.label === undefined ? value : { ...value, label: this.label };
    const limit = messageLimitOf(this.connection);
    const bytes = value === null ? 0 : jsonBytes(JSON.stringify(payload) ?? '', limit);
    if (bytes + PRESENCE_ENVELOPE + this.presence.channel.length * 3 > limit) {
      return this.onError(new ConcordError('ERR_MESSAGE_TOO_BIG', tooBigMessage(bytes, limit, 'presence update')));
    }
    this.lastValue = value;
    this.submit(payload);
  }

  private submit(payload: (T & { label?: string }) | null): void {
    // A document that does not exist (yet) has no presence; that is not worth an error event.
    this.local.submit(payload, (err) => {
      if (err && errorCode(err) !== 'ERR_DOC_DOES_NOT_EXIST') this.onError(err);
    });
  }

  private connectionChanged(state: string): void {
    if (this.destroyed) return;
    if (state === 'connected') {
      if (this.lastValue !== null) this.send(this.lastValue);
      return;
    }
    if (state === 'connecting') return;
    const internals = this.presence as unknown as RemoteInternals;
    for (const id of Object.keys(internals._remotePresenceInstances ?? {})) {
      const known = this.presence.remotePresences[id] !== undefined;
      internals._removeRemotePresence?.(id);
      if (known) this.events.emit('receive', id, null);
    }
  }
}

/** Room for a presence message's other fields (ids of about 40 characters, versions, the type's URI). */
const PRESENCE_ENVELOPE = 512;


/** ShareDB's own bookkeeping of remote presences (not in its published typings). */
interface RemoteInternals {
  _remotePresenceInstances?: Record<string, unknown>;
  _removeRemotePresence?(id: string): void;
}
