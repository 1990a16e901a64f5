/**
 * Notices a connection that died without closing (a network that drops packets instead of resetting): browsers
 * expose no WebSocket ping, so after an interval of silence a ShareDB ping goes out, and if the next interval is
 * silent too the connection is declared dead.
 */
export interface HeartbeatActions {
  /** Ask the server for an answer (ShareDB's `connection.ping()`). */
  ping(): void;
  /** The server stayed silent: drop the connection so that it is re-established. */
  dead(): void;
}

export class Heartbeat {
  private readonly intervalMs: number;
  private readonly actions: HeartbeatActions;
  private timer: ReturnType<typeof setInterval> | undefined;
  private heardSinceTick = true;
  private pinged = false;

  constructor(intervalMs: number, actions: HeartbeatActions) {
    this.intervalMs = intervalMs;
    this.actions = actions;
  }

  start(): void {
    this.stop();
    if (this.intervalMs <= 0) return;
    this.heardSinceTick = true;
    this.pinged = false;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    // In Node, a heartbeat alone must not keep the process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Any message from the server proves the connection alive. */
  heard(): void {
    this.heardSinceTick = true;
  }

  private tick(): void {
    if (this.heardSinceTick) {
      this.heardSinceTick = false;
      this.pinged = false;
      return;
    }
    if (!this.pinged) {
      this.pinged = true;
      this.actions.ping();
      return;
    }
    this.stop();
    this.actions.dead();
  }
}
