/**
 * The server's WebSocket class (ws's `WebSocket` server option). ws closes a connection itself when a frame breaks
 * a limit or the protocol (over maxPayload: 1009, invalid UTF-8: 1007, too many fragments: 1008, a bad opcode or
 * mask: 1002), and sends no reason. The contract's close reason is the ERR_* code, so those closes get the
 * catalogue's code; a close with a reason of its own keeps it.
 */
import { WebSocket } from 'ws';
import type { ErrorCode } from '@concord/shared';

const REASONS: Readonly<Partial<Record<number, ErrorCode>>> = {
  1002: 'ERR_MESSAGE_BADLY_FORMED',
  1007: 'ERR_MESSAGE_BADLY_FORMED',
  1008: 'ERR_MESSAGE_TOO_BIG',
  1009: 'ERR_MESSAGE_TOO_BIG',
};

export class ReasonedSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    const reason = data === undefined || data.length === 0 ? (code === undefined ? undefined : REASONS[code]) : data;
    super.close(code, reason);
  }
}
