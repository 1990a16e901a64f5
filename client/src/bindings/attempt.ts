import { asError } from '../connection/errors.js';

/**
 * Runs one step of a binding inside a ShareDB doc listener, where an exception would make ShareDB throw away the
 * user's edits not yet acknowledged (a hard rollback): a failure is reported and `recover` runs; nothing is thrown.
 */
export function attempt(report: (err: Error) => void, step: () => void, recover?: () => void): void {
  try {
    step();
  } catch (err) {
    report(asError(err));
    recover?.();
  }
}
