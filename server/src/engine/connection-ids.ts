/**
 * Server-issued connection ids, bound to the principal. ShareDB stamps each op with its connection's id (`src`)
 * and uses (src, seq) to apply a resent op exactly once after a reconnect. Left to clients, that id is whatever
 * they claim, so a co-editor could reuse another client's src and next seq and make the server acknowledge that
 * client's op without applying it. Here an id is `<random>.<HMAC(random, sub)>`: any instance sharing the key can
 * verify it, a handshake may resume it only as the same principal, and every op's src must be its connection's own.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export class ConnectionIds {
  private readonly key: Buffer;

  /** `key`: shared by every instance of a deployment (instances with different keys cannot resume each other's ids). */
  constructor(key: string | Buffer) {
    this.key = Buffer.isBuffer(key) ? key : Buffer.from(key);
  }

  issue(sub: string): string {
    const random = randomBytes(12).toString('base64url');
    return `${random}.${this.mac(random, sub)}`;
  }

  /** True when `id` was issued by a holder of the key to this `sub`. */
  verify(id: unknown, sub: string): id is string {
    if (typeof id !== 'string' || id.length > 64) return false;
    const dot = id.indexOf('.');
    if (dot <= 0) return false;
    const expected = Buffer.from(this.mac(id.slice(0, dot), sub));
    const given = Buffer.from(id.slice(dot + 1));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(random: string, sub: string): string {
    return createHmac('sha256', this.key).update(random).update('\n').update(sub).digest('base64url').slice(0, 22);
  }
}
