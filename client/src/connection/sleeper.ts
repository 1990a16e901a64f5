/** Waits that `cancelAll()` ends early, so that closing a client never leaves a timer behind. */
export class Sleeper {
  private readonly waiting = new Map<ReturnType<typeof setTimeout>, () => void>();

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(timer);
        resolve();
      }, ms);
      this.waiting.set(timer, resolve);
    });
  }

  cancelAll(): void {
    for (const [timer, resolve] of this.waiting) {
      clearTimeout(timer);
      resolve();
    }
    this.waiting.clear();
  }
}
