/**
 * One submit at a time per document, in arrival order. ShareDB lets concurrent submits to one document race: each
 * reads the same snapshot, all but one lose the storage's version check, and each loser re-reads, transforms and
 * retries, so a hot document with N writers does O(N²) reads and transforms per round. Queued, each submit finds
 * the snapshot its predecessor left and commits at the first try (only another process can still make it retry).
 * Different documents still run concurrently, so group commit batches them.
 */
export class DocQueue {
  private readonly tails = new Map<string, Promise<void>>();
  /** The release of the task running now, per key. */
  private readonly running = new Map<string, () => void>();

  /** Runs `task` after every earlier task for `key`; `task` calls `done` when it has finished. */
  run(key: string, task: (done: () => void) => void): void {
    const previous = this.tails.get(key);
    let release!: () => void;
    const finished = new Promise<void>((resolve) => (release = resolve));
    const tail = previous ? previous.then(() => finished) : finished;
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    const start = (): void => {
      this.running.set(key, release);
      task(() => {
        if (this.running.get(key) === release) this.running.delete(key);
        release();
      });
    };
    if (previous) void previous.then(start);
    else start();
  }

  /**
   * Lets the next task for `key` start before the running one has finished: its submit has been handed to the
   * storage's group commit, and the storage keeps the result as the state that the next submit builds on.
   */
  releaseEarly(key: string): void {
    const release = this.running.get(key);
    if (!release) return;
    this.running.delete(key);
    release();
  }
}
