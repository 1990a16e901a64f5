/**
 * Per-collection JSON Schemas for json0 / json1 documents, compiled once with ajv when the validator is built (a bad
 * schema fails at startup, not on the first op). Checked on the document an op would produce, so a schema states
 * what every stored version of a document looks like.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { invalid } from './invalid.js';

export class SchemaRegistry {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(schemas: Readonly<Record<string, object>>) {
    // allErrors off: the first failure is enough to refuse, and ajv stops there.
    const ajv = new Ajv({ allErrors: false });
    for (const [collection, schema] of Object.entries(schemas)) {
      try {
        this.validators.set(collection, ajv.compile(schema));
      } catch (err) {
        throw new Error(`invalid JSON Schema for collection ${JSON.stringify(collection)}: ${(err as Error).message}`);
      }
    }
  }

  has(collection: string): boolean {
    return this.validators.has(collection);
  }

  /** Refuses a document the collection's schema rejects; collections without a schema accept anything. */
  check(collection: string, doc: unknown): void {
    const validate = this.validators.get(collection);
    if (validate === undefined || validate(doc)) return;
    const error = validate.errors?.[0];
    const where = error?.instancePath ? error.instancePath : '/';
    invalid(`the document would not match the ${collection} schema: ${where} ${error?.message ?? 'is invalid'}`);
  }
}
