// Mutators that break a valid op the ways clients and attackers do: off by one, past the end, negative, NaN,
// fractions, wrong types, missing fields, prototype keys. Each picks one site of the op (any node of its JSON tree)
// that suits the mutation and changes only that; the op is copied first.
import { clone } from './helpers.js';

export const MUTATIONS = [
  'off-by-one-up', 'off-by-one-down', 'past-end', 'negative', 'nan', 'fraction',
  'wrong-type', 'missing-field', 'prototype-key', 'extend-string',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

interface Site {
  readonly parent: Record<string, unknown> | unknown[];
  readonly key: string | number;
  readonly value: unknown;
}

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** Every node under `holder.root`, with where it hangs. */
function sitesOf(holder: { root: unknown }): Site[] {
  const sites: Site[] = [];
  const visit = (parent: Site['parent'], key: string | number): void => {
    const value = (parent as Record<string | number, unknown>)[key];
    sites.push({ parent, key, value });
    if (Array.isArray(value)) value.forEach((_, i) => visit(value, i));
    else if (value !== null && typeof value === 'object') for (const k of Object.keys(value)) visit(value as Record<string, unknown>, k);
  };
  visit(holder as unknown as Record<string, unknown>, 'root');
  return sites;
}

function suits(mutation: Mutation, value: unknown): boolean {
  switch (mutation) {
    case 'off-by-one-up': case 'off-by-one-down': case 'past-end': case 'negative': case 'nan': case 'fraction':
      return typeof value === 'number';
    case 'extend-string': return typeof value === 'string';
    case 'missing-field': return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0;
    case 'prototype-key': return typeof value === 'string' || (value !== null && typeof value === 'object' && !Array.isArray(value));
    case 'wrong-type': return true;
  }
}

function wrongType(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value.length;
  if (typeof value === 'boolean') return String(value);
  if (value === null) return 0;
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [String(i), v]));
  return Object.values(value as object);
}

/** The op with one site mutated, or undefined when the op has no site the mutation suits. */
export function mutate(op: unknown, mutation: Mutation, choose: (n: number) => number): unknown {
  const holder = { root: clone(op) };
  const sites = sitesOf(holder).filter((site) => suits(mutation, site.value));
  if (sites.length === 0) return undefined;
  const { parent, key, value } = sites[choose(sites.length)] as Site;
  const set = (v: unknown): void => {
    (parent as Record<string | number, unknown>)[key] = v;
  };
  const n = value as number;
  switch (mutation) {
    case 'off-by-one-up': set(n + 1); break;
    case 'off-by-one-down': set(n - 1); break;
    case 'past-end': set(n + 1000); break;
    case 'negative': set(-Math.abs(n) - 1); break;
    case 'nan': set(Number.NaN); break;
    case 'fraction': set(n + 0.5); break;
    case 'extend-string': set(`${value as string}x`); break;
    case 'wrong-type': set(wrongType(value)); break;
    case 'missing-field': {
      const keys = Object.keys(value as object);
      delete (value as Record<string, unknown>)[keys[choose(keys.length)] as string];
      break;
    }
    case 'prototype-key': {
      const protoKey = PROTO_KEYS[choose(PROTO_KEYS.length)] as string;
      if (typeof value === 'string') set(protoKey);
      // An own key named __proto__, as JSON.parse makes it (an assignment would set the prototype instead).
      else Object.defineProperty(value, protoKey, { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
      break;
    }
  }
  return holder.root;
}
