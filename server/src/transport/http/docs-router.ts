/**
 * REST under `/api/docs`: create, read (now, at a version, at a time), op history, submit, delete. JSON in and
 * out; the same principals and middleware as the WebSocket, through the engine's DocService.
 */
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { ConcordError, DEFAULT_LIMITS, isTypeName, isValidName } from '@concord/shared';
import type { DocService } from '../../engine/doc-service.js';
import type { SubmittedOp } from '../../engine/middleware.js';
import { sessionOf } from './rest-session.js';

type Params = { collection: string; id: string };

export function docsRouter(docs: DocService): Router {
  const router = Router();
  router.post('/docs/:collection/:id', async (req: Request<Params>, res) => {
    const { collection, id } = names(req);
    const body = objectBody(req);
    if (!isTypeName(body['type'])) throw new ConcordError('ERR_UNKNOWN_TYPE', 'type must be json0, json1, rich-text or text-unicode');
    const state = await docs.create(sessionOf(res), collection, id, body['type'], body['data']);
    res.status(201).json(state);
  });
  router.get('/docs/:collection/:id', async (req: Request<Params>, res) => {
    const { collection, id } = names(req);
    const session = sessionOf(res);
    const version = optionalInteger(req.query['version'], 'version');
    const at = optionalInteger(req.query['at'], 'at');
    if (version !== undefined && at !== undefined) throw new ConcordError('ERR_BAD_REQUEST', 'give version or at, not both');
    const state = version !== undefined ? await docs.getAtVersion(session, collection, id, version)
      : at !== undefined ? await docs.getAtTime(session, collection, id, at)
      : await docs.get(session, collection, id);
    res.json(state);
  });
  router.get('/docs/:collection/:id/ops', async (req: Request<Params>, res) => {
    const { collection, id } = names(req);
    const from = optionalInteger(req.query['from'], 'from') ?? 0;
    const to = optionalInteger(req.query['to'], 'to');
    if (to !== undefined && to < from) throw new ConcordError('ERR_BAD_REQUEST', 'to must not be less than from');
    const cap = from + DEFAULT_LIMITS.maxOpsPerRead;
    // One op past the page tells whether there is a next page (no `next` that leads to an empty page).
    const end = to === undefined ? cap + 1 : Math.min(to, cap + 1);
    const ops = await docs.ops(sessionOf(res), collection, id, from, end);
    const more = ops.length > DEFAULT_LIMITS.maxOpsPerRead;
    res.json(more ? { ops: ops.slice(0, DEFAULT_LIMITS.maxOpsPerRead), next: cap } : { ops });
  });
  router.post('/docs/:collection/:id/ops', async (req: Request<Params>, res) => {
    const { collection, id } = names(req);
    const body = objectBody(req);
    if (!('op' in body) || body['op'] == null) throw new ConcordError('ERR_BAD_REQUEST', 'op is required');
    const v = body['v'];
    if (v === undefined) throw new ConcordError('ERR_BAD_REQUEST', 'v (the version the op was made at) is required');
    // A JSON number, as ShareDB's protocol has it: "3" is refused, not read as 3 (only query strings are text).
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ConcordError('ERR_BAD_REQUEST', 'v must be a non-negative integer');
    const op: SubmittedOp = { v, op: body['op'], ...idempotency(req, res) };
    res.json({ v: await docs.submit(sessionOf(res), collection, id, op) });
  });
  router.post('/docs/:collection/:id/purge', async (req: Request<Params>, res) => {
    const { collection, id } = names(req);
    await docs.purge(sessionOf(res), collection, id);
    res.status(204).end();
  });
  router.delete('/docs/:collection/:id', async (req: Request<Params>, res) => {
    const { collection, id } = names(req);
    const session = sessionOf(res);
    const { v } = await docs.get(session, collection, id);
    res.json({ v: await docs.submit(session, collection, id, { v, del: true }) });
  });
  return router;
}

function names(req: Request<Params>): Params {
  const { collection, id } = req.params;
  if (!isValidName(collection) || !isValidName(id)) {
    throw new ConcordError('ERR_INVALID_NAME', 'collection and id must be 1-200 characters of letters, digits, _ - . :');
  }
  return { collection, id };
}

function objectBody(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ConcordError('ERR_BAD_REQUEST', 'the body must be a JSON object (Content-Type: application/json)');
  }
  return body as Record<string, unknown>;
}

function optionalInteger(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new ConcordError('ERR_BAD_REQUEST', `${name} must be a non-negative integer`);
  }
  return n;
}

/**
 * With an `Idempotency-Key`, the op is submitted under a src derived from the user and the key with seq 1. ShareDB
 * refuses a second op with the same src and seq in the log it transforms over (ERR_OP_ALREADY_SUBMITTED), which
 * the DocService answers as success: a retry applies once, on every instance, without a separate store.
 */
function idempotency(req: Request, res: Response): { src?: string; seq?: number } {
  const key = req.get('idempotency-key');
  if (key === undefined) return {};
  if (key.length < 1 || key.length > 200) throw new ConcordError('ERR_BAD_REQUEST', 'Idempotency-Key must be 1-200 characters');
  const digest = createHash('sha256').update(`${sessionOf(res).principal.sub}\n${key}`).digest('hex').slice(0, 32);
  return { src: `idem-${digest}`, seq: 1 };
}
