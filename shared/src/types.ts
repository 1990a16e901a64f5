/**
 * The OT type registry both sides agree on. ShareDB looks types up by name and by URI; the server and every
 * client must register the very same type objects, so third-party clients import them from here.
 */
import * as json1 from 'ot-json1';
import richText from 'rich-text';
import * as textUnicode from 'ot-text-unicode';

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
  // Whiteboard presence (pointer coordinates, selected ids) does not address positions inside the document, so it
  // passes through ops unchanged; ShareDB only needs the function to exist to enable doc presence.
  transformPresence: (presence: unknown) => presence,
};

export const richTextType: OTType = richText.type as unknown as OTType;

const textBase = textUnicode.type;
/** text-unicode with presence: a `{index, length}` range in code points, moved through each op. */
export const textUnicodeType: OTType = {
  ...(textBase as unknown as OTType),
  transformPresence(presence: unknown, op: unknown): unknown {
    if (!isTextRange(presence)) return presence;
    const textOp = op as Parameters<typeof textBase.transformPosition>[1];
    const start = textBase.transformPosition(presence.index, textOp);
    const end = textBase.transformPosition(presence.index + presence.length, textOp);
    return { ...presence, index: start, length: end - start };
  },
};

export function isTextRange(value: unknown): value is TextRange {
  if (typeof value !== 'object' || value === null) return false;
  const { index, length } = value as Partial<TextRange>;
  return Number.isSafeInteger(index) && Number.isSafeInteger(length) && (index as number) >= 0;
}

/** Registry where ShareDB (server `ShareDB.types`, client `sharedb/lib/client`.types) keeps types. */
export interface TypeRegistry {
  register(type: OTType): void;
  map: Record<string, OTType | undefined>;
}

/** Registers json1, rich-text and text-unicode (json0 is ShareDB's built-in default). Idempotent. */
export function registerTypes(registry: TypeRegistry): void {
  for (const type of [json1Type, richTextType, textUnicodeType]) {
    if (registry.map[type.uri] !== type) registry.register(type);
  }
}

const JSON0_URI = 'http://sharejs.org/types/JSONv0';
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
