/** How a presence sender is shown: a display name and a colour, derived from the server-stamped `user`. */
import { ANONYMOUS_SUB, MAX_PRESENCE_LABEL_LENGTH, type PresenceUser } from '@concord/shared';

/** What every presence payload may carry besides its own fields. */
export interface PresenceIdentity {
  user?: PresenceUser;
  label?: string;
}

/**
 * The name to show. The server's `user.name` wins; the self-chosen `label` is shown only for the anonymous principal
 * (no authentication), never in place of an authenticated user's identity. Always plain text: render it with
 * `textContent`, never as HTML.
 */
export function displayName(identity: PresenceIdentity | null | undefined): string {
  const user = identity?.user;
  if (user?.name) return clip(user.name);
  const label = typeof identity?.label === 'string' ? identity.label.trim() : '';
  if (!user || user.sub === ANONYMOUS_SUB) return label ? clip(label) : 'anonymous';
  return clip(user.sub);
}

/** The key that tells people apart: `sub`, except for anonymous senders, who are told apart by presence id. */
export function participantKey(presenceId: string, identity: PresenceIdentity | null | undefined): string {
  const sub = identity?.user?.sub;
  return sub === undefined || sub === ANONYMOUS_SUB ? `presence:${presenceId}` : `sub:${sub}`;
}

/** A stable, readable colour per participant key. */
export function colorFor(key: string): string {
  let hash = 2166136261;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619);
  const hue = (hash >>> 0) % 360;
  return `hsl(${hue}, 70%, 40%)`;
}

function clip(text: string): string {
  return text.length > MAX_PRESENCE_LABEL_LENGTH ? `${text.slice(0, MAX_PRESENCE_LABEL_LENGTH - 1)}…` : text;
}
