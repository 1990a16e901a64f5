import type { IncomingMessage } from 'node:http';

/**
 * The client's address: the socket's peer, or with `trustProxy` the left-most `X-Forwarded-For` entry (set by the
 * proxy in front of us; never trusted otherwise, since any client can send the header).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
