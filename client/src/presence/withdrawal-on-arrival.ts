/**
 * Applies a remote withdrawal (a null presence) as soon as it arrives, whatever document version it carries.
 *
 * ShareDB's client holds each remote doc-presence update until it matches the local document's version. One that
 * arrives older than the local document (this client's own op was acknowledged meanwhile, which happens whenever
 * someone withdraws while someone else types) is "stale": ShareDB fetches and asks the sender to send its presence
 * again. A sender that withdrew has nothing to send (ShareDB re-sends only non-null presence), so the withdrawal
 * never applies and the sender's cursor stays on screen for good. A null needs no transforming against ops, so
 * applying it on arrival is exact. Newer updates from the same sender are kept: an older null never wins.
 */
import type { Presence } from 'sharedb/lib/client/index.js';

interface PresenceUpdate {
  id: string;
  pv: number;
  p: unknown;
}

/** ShareDB's RemoteDocPresence bookkeeping (not in its published typings). */
interface RemoteState {
  value: unknown;
  presenceVersion: number | null;
  _pending: PresenceUpdate | null;
}

interface PresenceInternals {
  localPresences: Record<string, unknown>;
  _remotePresenceInstances: Record<string, RemoteState | undefined>;
  _receiveUpdate(error: unknown, message: PresenceUpdate): void;
  _updateRemotePresence(remote: RemoteState): void;
}

const INSTALLED = Symbol('concord.withdrawalOnArrival');

/** Installs the behaviour on one ShareDB presence object (idempotent: channels on one document share it). */
export function applyWithdrawalsOnArrival(presence: Presence<unknown>): void {
  const target = presence as unknown as PresenceInternals & { [INSTALLED]?: true };
  if (target[INSTALLED]) return;
  target[INSTALLED] = true;
  const receive = target._receiveUpdate;
  target._receiveUpdate = function (this: PresenceInternals, error: unknown, message: PresenceUpdate): void {
    if (error || message.p !== null || this.localPresences[message.id]) return receive.call(this, error, message);
    const remote = this._remotePresenceInstances[message.id];
    // A withdrawal of someone never seen changes nothing.
    if (!remote) return;
    const newest = Math.max(remote._pending?.pv ?? -1, remote.presenceVersion ?? -1);
    if (message.pv < newest) return;
    remote._pending = null;
    remote.value = null;
    remote.presenceVersion = message.pv;
    // Emits `receive` with null and destroys the remote instance, as ShareDB does for an in-step null.
    this._updateRemotePresence(remote);
  };
}
