/**
 * Withdrawing all of a closed connection's presence. ShareDB withdraws what a connection shows on a channel when its
 * presence subscription there ends, which closing the connection ends. Two kinds were never withdrawn, and stayed on
 * every screen for good (the instance lives on, so presence liveness does not clear them either):
 * - presence on a channel the connection does not subscribe to: a stock client may show itself without
 *   subscribing, or unsubscribe and then move;
 * - presence still on its way (the document read, the authorizer, the transform) when the connection closed: it is
 *   published after the subscription's end withdrew what was there before.
 *
 * The agent's methods are replaced by functions shared by every agent: closures made per connection would cost
 * every idle one.
 */
import type { PresenceMessage } from './middleware.js';

type Broadcast = (presence: PresenceMessage, callback: (err?: unknown, presence?: unknown) => void) => void;

interface AgentInternals {
  closed: boolean;
  subscribedPresences: Record<string, unknown>;
  presenceRequests: Record<string, Record<string, PresenceMessage>>;
  _cleanup(): void;
  _broadcastPresence: Broadcast;
}

export function withdrawPresenceOnClose(agent: object): void {
  const target = agent as AgentInternals;
  target._cleanup = cleanup;
  target._broadcastPresence = broadcast;
}

function prototypeOf(agent: AgentInternals): AgentInternals {
  return Object.getPrototypeOf(agent) as AgentInternals;
}

function cleanup(this: AgentInternals): void {
  if (!this.closed) {
    for (const channel of Object.keys(this.presenceRequests)) {
      if (this.subscribedPresences[channel]) continue; // withdrawn when its subscription ends, as ShareDB does
      for (const presence of Object.values(this.presenceRequests[channel] ?? {})) withdraw(this, presence);
      delete this.presenceRequests[channel];
    }
  }
  prototypeOf(this)._cleanup.call(this);
}

function broadcast(this: AgentInternals, presence: PresenceMessage, callback: (err?: unknown, presence?: unknown) => void): void {
  prototypeOf(this)._broadcastPresence.call(this, presence, (err, sent) => {
    // Shown after the connection closed: nothing else will withdraw it.
    if (!err && this.closed) withdraw(this, presence);
    callback(err, sent);
  });
}

function withdraw(agent: AgentInternals, presence: PresenceMessage): void {
  if (presence.p === null) return;
  agent._broadcastPresence({ ...presence, p: null }, () => undefined);
}
