/** Counters the engine keeps about op traffic; read by tests, `/admin` and metrics. */
export class EngineStats {
  /** Submits received (creates, edits, deletes). */
  submitted = 0;
  /** Submits written to storage. */
  committed = 0;
  /** Submits that ended in an error. */
  rejected = 0;
  /** Submits acknowledged without a write: no-ops, and resends of ops already committed. */
  acknowledgedWithoutCommit = 0;
  /** Committed submits that had to be transformed against concurrent ops. */
  transformedSubmits = 0;
  /** Concurrent ops transformed over, summed over committed submits. */
  transforms = 0;
  recordCommit(transformedOver: number): void {
    this.committed++;
    if (transformedOver > 0) {
      this.transformedSubmits++;
      this.transforms += transformedOver;
    }
  }

  toJSON(): Record<string, number> {
    return {
      submitted: this.submitted,
      committed: this.committed,
      rejected: this.rejected,
      acknowledgedWithoutCommit: this.acknowledgedWithoutCommit,
      transformedSubmits: this.transformedSubmits,
      transforms: this.transforms,
    };
  }
}
