/**
 * The PresenceChannels of a connection, grouped by ShareDB doc presence (one per connection and document, shared by
 * every channel on that document). ShareDB's emitters get one listener per event however many channels there are:
 * a listener per channel made Node warn (MaxListenersExceededWarning) past ten channels on one connection or one
 * document, as it does for a leak. The doc presence stays subscribed while any channel on it lives; the last one
 * to leave unsubscribes, so that the server stops sending everyone's presence to a client that shows none.
 */
import type { Connection, Presence } from 'sharedb/lib/client/index.js';

/** What a channel is told. */
export interface PresenceMember {
  received(presenceId: string, value: unknown): void;
  failed(error: unknown): void;
  connectionChanged(state: string): void;
}

interface Group {
  readonly members: Set<PresenceMember>;
  /** Removes the group's listeners. */
  readonly detach: () => void;
}

const byPresence = new WeakMap<Presence<unknown>, Group>();
const byConnection = new WeakMap<Connection, Group>();

/** Adds `member` to the channels of `presence` (subscribing it for the first) and of `connection`. */
export function join(connection: Connection, presence: Presence<unknown>, member: PresenceMember): void {
  groupOf(byPresence, presence, (members) => {
    const receive = (id: string, value: unknown): void => each(members, (m) => m.received(id, value));
    const fail = (err: unknown): void => each(members, (m) => m.failed(err));
    presence.on('receive', receive);
    presence.on('error', fail);
    return () => {
      presence.off('receive', receive);
      presence.off('error', fail);
    };
  }).members.add(member);
  // Subscribing again while subscribed costs nothing; a channel joining after the last one left subscribes anew.
  presence.subscribe((err) => err && member.failed(err));
  groupOf(byConnection, connection, (members) => {
    const changed = (state: string): void => each(members, (m) => m.connectionChanged(state));
    connection.on('state', changed);
    return () => connection.off('state', changed);
  }).members.add(member);
}

/** Removes `member`; the last member of `presence` unsubscribes it (a failure then has nobody to tell). */
export function leave(connection: Connection, presence: Presence<unknown>, member: PresenceMember): void {
  if (drop(byPresence, presence, member)) presence.unsubscribe(() => undefined);
  drop(byConnection, connection, member);
}

function groupOf<K extends object>(groups: WeakMap<K, Group>, key: K, attach: (members: Set<PresenceMember>) => () => void): Group {
  let group = groups.get(key);
  if (!group) {
    const members = new Set<PresenceMember>();
    groups.set(key, (group = { members, detach: attach(members) }));
  }
  return group;
}

/** Removes `member` from its group; true when that was the last one (the group's listeners are then gone). */
function drop<K extends object>(groups: WeakMap<K, Group>, key: K, member: PresenceMember): boolean {
  const group = groups.get(key);
  if (!group?.members.delete(member) || group.members.size > 0) return false;
  group.detach();
  groups.delete(key);
  return true;
}

/** Calls `fn` for each member (a copy: a member may leave meanwhile). */
function each(members: Set<PresenceMember>, fn: (member: PresenceMember) => void): void {
  for (const member of [...members]) fn(member);
}
