/**
 * The op validator: the engine's `Validator` seam filled with per-type rules, run in ShareDB's `apply` middleware on
 * the snapshot before the op. Each rule module checks what its OT type leaves unchecked (positions and lengths within
 * the document, deleted values matching it, plain JSON values, prototype keys) and the shared caps (nesting depth, op
 * size, document size), and json0 / json1 collections can have a JSON Schema every resulting document must match.
 *
 * Every refusal is a ConcordError `ERR_OP_INVALID` with a short reason. Deletes are never refused here (whether one
 * may delete is authorization's question).
 *
 * Cost: ops are walked in full (they are capped at `maxOpBytes`); documents are never deep-copied. json0 / json1
 * results are computed by copying only the containers along the op's paths; rich-text applies the delta only when the
 * op can grow the document. The size cap is measured on the result only when the op can grow it, by one walk that
 * bounds the JSON size without serializing (serializing only when the bounds straddle the cap); text-unicode needs no
 * walk unless three bytes per UTF-16 unit would come near the cap. Measured on a 1.3 MB JSON document: a growing op
 * costs about 8 ms, a shrinking one or a number add under 0.3 ms, against about 20 to 50 ms for the one
 * `JSON.stringify` the storage does on every commit.
 */
import type { TypeName } from '@concord/shared';
import type { OpCandidate, Validator } from '../../engine/policies.js';
import { invalid } from './invalid.js';
import { validateJson0Create, validateJson0Op } from './json0.js';
import { validateJson1Create, validateJson1Op } from './json1.js';
import { DEFAULT_VALIDATION_LIMITS, MAX_DEPTH_CEILING, type ValidationLimits } from './limits.js';
import { validateRichTextCreate, validateRichTextOp } from './rich-text.js';
import { SchemaRegistry } from './schema.js';
import { validateTextUnicodeCreate, validateTextUnicodeOp } from './text-unicode.js';

export interface ValidatorOptions {
  /**
   * Deepest nesting of lists and objects in an op and in a JSON document (a root object is depth 1).
   * Default 100, the transport's `DEFAULT_LIMITS.maxJsonDepth`; at most 1000.
   */
  maxDepth?: number;
  /** Largest op in UTF-8 bytes of its JSON. Default 1 MiB (`DEFAULT_LIMITS.maxMessageBytes`, the largest message). */
  maxOpBytes?: number;
  /**
   * Largest document in UTF-8 bytes of its JSON (of the text, for text-unicode), measured on the document an op or
   * create would produce. Default 8 MiB: half of MongoDB's 16 MiB BSON cap, which BSON's overhead can reach first.
   */
  maxDocBytes?: number;
  /**
   * A JSON Schema per collection name, compiled once with ajv (a bad schema throws here). Such a collection holds
   * json0 / json1 documents only: creating a text or rich-text document there is refused. Default: none.
   */
  schemas?: Readonly<Record<string, object>>;
}

export function createValidator(options: ValidatorOptions = {}): Validator {
  const limits = resolveLimits(options);
  const schemas = new SchemaRegistry(options.schemas ?? {});
  return {
    validateOp(candidate: OpCandidate): void {
      if (candidate.del) return;
      if (candidate.create) {
        // A schema describes JSON documents: a text document would get around it, so such a collection holds none.
        if (!isJsonType(candidate.create.type) && schemas.has(candidate.collection)) {
          invalid(`the ${candidate.collection} collection has a JSON Schema: its documents must be json0 or json1`);
        }
        const doc = validateCreate(candidate.create.type, candidate.create.data, limits);
        if (isJsonType(candidate.create.type)) schemas.check(candidate.collection, doc);
        return;
      }
      if (candidate.op === undefined) invalid('an edit needs an op'); // as ShareDB's apply would, with a clearer code
      const doc = validateEdit(candidate.type, candidate.data, candidate.op, limits);
      if (isJsonType(candidate.type)) schemas.check(candidate.collection, doc);
    },
  };
}

function resolveLimits(options: ValidatorOptions): ValidationLimits {
  const limits = {
    maxDepth: options.maxDepth ?? DEFAULT_VALIDATION_LIMITS.maxDepth,
    maxOpBytes: options.maxOpBytes ?? DEFAULT_VALIDATION_LIMITS.maxOpBytes,
    maxDocBytes: options.maxDocBytes ?? DEFAULT_VALIDATION_LIMITS.maxDocBytes,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`validator ${name} must be a positive integer`);
  }
  if (limits.maxDepth > MAX_DEPTH_CEILING) {
    throw new RangeError(`validator maxDepth must be at most ${MAX_DEPTH_CEILING}`);
  }
  return limits;
}

function isJsonType(type: TypeName): boolean {
  return type === 'json0' || type === 'json1';
}

/** Checks created data; returns the document the create makes (JSON types), for the schema. */
function validateCreate(type: TypeName, data: unknown, limits: ValidationLimits): unknown {
  switch (type) {
    case 'json0': return validateJson0Create(data, limits);
    case 'json1': return validateJson1Create(data, limits);
    case 'rich-text': return validateRichTextCreate(data, limits);
    case 'text-unicode': return validateTextUnicodeCreate(data, limits);
  }
}

/** Checks an edit against the document before it; returns the resulting document (JSON types), for the schema. */
function validateEdit(type: TypeName, data: unknown, op: unknown, limits: ValidationLimits): unknown {
  switch (type) {
    case 'json0': return validateJson0Op(data, op, limits);
    case 'json1': return validateJson1Op(data, op, limits);
    case 'rich-text': return validateRichTextOp(data, op, limits);
    case 'text-unicode': return validateTextUnicodeOp(data, op, limits);
  }
}
