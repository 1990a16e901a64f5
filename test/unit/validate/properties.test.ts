// Property tests of the validator, per type: every valid op (and its transform) is accepted and converges; every
// mutation of a valid op, and any arbitrary value sent as an op, is either refused or harmless (applies to a valid
// document and keeps the diamond).
// Seed: FC_SEED (default in property-harness.ts, or FC_SEED=random); budget per run: FC_TIME_MS.
import { describe, expect, it } from 'vitest';
import { createValidator } from '../../../server/dist/policy/validate/index.js';
import { runGarbageProperty, runMutationProperty, runValidProperty, type TypeModel } from './property-harness.js';
import { json0Model } from './models/json0.js';
import { json1Model } from './models/json1.js';
import { richTextModel } from './models/rich-text.js';
import { textUnicodeModel } from './models/text-unicode.js';

const MODELS: readonly TypeModel[] = [json0Model, json1Model, richTextModel, textUnicodeModel];

describe.each(MODELS)('validator properties: $name', (model) => {
  const validator = createValidator();

  it('accepts every valid op and its transforms, and the transform diamond holds', () => {
    const counts = runValidProperty(model, validator);
    expect(counts.accepted).toBe(counts.ops);
  });

  it('refuses mutated ops unless accepting them is harmless', () => {
    const counts = runMutationProperty(model, validator);
    expect(counts.rejected + counts.harmless).toBe(counts.mutations);
    expect(counts.rejected).toBeGreaterThan(counts.mutations / 3);
  });

  it('refuses arbitrary values as ops unless they are harmless, and never crashes', () => {
    const counts = runGarbageProperty(model, validator);
    expect(counts.rejected + counts.harmless).toBe(counts.runs);
  });
});
