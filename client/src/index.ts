/**
 * The Concord client: `connect()` for a ShareDB connection that reconnects and obeys the server's close codes,
 * editor bindings (Quill, text fields, json1 stores), presence and undo. Importing it touches no DOM and opens
 * nothing; the bindings need a DOM only when constructed.
 */
export { connect, CollabClient } from './connection/collab-client.js';
export type { ConnectOptions, ClientEvents, WebSocketConstructor } from './connection/collab-client.js';
export type { ClientState, ConnectionStatus } from './connection/status.js';
export { pendingEdits } from './connection/status.js';
export type { TokenSource } from './connection/token.js';
export { backoffDelay, backoffCeiling, DEFAULT_BACKOFF } from './connection/backoff.js';
export type { BackoffOptions } from './connection/backoff.js';
export { ReconnectPolicy, closeError } from './connection/reconnect-policy.js';
export type { CloseDecision } from './connection/reconnect-policy.js';
export { asError, errorCode } from './connection/errors.js';

export { openDoc } from './docs/open-doc.js';
export { guardListeners } from './docs/listener-guard.js';
export type { CreateSpec, OpenDocOptions } from './docs/open-doc.js';

export { recoverPrunedEdits, RECOVERY_SOURCE } from './recovery/pruned-recovery.js';
export type { PrunedConflict, PrunedMerge, RecoveryOptions } from './recovery/pruned-recovery.js';
export { mergeText, mergeRichText, textDiffOp, composeTextOps } from './recovery/three-way-merge.js';
export type { ThreeWayMerge, DeltaInput } from './recovery/three-way-merge.js';
export { splitTextOp, splitDelta } from './recovery/split-op.js';

export { PresenceChannel } from './presence/presence-channel.js';
export type { PresenceChannelOptions, PresenceEvents, Remote } from './presence/presence-channel.js';
export { applyWithdrawalsOnArrival } from './presence/withdrawal-on-arrival.js';
export { WhoIsHere, participantsOf } from './presence/who-is-here.js';
export type { Participant, WhoIsHereEvents } from './presence/who-is-here.js';
export { Coalescer, REAL_CLOCK } from './presence/coalescer.js';
export type { Clock } from './presence/coalescer.js';
export { colorFor, displayName, participantKey } from './presence/identity.js';
export type { PresenceIdentity } from './presence/identity.js';

export { diffToTextOp } from './text/text-diff.js';
export { applyTextOp, transformRange, rangeToCodePoints, rangeToUtf16 } from './text/caret.js';
export type { Utf16Range } from './text/caret.js';
export { toCodePoints, toUtf16, codePointLength } from './text/code-points.js';

export { UndoManager } from './undo/undo-manager.js';
export type { UndoType, UndoOptions } from './undo/undo-manager.js';
export { richTextUndo, json1Undo } from './undo/undo-types.js';
export type { DeltaLike } from './undo/undo-types.js';
export { Delta } from './undo/delta.js';

export { JsonStore } from './bindings/json-store.js';
export type { JsonStoreEvents } from './bindings/json-store.js';
export { getAt, insertOp, removeOp, replaceOp, moveOp } from './bindings/json-ops.js';
export type { JsonPath, JsonValue, JSONOp } from './bindings/json-ops.js';
export { QuillBinding } from './bindings/quill-binding.js';
export type { QuillBindingOptions, QuillBindingEvents } from './bindings/quill-binding.js';
export { TextBinding } from './bindings/text-binding.js';
export type { TextBindingOptions, TextBindingEvents, TextField } from './bindings/text-binding.js';
export { undoShortcut, lastChangeIndex } from './bindings/undo-keys.js';
export { HeldOps } from './bindings/held-ops.js';
export { submitEdit } from './bindings/submit-edit.js';
export type { HoldType } from './bindings/held-ops.js';
