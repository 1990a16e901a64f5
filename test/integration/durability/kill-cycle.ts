/**
 * One kill cycle: a standalone server (child process) on a SQLite folder under marker load from stock clients,
 * SIGKILLed at a seeded random moment under load; then the file it left is read directly and checked against the ledger.
 */
import { startChildServer } from '../../helpers/child-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { deriveSeed, mulberry32 } from '../convergence/random.js';
import { COLLECTION, Ledger, startLoad, waitForSocketsClosed } from './marker-load.js';
import { checkStore, readStore, type CycleFigures, type StoreCheck } from './store-check.js';

export interface KillCycleOptions {
  readonly dataDir: string;
  /** Extra environment of the server (DURABILITY, ...). */
  readonly env?: Record<string, string>;
  readonly cycle: number;
  readonly seed: number;
  readonly ledger: Ledger;
  /** Creates the documents (first cycle on an empty folder). */
  readonly createDocs: boolean;
  /** Default 4. */
  readonly clients?: number;
  /** The kill moment is drawn from this window after the first acknowledged op of the cycle. Default [150, 700] ms. */
  readonly killWindowMs?: readonly [number, number];
}

export interface KillCycleResult {
  readonly killAtMs: number;
  /** How the server ended: must be the SIGKILL, not an earlier crash. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null };
  readonly check: StoreCheck;
  readonly figures: CycleFigures;
  readonly output: string;
}

export async function killCycle(options: KillCycleOptions): Promise<KillCycleResult> {
  const server = await startChildServer({ STORAGE: 'sqlite', DATA_DIR: options.dataDir, ...options.env });
  try {
    const load = await startLoad({
      wsUrl: server.wsUrl, cycle: options.cycle, seed: options.seed, clients: options.clients ?? 4,
      ledger: options.ledger, createDocs: options.createDocs,
    });
    // The window starts at the first acknowledged op: a freshly started server (JIT cold, on a loaded machine) can take
    // a while to answer, and a kill before that would test nothing.
    await waitFor('the first acknowledged op', () => options.ledger.count(options.cycle, 'acked') > 0, 20_000, 5);
    const [from, to] = options.killWindowMs ?? [150, 700];
    const killAtMs = mulberry32(deriveSeed(options.seed, 'kill', options.cycle)).int(from, to);
    // The kill moment is the randomised input here, not a wait for a condition.
    await new Promise((resolve) => setTimeout(resolve, killAtMs));
    load.stop();
    server.kill('SIGKILL');
    const exit = await server.exited;
    // Acks the server wrote before it died may still be in our socket buffers: count them until the sockets close.
    await waitForSocketsClosed(load.clients);
    await load.done;
    for (const client of load.clients) client.close();
    const check = checkStore(readStore(options.dataDir, COLLECTION), options.ledger);
    return { killAtMs, exit, check, figures: check.figures(options.cycle), output: server.output() };
  } finally {
    if (server.process.exitCode === null && server.process.signalCode === null) {
      server.kill('SIGKILL');
      await server.exited;
    }
  }
}

export function describeFigures(figures: CycleFigures): string {
  return `acknowledged ${figures.acknowledged}, stored ${figures.stored}, in flight at the kill ${figures.inFlight} ` +
    `(${figures.inFlightSent} sent, ${figures.inFlight - figures.inFlightSent} pending in clients), ` +
    `stored but not acknowledged ${figures.storedNotAcked}${figures.failed ? `, answered with an error ${figures.failed}` : ''}`;
}
