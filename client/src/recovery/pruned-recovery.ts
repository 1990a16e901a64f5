/**
 * Recovering a user's edits when the server can no longer take them: a client that comes back after retention has
 * pruned the ops its pending edits would have to be transformed against gets ERR_HISTORY_PRUNED for them (and for
 * its resubscribe). A stock ShareDB client then rolls the edits back and stays on a document it cannot resubscribe
 * to. With recovery attached instead:
 *
 * - the rejection is taken before ShareDB acts on it; the document keeps the user's edits (and takes new ones) while
 *   the server's current document is fetched;
 * - text-unicode and rich-text: the edits are merged three-way (base: the server's document at the version they were
 *   made on, tracked by ServerShadow; local: the document with them; current: the server's now) and the merged change
 *   is left pending, to be sent at the current version; others' changes reach the editor as one remote op, so
 *   bindings keep carets and undo stacks. The callbacks of the original submits are called when it is acknowledged;
 * - json0 and json1 (and text whose base is not known): the document is reset to the current one and the edits are
 *   handed to `onConflict` with base, local and current, not applied; the submits' callbacks get the error. Without
 *   an `onConflict` handler the doc emits an 'error' carrying the conflict, so nothing is dropped silently;
 * - in every case the document is subscribed again at the current version. A client without pending edits whose
 *   resubscribe meets pruned history is simply brought up to date.
 */
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import { hookOf } from './connection-hook.js';
import { DocRecovery } from './doc-recovery.js';
import type { RecoveryOptions } from './recovery-types.js';

export { RECOVERY_SOURCE, type PrunedConflict, type PrunedMerge, type RecoveryOptions } from './recovery-types.js';

/**
 * Recovers `doc`'s pending edits when the server refuses them with ERR_HISTORY_PRUNED (see the module comment).
 * Attach it while the doc is up to date (openDoc does this itself): the merge base is tracked from then on.
 * Attaching to a doc twice shares one recovery; returns a function that removes this attachment's handlers (the
 * last one detaches recovery from the doc). Destroying the doc detaches it too.
 */
export function recoverPrunedEdits<T = unknown>(doc: Doc<T>, options: RecoveryOptions<T> = {}): () => void {
  const hook = hookOf(doc.connection as Connection);
  let recovery = hook.get(doc as Doc);
  if (!recovery) {
    recovery = new DocRecovery(doc as Doc, hook);
    hook.add(recovery);
  }
  const registration = { ...options } as RecoveryOptions<never>;
  recovery.registrations.add(registration);
  const attached = recovery;
  return () => {
    attached.registrations.delete(registration);
    if (attached.registrations.size === 0) attached.dispose();
  };
}
