/**
 * Watching what ShareDB's pub/sub hands to this instance's subscribers. Every message, published here or by another
 * instance, passes the pub/sub's `_emit(channel, data)` once per channel. Several parts of the engine look at them
 * (gap recovery: the versions of ops; presence liveness and the withdrawal echo: presence), so `_emit` is wrapped
 * once per pub/sub and calls each observer before the message goes on. Observers look; they never change or drop.
 */
type Observer = (channel: string, data: unknown) => void;

interface Emitting {
  _emit(channel: string, data: unknown): void;
}

/** Doc presence channels on the pub/sub: ShareDB prefixes the presence channel (`collection.id`). */
export const PRESENCE_PREFIX = '$presence.';

const observersOf = new WeakMap<object, Observer[]>();

export function tapPubSub(pubsub: unknown, observer: Observer): void {
  const target = pubsub as Emitting;
  let observers = observersOf.get(target);
  if (!observers) {
    const all: Observer[] = [];
    observersOf.set(target, (observers = all));
    const emit = target._emit.bind(target);
    target._emit = (channel, data) => {
      for (const observe of all) observe(channel, data);
      emit(channel, data);
    };
  }
  observers.push(observer);
}

/** Observes the presence messages only. */
export function tapPresence(pubsub: unknown, observer: (message: unknown) => void): void {
  tapPubSub(pubsub, (channel, data) => {
    if (channel.startsWith(PRESENCE_PREFIX)) observer(data);
  });
}
