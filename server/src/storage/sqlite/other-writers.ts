/**
 * Whether another process has committed to the SQLite file since this one last looked (`PRAGMA data_version`
 * changes when another connection commits), so that the hot-document cache can be dropped before a submit builds on
 * it. Reading `data_version` starts a read transaction (lock calls: a twentieth of a lone submit's server time in a
 * profile), so it is read:
 * - with several writers, once per event-loop turn: a client may build on a version another instance committed and
 *   published a moment ago, and a submit read from a cache that lacks it would be refused as "newer than the current
 *   snapshot";
 * - when the engine has made this process the only writer, at most every SINGLE_WRITER_CHECK_MS, a guard against a
 *   second process started by mistake.
 */
const SINGLE_WRITER_CHECK_MS = 5;

export class OtherWriters {
  private seen: number | undefined;
  private nextCheck = 0;
  private checkedThisTurn = false;

  constructor(
    private readonly readDataVersion: () => number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True when the file's data version moved since the last look (and the look was due). */
  committedSinceLastLook(onlyWriter: boolean): boolean {
    if (!this.due(onlyWriter)) return false;
    const version = this.readDataVersion();
    const changed = version !== this.seen;
    this.seen = version;
    return changed;
  }

  private due(onlyWriter: boolean): boolean {
    if (onlyWriter) {
      const now = this.now();
      if (now < this.nextCheck) return false;
      this.nextCheck = now + SINGLE_WRITER_CHECK_MS;
      return true;
    }
    if (this.checkedThisTurn) return false;
    this.checkedThisTurn = true;
    setImmediate(() => (this.checkedThisTurn = false));
    return true;
  }
}
