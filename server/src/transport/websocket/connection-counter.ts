/** Open connections per client address, with a cap (`0` turns the cap off). */
export class ConnectionCounter {
  private readonly counts = new Map<string, number>();
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Counts one more connection from `address`; returns its release function, or undefined when over the cap. */
  acquire(address: string): (() => void) | undefined {
    const count = this.counts.get(address) ?? 0;
    if (this.limit > 0 && count >= this.limit) return undefined;
    this.counts.set(address, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(address) ?? 1) - 1;
      if (left <= 0) this.counts.delete(address);
      else this.counts.set(address, left);
    };
  }
}
