import ShareDB from 'sharedb';
import type { TypeName } from '@concord/shared';

/**
 * True when an edit changes nothing. ShareDB's own `doNotCommitNoOps` only recognises an empty array (json0,
 * text-unicode); json1's no-op is `null` and rich-text's a delta of bare retains, so those were written and
 * broadcast as new versions.
 */
export function isNoOp(type: TypeName, op: unknown): boolean {
  if (op == null) return type === 'json1';
  if (Array.isArray(op)) return op.length === 0;
  if (type === 'rich-text') {
    const ops = (op as { ops?: unknown }).ops;
    return Array.isArray(ops) && ops.every((c) => isBareRetain(c));
  }
  return false;
}

function isBareRetain(component: unknown): boolean {
  if (component === null || typeof component !== 'object') return false;
  const keys = Object.keys(component);
  return keys.length === 1 && keys[0] === 'retain' && typeof (component as { retain: unknown }).retain === 'number';
}

/** The error ShareDB answers a no-op with; clients speaking protocol 1.2 treat it as an acknowledgement. */
export function noOpError(): Error {
  const ShareDBError = (ShareDB as unknown as { Error: new (code: string, message: string) => Error }).Error;
  return new ShareDBError('ERR_NO_OP', 'Op is a no-op. Skipping apply.');
}

/** Whether the client understands ERR_NO_OP (ShareDB protocol 1.2 and later). */
export function understandsNoOp(protocol: { major?: number; minor?: number } | undefined): boolean {
  if (!protocol || protocol.major === undefined) return false;
  return protocol.major > 1 || (protocol.major === 1 && (protocol.minor ?? 0) >= 2);
}
