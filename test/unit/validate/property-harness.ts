// The property runs shared by the four types. A model gives random documents and valid ops on them; the harness
// checks that the validator accepts every valid op (and their transforms, on the transformed documents) and that
// the transform diamond holds for them; then it mutates valid ops and, for every mutation the validator accepts,
// checks that accepting it was harmless: the type applies it, the result is a valid document, and the diamond with
// a random valid concurrent op holds. Runs are seeded (FC_SEED, default below; FC_SEED=random for a fresh one) and
// bounded in time; the counts are printed.
import fc from 'fast-check';
import { expect } from 'vitest';
import { ConcordError, type TypeName } from '@concord/shared';
import type { Validator } from '@concord/server';
import { canonical, deepFreeze, editOf } from './helpers.js';
import { MUTATIONS, mutate, type Mutation } from './mutate.js';

const DEFAULT_SEED = 20_240_517;
export const SEED = process.env['FC_SEED'] === 'random' ? Date.now() % 2 ** 31
  : Number(process.env['FC_SEED'] ?? DEFAULT_SEED);
/** Wall-clock budget of one property run. */
const TIME_LIMIT_MS = Number(process.env['FC_TIME_MS'] ?? 2500);
const MAX_RUNS = 20_000;

/** Random choices inside one run, drawn from fast-check so runs replay from the seed. */
export class Draw {
  constructor(private readonly g: fc.GeneratorValue) {}

  int(min: number, max: number): number {
    return this.g(fc.integer, { min, max });
  }

  /** True with probability about `p`. */
  chance(p: number): boolean {
    return this.int(0, 999) < p * 1000;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }
}

export interface OTLike {
  apply(doc: unknown, op: unknown): unknown;
  transform(op: unknown, other: unknown, side: 'left' | 'right'): unknown;
}

export interface TypeModel {
  readonly name: TypeName;
  readonly type: OTLike;
  genDoc(draw: Draw): unknown;
  /** A valid op on `doc`. */
  genOp(draw: Draw, doc: unknown): unknown;
  /** Why a document is not valid for the type, or undefined. */
  documentProblem(doc: unknown): string | undefined;
}

export interface ValidCounts { runs: number; ops: number; accepted: number; transformedAccepted: number }
export interface MutationCounts {
  runs: number;
  mutations: number;
  rejected: number;
  harmless: number;
  noSite: number;
  byMutation: Record<Mutation, { rejected: number; harmless: number }>;
}

// Structured clones keep what JSON would lose (NaN, own __proto__ keys), so a harmful op is judged as it was sent.
const clone = <T>(value: T): T => structuredClone(value);
// The type's apply on copies: json0 mutates its input, json1 shares inserted values with the op.
const applyOp = (model: TypeModel, doc: unknown, op: unknown): unknown => clone(model.type.apply(clone(doc), clone(op)));

const show = (value: unknown): string => {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  return text === undefined ? 'undefined' : text.length > 400 ? `${text.slice(0, 400)}…` : text;
};

function accepts(validator: Validator, model: TypeModel, doc: unknown, op: unknown): string | undefined {
  try {
    validator.validateOp(editOf(model.name, deepFreeze(clone(doc)), deepFreeze(clone(op))));
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Applies a and b concurrently both ways; returns the two results. */
function diamond(model: TypeModel, doc: unknown, a: unknown, b: unknown): { left: unknown; right: unknown; a2: unknown; b2: unknown } {
  const a2 = model.type.transform(clone(a), clone(b), 'left');
  const b2 = model.type.transform(clone(b), clone(a), 'right');
  const left = applyOp(model, applyOp(model, doc, a), b2);
  const right = applyOp(model, applyOp(model, doc, b), a2);
  return { left, right, a2, b2 };
}

export function runValidProperty(model: TypeModel, validator: Validator): ValidCounts {
  const counts: ValidCounts = { runs: 0, ops: 0, accepted: 0, transformedAccepted: 0 };
  fc.assert(fc.property(fc.gen(), (g) => {
    const draw = new Draw(g);
    const doc = model.genDoc(draw);
    const a = model.genOp(draw, doc);
    const b = model.genOp(draw, doc);
    counts.runs++;
    counts.ops += 2;
    for (const op of [a, b]) {
      const refusal = accepts(validator, model, doc, op);
      if (refusal) throw new Error(`refused a valid op: ${refusal}\n doc=${show(doc)}\n op=${show(op)}`);
      counts.accepted++;
    }
    const { left, right, a2, b2 } = diamond(model, doc, a, b);
    // What the server does: the op that arrives second is transformed and validated against the newer document.
    const refusals = [accepts(validator, model, applyOp(model, doc, a), b2), accepts(validator, model, applyOp(model, doc, b), a2)];
    for (const refusal of refusals) {
      if (refusal) throw new Error(`refused a transformed valid op: ${refusal}\n doc=${show(doc)}\n a=${show(a)}\n b=${show(b)}`);
      counts.transformedAccepted++;
    }
    if (canonical(left) !== canonical(right)) {
      throw new Error(`diamond fails on valid ops\n doc=${show(doc)}\n a=${show(a)}\n b=${show(b)}\n ${show(left)} != ${show(right)}`);
    }
    const problem = model.documentProblem(left);
    if (problem) throw new Error(`valid ops made an invalid document: ${problem}`);
  }), { seed: SEED, numRuns: MAX_RUNS, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)] });
  console.log(`[validate ${model.name}] seed=${SEED} valid ops accepted ${counts.accepted}/${counts.ops}, ` +
    `transformed ops accepted ${counts.transformedAccepted}/${counts.runs * 2}, diamond held in ${counts.runs} runs`);
  expect(counts.runs).toBeGreaterThan(20);
  return counts;
}

/** Why accepting `m` would be harmful, or undefined when it is harmless. */
function harm(model: TypeModel, doc: unknown, m: unknown, b: unknown): string | undefined {
  let result: unknown;
  try {
    result = applyOp(model, doc, m);
  } catch (err) {
    return `the type's apply throws: ${(err as Error).message}`;
  }
  const problem = model.documentProblem(result);
  if (problem) return `the result is not a valid document: ${problem}`;
  try {
    const { left, right } = diamond(model, doc, m, b);
    if (canonical(left) !== canonical(right)) return `diamond fails: ${show(left)} != ${show(right)}`;
    return model.documentProblem(left);
  } catch (err) {
    return `transform or apply throws: ${(err as Error).message}`;
  }
}

/** Runs the validator on an op that may be anything; returns 'rejected' or 'harmless', throws on a bad outcome. */
function judge(validator: Validator, model: TypeModel, doc: unknown, op: unknown, b: unknown, what: string): 'rejected' | 'harmless' {
  try {
    validator.validateOp(editOf(model.name, deepFreeze(clone(doc)), op));
  } catch (err) {
    if (err instanceof ConcordError && err.code === 'ERR_OP_INVALID') return 'rejected';
    throw new Error(`the validator threw something else than ERR_OP_INVALID on ${what}: ${String(err)}\n op=${show(op)}`);
  }
  const problem = harm(model, doc, op, b);
  if (problem) throw new Error(`accepted a harmful ${what}: ${problem}\n doc=${show(doc)}\n op=${show(op)}\n b=${show(b)}`);
  return 'harmless';
}

/** Arbitrary values (any shape, prototype-less objects, sparse lists, …) as ops: refused or harmless, never a crash. */
export function runGarbageProperty(model: TypeModel, validator: Validator): { runs: number; rejected: number; harmless: number } {
  const counts = { runs: 0, rejected: 0, harmless: 0 };
  fc.assert(fc.property(fc.gen(), (g) => {
    const draw = new Draw(g);
    const doc = model.genDoc(draw);
    const b = model.genOp(draw, doc);
    const op: unknown = draw.chance(0.5) ? g(fc.anything, { withNullPrototype: true, withSparseArray: true, withBoxedValues: true })
      : g(fc.jsonValue);
    counts.runs++;
    counts[judge(validator, model, doc, op, b, 'arbitrary op')]++;
  }), { seed: SEED, numRuns: MAX_RUNS, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS / 2)] });
  console.log(`[validate ${model.name}] seed=${SEED} arbitrary values as ops ${counts.runs}: rejected ${counts.rejected}, ` +
    `accepted-but-harmless ${counts.harmless}`);
  return counts;
}

export function runMutationProperty(model: TypeModel, validator: Validator): MutationCounts {
  const byMutation = Object.fromEntries(MUTATIONS.map((m) => [m, { rejected: 0, harmless: 0 }])) as MutationCounts['byMutation'];
  const counts: MutationCounts = { runs: 0, mutations: 0, rejected: 0, harmless: 0, noSite: 0, byMutation };
  fc.assert(fc.property(fc.gen(), (g) => {
    const draw = new Draw(g);
    const doc = model.genDoc(draw);
    const a = model.genOp(draw, doc);
    const b = model.genOp(draw, doc);
    const mutation = draw.pick(MUTATIONS);
    const m = mutate(a, mutation, (n) => draw.int(0, n - 1));
    counts.runs++;
    if (m === undefined) {
      counts.noSite++;
      return;
    }
    counts.mutations++;
    const verdict = judge(validator, model, doc, deepFreeze(m), b, `${mutation} mutation of ${show(a)}`);
    counts[verdict]++;
    byMutation[mutation][verdict]++;
  }), { seed: SEED, numRuns: MAX_RUNS, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)] });
  const detail = MUTATIONS.map((m) => `${m} ${byMutation[m].rejected}/${byMutation[m].harmless}`).join(', ');
  console.log(`[validate ${model.name}] seed=${SEED} mutations ${counts.mutations}: rejected ${counts.rejected}, ` +
    `accepted-but-harmless ${counts.harmless} (diamond holds)\n  per mutation rejected/harmless: ${detail}`);
  expect(counts.mutations).toBeGreaterThan(20);
  return counts;
}
