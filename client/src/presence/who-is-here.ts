/**
 * WhoIsHere: the people present on one document, from the presence the server stamped with `sub` and `name`.
 * Several tabs of one user count once; anonymous senders (no authentication) count per tab.
 *
 * Lifecycle: the constructor listens to the channel's `receive` events; `destroy()` stops listening. Event:
 * `change` with the new list, whenever someone arrives, leaves or is renamed.
 */
import { Emitter } from '../connection/emitter.js';
import { colorFor, displayName, participantKey, type PresenceIdentity } from './identity.js';

/** What WhoIsHere needs of a PresenceChannel (of any payload type). */
export interface PresenceSource {
  readonly others: ReadonlyMap<string, PresenceIdentity>;
  on(event: 'receive', listener: () => void): () => void;
}

export interface Participant {
  /** Stable per person (per tab for anonymous senders). */
  readonly key: string;
  /** The verified `sub`, or undefined when the server stamped none. */
  readonly sub: string | undefined;
  /** Plain text; render with `textContent`. */
  readonly name: string;
  readonly color: string;
  /** Presence ids (tabs) behind this participant. */
  readonly presenceIds: readonly string[];
}

export type WhoIsHereEvents = {
  change: (participants: readonly Participant[]) => void;
};

export class WhoIsHere {
  private readonly channel: PresenceSource;
  private readonly events = new Emitter<WhoIsHereEvents>();
  private readonly unlisten: () => void;
  private last = '';

  constructor(channel: PresenceSource) {
    this.channel = channel;
    this.unlisten = channel.on('receive', () => this.changed());
  }

  /** Everyone else present, sorted by name. */
  get participants(): readonly Participant[] {
    return participantsOf(this.channel.others);
  }

  on<K extends keyof WhoIsHereEvents>(event: K, listener: WhoIsHereEvents[K]): () => void {
    return this.events.on(event, listener);
  }

  destroy(): void {
    this.unlisten();
    this.events.removeAll();
  }

  private changed(): void {
    const list = this.participants;
    const signature = JSON.stringify(list.map((p) => [p.key, p.name]));
    if (signature === this.last) return;
    this.last = signature;
    this.events.emit('change', list);
  }
}

/** Groups presence values into participants. Pure, for tests and custom lists. */
export function participantsOf(presences: ReadonlyMap<string, PresenceIdentity>): Participant[] {
  const byKey = new Map<string, { sub: string | undefined; name: string; ids: string[] }>();
  for (const [id, value] of presences) {
    const key = participantKey(id, value);
    const entry = byKey.get(key) ?? { sub: value.user?.sub, name: displayName(value), ids: [] };
    entry.ids.push(id);
    byKey.set(key, entry);
  }
  return [...byKey].map(([key, e]) => ({ key, sub: e.sub, name: e.name, color: colorFor(key), presenceIds: e.ids }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
}
