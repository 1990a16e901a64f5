/**
 * What every submit passes before it is applied: a known type for a create (checked as the message arrives), the
 * authorizer's decision for its action (and the author stamp that follows it), and the validator's check of the op
 * against the document, after the no-op rule.
 */
import { ConcordError, isValidName, shortTypeName } from '@concord/shared';
import { sessionOf, type SubmitContext } from './middleware.js';
import { ANONYMOUS } from './principal.js';
import { onDecision, type Action, type Authorizer, type Validator } from './policies.js';
import { isNoOp, noOpError, understandsNoOp } from './no-op.js';

/** Synchronous when the authorizer decides at once (roles, allow-all); a promise when it has to look up access. */
export function authorizeSubmit(request: SubmitContext, authorizer: Authorizer): Promise<void> | void {
  const principal = sessionOf(request.agent)?.principal ?? ANONYMOUS;
  // The delete that a purge commits (DocService.purge; only server code can pass submit options) needs 'purge'.
  const purging = request.op.del === true && (request as { options?: { concordPurge?: unknown } }).options?.concordPurge === true;
  const action: Action = request.op.create ? 'create' : purging ? 'purge' : request.op.del ? 'delete' : 'write';
  const settle = (allowed: boolean): void => {
    if (!allowed) throw new ConcordError('ERR_FORBIDDEN', `${action} not allowed on ${request.collection}/${request.id}`);
    // Author of record in the op log (`m.user`), read back by the history routes. ShareDB gave this submit its own
    // `m` ({ts}), so it is extended in place.
    (request.op.m ??= {}).user = principal.sub;
  };
  return onDecision(authorizer.authorize({ principal, action, collection: request.collection, id: request.id }), settle);
}

/** Refuses an op that changes nothing (ERR_NO_OP, acknowledged) and one the validator refuses. */
export function validateSubmit(request: SubmitContext, validator: Validator): void {
  const { op, snapshot } = request;
  const type = shortTypeName(op.create ? op.create.type : snapshot?.type);
  if (!type) return; // ShareDB itself rejects unknown types and ops on missing documents.
  if (!op.create && !op.del && isNoOp(type, op.op) && understandsNoOp((request.agent as { protocol?: { major?: number; minor?: number } }).protocol)) {
    throw noOpError(); // acknowledged without writing or broadcasting a version that changes nothing
  }
  validator.validateOp({
    collection: request.collection,
    id: request.id,
    type,
    data: snapshot?.data,
    ...(op.op !== undefined ? { op: op.op } : {}),
    ...(op.create ? { create: { type, data: op.create.data } } : {}),
    ...(op.del ? { del: true } : {}),
  });
}

/**
 * A create names its document as REST does (ERR_INVALID_NAME) and one of the four types (by short name or URI),
 * answered ERR_UNKNOWN_TYPE otherwise, as over REST.
 * (ShareDB itself would answer ERR_OT_OP_BADLY_FORMED, "Missing create type": it drops an unknown type first.)
 */
export function checkCreate(data: Record<string, unknown>): void {
  if (data['a'] !== 'op') return;
  const create = data['create'];
  if (create === null || typeof create !== 'object') return;
  // A create names its document as REST does (ShareDB takes any string, so a document REST cannot reach was possible).
  if (!isValidName(data['c']) || !isValidName(data['d'])) {
    throw new ConcordError('ERR_INVALID_NAME', 'collection and id must be 1-200 characters of letters, digits, _ - . :');
  }
  const type = (create as { type?: unknown }).type;
  if (typeof type === 'string' && shortTypeName(type) === undefined) {
    throw new ConcordError('ERR_UNKNOWN_TYPE', 'type must be json0, json1, rich-text or text-unicode');
  }
}
