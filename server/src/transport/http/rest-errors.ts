import type { ErrorRequestHandler, Response } from 'express';
import { ConcordError, ERRORS } from '@concord/shared';
import { toConcordError } from '../../engine/error-mapping.js';
import type { Logger } from '../../observability/logger.js';

/** Writes `{"error":{"code","message"}}` with the catalogue's status (and `Retry-After` on 429). */
export function sendError(res: Response, error: ConcordError, retryAfterSeconds = 1): void {
  if (error.status === 429) res.setHeader('Retry-After', String(retryAfterSeconds));
  res.status(error.status).json({ error: error.toJSON() });
}

/** The last handler of the router: every error leaves as a catalogue body, never as an HTML stack trace. */
export function restErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) return next(err);
    const error = fromHttpError(err) ?? toConcordError(err);
    if (error.code === 'ERR_INTERNAL') logger.error({ err: error.cause ?? err }, 'REST request failed');
    sendError(res, error);
  };
}

/** Errors raised by express.json(): bad JSON (400) and a too-large body (413). */
function fromHttpError(err: unknown): ConcordError | undefined {
  if (err instanceof ConcordError) return err;
  const { type, status } = (err ?? {}) as { type?: unknown; status?: unknown };
  if (type === 'entity.too.large') return new ConcordError('ERR_MESSAGE_TOO_BIG', ERRORS.ERR_MESSAGE_TOO_BIG.hint);
  if (type === 'entity.parse.failed') return new ConcordError('ERR_BAD_REQUEST', 'request body is not valid JSON');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ConcordError('ERR_BAD_REQUEST', 'malformed request');
  }
  return undefined;
}
