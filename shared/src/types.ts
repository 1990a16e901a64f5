/**
 * The OT type registry both sides agree on. ShareDB looks types up by name and by URI; the server and every
 * client must register the very same type objects, so third-party clients import them from here.
 */
import * as json1 from 'ot-json1';
import richText from 'rich-text';
import * as textUnicode from 'ot-text-unicode';
import { ConcordError, errorMessage } from './errors.js';

/** A text selection in a document's own position units (code points for text-unicode, Quill units for rich-text). */
export interface TextRange {
  index: number;
  length: number;
}

/** The structural shape ShareDB needs of an OT type. */
export interface OTType {
  name: string;
  uri: string;
  create(data?: unknown): unknown;
  apply(snapshot: unknown, op: unknown): unknown;
  transform(op: unknown, other: unknown, side: 'left' | 'right'): unknown;
  compose?(a: unknown, b: unknown): unknown;
  invert?(op: unknown): unknown;
  normalize?(op: unknown): unknown;
  transformPresence?(presence: unknown, op: unknown, isOwnOp: boolean): unknown;
  [key: string]: unknown;
}

/** The short type names of the contract, used on the wire (REST `type`) and in configuration. */
export const TYPE_NAMES = ['json0', 'json1', 'rich-text', 'text-unicode'] as const;
export type TypeName = (typeof TYPE_NAMES)[number];

/**
 * json1 with its conflict policy: ot-json1's plain `transform` throws on conflicting concurrent edits (two inserts
 * at one key, an edit inside a removed subtree, ...), which ShareDB turns into a rejected op and a stock client turns
 * into lost pending edits. Allowing every conflict makes json1 resolve them deterministically instead (the left op
 * wins a contested slot, edits inside removed subtrees are dropped), so concurrent whiteboard edits always converge.
 */
const json1Base = json1.type.typeAllowingConflictsPred(() => true) as unknown as OTType;
export const json1Type: OTType = {
  ...json1Base,
  transform: checkedTransform(json1Base),
  // Whiteboard presence (pointer coordinates, selected ids) does not address positions inside the document, so it
  // passes through ops unchanged; ShareDB only needs the function to exist to enable doc presence.
  transformPresence: (presence: unknown) => presence,
};

const richTextBase = richText.type as unknown as OTType;
export const richTextType: OTType = { ...richTextBase, transform: checkedTransform(richTextBase, checkDeltaShape) };

const textBase = textUnicode.type;
/** text-unicode with presence: a `{index, length}` range in code points, moved through each op. */
export const textUnicodeType: OTType = {
  ...(textBase as unknown as OTType),
  transform: checkedTransform(textBase as unknown as OTType),
  transformPresence(presence: unknown, op: unknown): unknown {
    if (!isTextRange(presence)) return presence;
    const textOp = op as Parameters<typeof textBase.transformPosition>[1];
    const start = textBase.transformPosition(presence.index, textOp);
    const end = textBase.transformPosition(presence.index + presence.length, textOp);
    return { ...presence, index: start, length: end - start };
  },
};

/**
 * A type's transform that refuses a malformed op with ERR_OP_INVALID. The server checks an op against the document
 * once it has been transformed to the current version, but an op sent against an older version is transformed
 * first, and there the libraries throw TypeErrors on malformed input (json0, json1, text-unicode) or turn it into an
 * empty op (rich-text makes a delta of anything). `check` refuses what the library would accept; `op` is the op
 * being moved, the one a client submitted (on a client: its own pending op, well-formed by construction).
 */
function checkedTransform(base: OTType, check?: (op: unknown) => void): OTType['transform'] {
  return (op, other, side) => {
    try {
      check?.(op);
      return base.transform(op, other, side);
    } catch (err) {
      throw err instanceof ConcordError ? err : new ConcordError('ERR_OP_INVALID', `${base.name} op: ${errorMessage(err)}`);
    }
  };
}

/** A delta as a list of entries or `{ops: [...]}`, each an insert (non-empty string or embed), retain or delete. */
function checkDeltaShape(op: unknown): void {
  const ops = Array.isArray(op) ? op : (op as { ops?: unknown } | null)?.ops;
  if (!Array.isArray(ops)) throw new ConcordError('ERR_OP_INVALID', 'rich-text op must be a delta (a list of entries or {ops: [...]})');
  for (const entry of ops as unknown[]) {
    const { insert, retain, delete: remove } = (entry ?? {}) as Record<string, unknown>;
    const valid = typeof entry === 'object' && entry !== null && (
      insert !== undefined ? (typeof insert === 'string' && insert.length > 0) || (typeof insert === 'object' && insert !== null)
        : retain !== undefined ? isPositiveInteger(retain) || (typeof retain === 'object' && retain !== null)
          : isPositiveInteger(remove));
    if (!valid) throw new ConcordError('ERR_OP_INVALID', `rich-text op: ${JSON.stringify(entry) ?? String(entry)} is not an insert, retain or delete`);
  }
}

const isPositiveInteger = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) > 0;

export function isTextRange(value: unknown): value is TextRange {
  if (typeof value !== 'object' || value === null) return false;
  const { index, length } = value as Partial<TextRange>;
  return Number.isSafeInteger(index) && Number.isSafeInteger(length) && (index as number) >= 0;
}

/** Registry where ShareDB (server `ShareDB.types`, client `sharedb/lib/client`.types) keeps types. */
export interface TypeRegistry {
  register(type: OTType): void;
  map: Record<string, OTType | undefined>;
  /** ShareDB's json0, compared by identity with the registered one (agent.js, client/connection.js). */
  defaultType?: OTType;
}

const JSON0_URI = 'http://sharejs.org/types/JSONv0';
/** The checked json0 made from a registry's built-in one, and the checked copies themselves. */
const checkedJson0 = new WeakMap<OTType, OTType>();
const checkedCopies = new WeakSet<OTType>();

/**
 * Registers json1, rich-text and text-unicode, and replaces ShareDB's built-in json0 by a copy with a checked
 * transform (see checkedTransform). Idempotent.
 */
export function registerTypes(registry: TypeRegistry): void {
  for (const type of [json1Type, richTextType, textUnicodeType]) {
    if (registry.map[type.uri] !== type) registry.register(type);
  }
  const json0 = registry.map[JSON0_URI];
  if (!json0 || checkedCopies.has(json0)) return;
  let checked = checkedJson0.get(json0);
  if (!checked) {
    checked = { ...json0, transform: checkedTransform(json0) };
    checkedJson0.set(json0, checked);
    checkedCopies.add(checked);
  }
  registry.register(checked);
  if (registry.defaultType === json0) registry.defaultType = checked;
}

const URI_BY_NAME: Record<TypeName, string> = {
  json0: JSON0_URI,
  json1: json1Type.uri,
  'rich-text': richTextType.uri,
  'text-unicode': textUnicodeType.uri,
};

export function isTypeName(value: unknown): value is TypeName {
  return typeof value === 'string' && (TYPE_NAMES as readonly string[]).includes(value);
}

/** The URI ShareDB stores for a short name. */
export function typeUri(name: TypeName): string {
  return URI_BY_NAME[name];
}

/** The short name for a URI or name as ShareDB reports it (snapshots carry URIs), or undefined if unknown. */
export function shortTypeName(uriOrName: string | null | undefined): TypeName | undefined {
  if (uriOrName == null) return undefined;
  if (isTypeName(uriOrName)) return uriOrName;
  for (const name of TYPE_NAMES) if (URI_BY_NAME[name] === uriOrName) return name;
  return undefined;
}
