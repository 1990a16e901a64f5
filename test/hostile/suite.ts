/**
 * The driver: runs each hostile case as one `it` against one server, with the shared assertions after every case:
 * the server process is alive and `/healthz` answers, the outcome is the documented code, the case's documents are
 * unchanged and valid when fetched through the server, `Object.prototype` is untouched, and the two honest clients
 * that edited concurrently converged with a p99 round trip within HONEST_P99_BUDGET_MS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { Attacker, http } from './attacker.js';
import type { Endpoint, HostileCase, HostileContext, Target, TypeName } from './case.js';
import { HONEST_P99_BUDGET_MS, HonestPair } from './honest.js';
import { expectValidShape } from './shapes.js';

export const SECRET = 'hostile-suite-secret-0123456789abcdef-0123456789';
export const ORIGIN = 'https://app.example';
export const RULES = {
  collections: { '*': { read: ['user'], create: ['user'], write: ['user'], presence: ['user'] } },
};

export function signToken(sub: string, options: { ttlSec?: number; roles?: string[] } = {}): Promise<string> {
  return new SignJWT({ roles: options.roles ?? ['user'], name: `${sub} (test)` })
    .setProtectedHeader({ alg: 'HS256' }).setSubject(sub)
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.ttlSec ?? 3600))
    .sign(new TextEncoder().encode(SECRET));
}

export interface ServerUnderTest {
  readonly endpoint: Endpoint;
  readonly inProcess: boolean;
  readonly maxMessageBytes: number;
  readonly opsPerSec: number;
  /** The process serving is still running. */
  alive(): boolean;
  close(): Promise<void>;
}

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
/** Keys the cases try to plant through prototype paths. */
const PLANTED = ['polluted', 'x', 'isAdmin', 'evil'];

function prototypeKeys(): string[][] {
  return PROTOTYPES.map((proto) => Reflect.ownKeys(proto).map(String).sort());
}

export function defineHostileSuite(title: string, cases: readonly HostileCase[], start: () => Promise<ServerUnderTest>): void {
  describe(title, () => {
    let server: ServerUnderTest;
    let honest: HonestPair;
    let ownerToken: string;
    let counter = 0;
    const summary: string[] = [];

    beforeAll(async () => {
      server = await start();
      ownerToken = await signToken('owner');
      honest = await HonestPair.start(server.endpoint.wsUrl, await signToken('honest-a'), await signToken('honest-b'));
    });

    afterAll(async () => {
      honest?.close();
      await server?.close();
      console.log(`\n[hostile] ${title}: ${summary.length} cases\n${summary.join('\n')}`);
    });

    const getDoc = async (collection: string, id: string) => http(`${server.endpoint.httpUrl}/api/docs/${collection}/${id}`, {
      headers: { authorization: `Bearer ${ownerToken}` },
    });

    for (const testCase of cases) {
      it(`[${testCase.category}] ${testCase.name}`, async () => {
        const targets: Target[] = [];
        const cleanups: Array<() => void | Promise<void>> = [];
        const attackers: Attacker[] = [];
        const before = prototypeKeys();
        const ctx: HostileContext = {
          server: server.endpoint,
          origin: ORIGIN,
          maxMessageBytes: server.maxMessageBytes,
          opsPerSec: server.opsPerSec,
          inProcess: server.inProcess,
          token: signToken,
          async attacker(sub = 'mallory') {
            const attacker = await Attacker.open(server.endpoint.wsUrl, await signToken(sub));
            cleanups.push(() => attacker.close());
            attackers.push(attacker);
            return attacker;
          },
          async target(type: TypeName, data: unknown) {
            const id = `${testCase.category}-${++counter}-${Date.now().toString(36)}`;
            const created = await http(`${server.endpoint.httpUrl}/api/docs/docs/${id}`, {
              method: 'POST',
              headers: { authorization: `Bearer ${ownerToken}`, 'content-type': 'application/json' },
              body: JSON.stringify({ type, data }),
            });
            expect(created.status, JSON.stringify(created.body)).toBe(201);
            const target: Target = { collection: 'docs', id, type, v: created.body['v'] as number, data: created.body['data'] };
            targets.push(target);
            return target;
          },
          honestId: () => honest.id,
          honestSeq: () => honest.nextSeq,
          defer: (fn) => void cleanups.push(fn),
        };

        let outcome;
        let latency;
        try {
          ({ result: outcome, latency } = await honest.during(() => testCase.run(ctx)));
        } finally {
          for (const fn of cleanups) await fn();
        }
        const said = attackers.map((a) => a.lastError).filter(Boolean).pop();
        const note = [outcome.note, said && `"${said}"`].filter(Boolean).join('; ');
        const line = `${testCase.category.padEnd(13)} ${testCase.name} → ${outcome.code}` +
          `${note ? ` (${note})` : ''} | honest p50 ${latency.p50} ms, p99 ${latency.p99} ms, ` +
          `max ${latency.max} ms over ${latency.count} round trips (budget p99 < ${HONEST_P99_BUDGET_MS} ms)`;
        summary.push(line);
        console.log(`[hostile] ${line}`);

        // The documented code.
        expect(outcome.code, testCase.name).toBe(testCase.expected);
        // The process is alive and serving.
        expect(server.alive()).toBe(true);
        const health = await http(`${server.endpoint.httpUrl}/healthz`);
        expect(health).toEqual({ status: 200, body: { status: 'ok' } });
        // The case's documents are as they were (or as the case says), read through the server, and valid.
        for (const target of targets) {
          const read = await getDoc(target.collection, target.id);
          expect(read.status, `${target.id}: ${JSON.stringify(read.body)}`).toBe(200);
          expect(read.body, target.id).toEqual({ v: target.v, type: target.type, data: target.data });
          expectValidShape(target.type, read.body['data']);
        }
        // Nothing reached a prototype (the server runs in this process, or its JSON answers would show it).
        expect(prototypeKeys()).toEqual(before);
        for (const key of PLANTED) expect((({}) as Record<string, unknown>)[key], key).toBeUndefined();
        // The honest clients stayed connected, converged, and were served within budget.
        expect(honest.alive()).toBe(true);
        await honest.expectConverged();
        expect(latency.p99, `honest p99 during ${testCase.name}`).toBeLessThan(HONEST_P99_BUDGET_MS);
      });
    }
  });
}
