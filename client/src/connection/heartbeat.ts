/**
 * Notices a connection that died without closing (a network that drops packets instead of resetting): browsers
 * expose no WebSocket ping, so after an interval of silence a ShareDB ping goes out, and if the next interval is
 * silent too the connection is declared dead.
 *
 * That takes 20 to 30 s at the default interval, during which the user, shown "online", goes on typing into a dead
 * connection. So while edits await their ack a shorter clock runs as well (`ackTimeoutMs`): that long without a word
 * from the server sends a ping, and as long again declares the connection dead.
 */
export interface HeartbeatActions {
  /** Ask the server for an answer (ShareDB's `connection.ping()`). */
  ping(): void;
  /** The server stayed silent: drop the connection so that it is re-established. */
  dead(): void;
  /** Whether edits sent to the server still await their ack. */
  awaitingAcks(): boolean;
}

export class Heartbeat {
  private readonly intervalMs: number;
  private readonly actions: HeartbeatActions;
  private timer: ReturnType<typeof setInterval> | undefined;
  private heardSinceTick = true;
  private pinged = false;
  private readonly ackTimeoutMs: number;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private heardSinceAckCheck = false;
  private ackPinged = false;

  constructor(intervalMs: number, actions: HeartbeatActions, ackTimeoutMs = 0) {
    this.intervalMs = intervalMs;
    this.actions = actions;
    this.ackTimeoutMs = ackTimeoutMs;
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
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  /** Any message from the server proves the connection alive. */
  heard(): void {
    this.heardSinceTick = true;
    this.heardSinceAckCheck = true;
  }

  /**
   * An edit went to the server: until every edit is acknowledged, the shorter clock runs. It starts again from
   * here if the server has been heard since it last started, so it counts from the last sign of life.
   */
  sentEdit(): void {
    if (this.ackTimeoutMs <= 0 || this.timer === undefined) return;
    if (this.ackTimer !== undefined) {
      if (!this.heardSinceAckCheck) return;
      clearTimeout(this.ackTimer);
    }
    this.heardSinceAckCheck = false;
    this.ackPinged = false;
    this.scheduleAckCheck();
  }

  private scheduleAckCheck(): void {
    this.ackTimer = setTimeout(() => this.checkAcks(), this.ackTimeoutMs);
    (this.ackTimer as { unref?: () => void }).unref?.();
  }

  private checkAcks(): void {
    this.ackTimer = undefined;
    if (this.heardSinceAckCheck) {
      this.heardSinceAckCheck = false;
      this.ackPinged = false;
      if (this.actions.awaitingAcks()) this.scheduleAckCheck();
      return;
    }
    if (!this.ackPinged) {
      this.ackPinged = true;
      this.actions.ping();
      return this.scheduleAckCheck();
    }
    this.stop();
    this.actions.dead();
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
