/**
 * The query operator allowlist. Queries are MongoDB query documents run by the storage (sharedb-mongo passes them
 * to MongoDB; SQLite and memory run them with mingo), so anything executable (`$where`, `$function`, `$expr`,
 * `$accumulator`, aggregation stages) must never reach them. Allowed: comparison, logical, element and array
 * operators, a bounded `$regex`, and `$sort` / `$limit` (capped) / `$skip` / `$count` at the top level.
 */
import { ConcordError, PROTOTYPE_KEYS } from '@concord/shared';

const FIELD_OPERATORS = new Set([
  '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', // comparison
  '$and', '$or', '$nor', '$not', // logical
  '$exists', '$type', // element
  '$all', '$elemMatch', '$size', // array
  '$regex', '$options',
]);
const TOP_LEVEL = new Set(['$sort', '$limit', '$skip', '$count']);
const MAX_REGEX_LENGTH = 200;
const MAX_DEPTH = 20;

export interface QueryLimits {
  /** Largest `$limit`; a larger or missing one is capped to this. */
  maxLimit: number;
}

/** Throws ERR_BAD_REQUEST for a query using anything outside the allowlist; returns the query with `$limit` capped. */
export function checkQuery(query: unknown, limits: QueryLimits): Record<string, unknown> {
  if (query === null || typeof query !== 'object' || Array.isArray(query)) {
    throw new ConcordError('ERR_BAD_REQUEST', 'a query must be an object');
  }
  const checked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (key.startsWith('$')) {
      if (!TOP_LEVEL.has(key) && !FIELD_OPERATORS.has(key)) refuse(key);
      if (key === '$limit' && (!Number.isSafeInteger(value) || (value as number) < 0)) {
        throw new ConcordError('ERR_BAD_REQUEST', '$limit must be a non-negative integer');
      }
      if (key === '$skip' && (!Number.isSafeInteger(value) || (value as number) < 0)) {
        throw new ConcordError('ERR_BAD_REQUEST', '$skip must be a non-negative integer');
      }
    }
    if (!TOP_LEVEL.has(key)) checkNode(key, value, 1);
    else if (key === '$sort') checkSort(value);
    checked[key] = value;
  }
  const limit = typeof checked['$limit'] === 'number' ? checked['$limit'] : limits.maxLimit;
  if (checked['$count'] === undefined) checked['$limit'] = Math.min(limit, limits.maxLimit);
  return checked;
}

function checkNode(key: string, value: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new ConcordError('ERR_BAD_REQUEST', 'the query is nested too deeply');
  if (PROTOTYPE_KEYS.has(key) || key.split('.').some((part) => PROTOTYPE_KEYS.has(part))) {
    throw new ConcordError('ERR_BAD_REQUEST', `the query may not use the key ${key}`);
  }
  if (key.startsWith('$') && !FIELD_OPERATORS.has(key)) refuse(key);
  if (key === '$regex') return checkRegex(value);
  if (Array.isArray(value)) {
    for (const item of value) checkNode('', item, depth + 1);
    return;
  }
  if (value !== null && typeof value === 'object') {
    if (value instanceof RegExp) return checkRegex(value.source);
    for (const [child, childValue] of Object.entries(value)) checkNode(child, childValue, depth + 1);
  }
}

function checkRegex(value: unknown): void {
  if (typeof value !== 'string' || value.length > MAX_REGEX_LENGTH) {
    throw new ConcordError('ERR_BAD_REQUEST', `$regex must be a string of at most ${MAX_REGEX_LENGTH} characters`);
  }
  // A quantified group, such as (a+)+ or (a|a)*, can backtrack exponentially on a long string: refused outright.
  if (/\)[*+{]/.test(value)) throw new ConcordError('ERR_BAD_REQUEST', '$regex with a quantified group is refused');
}

function checkSort(value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConcordError('ERR_BAD_REQUEST', '$sort must be an object of field: 1 | -1');
  }
  for (const [field, direction] of Object.entries(value)) {
    checkNode(field, null, 1);
    if (direction !== 1 && direction !== -1) throw new ConcordError('ERR_BAD_REQUEST', '$sort directions are 1 or -1');
  }
}

function refuse(operator: string): never {
  throw new ConcordError('ERR_BAD_REQUEST', `the query operator ${operator} is not allowed`);
}
