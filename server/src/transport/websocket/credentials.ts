import type { IncomingMessage } from 'node:http';

/** A bearer token from the `Authorization` header or the `token` query parameter, if any. */
export function tokenFromRequest(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match) return match[1];
  }
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
  return query ?? undefined;
}

/** The request URL with any `token` query parameter replaced, for logs. */
export function redactUrl(url: string | undefined): string {
  return (url ?? '').replace(/([?&]token=)[^&]*/gi, '$1[redacted]');
}
