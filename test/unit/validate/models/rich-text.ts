// rich-text model: documents of text and embed inserts with attributes; ops of retains (some setting or removing
// attributes), deletes and inserts, lengths biased to the end of the document, sometimes with an entry cut in two.
// Positions are UTF-16 units, so ops may split an astral character, as Quill's do.
import { richTextType } from '@concord/shared';
import type { Draw, TypeModel } from '../property-harness.js';
import { genText } from './json-docs.js';

type Entry = Record<string, unknown>;
const ATTRIBUTES: ReadonlyArray<Entry> = [{ bold: true }, { italic: true }, { color: '#f00' }, { bold: true, size: 3 }];

function genInsert(draw: Draw): Entry {
  const insert = draw.chance(0.2) ? { image: draw.pick(['a.png', 'b.png']) } : genText(draw, 1, 4);
  return draw.chance(0.4) ? { insert, attributes: { ...draw.pick(ATTRIBUTES) } } : { insert };
}

function lengthOf(entry: Entry): number {
  return typeof entry['insert'] === 'string' ? entry['insert'].length : 1;
}

function opsOf(doc: unknown): Entry[] {
  return (Array.isArray(doc) ? doc : (doc as { ops: Entry[] }).ops) as Entry[];
}

/** The op with one text insert or retain cut in two: valid, just not canonical (clients do not always merge). */
function splitOne(draw: Draw, ops: Entry[]): Entry[] {
  const i = draw.int(0, ops.length - 1);
  const entry = ops[i] as Entry;
  const insert = entry['insert'];
  const retain = entry['retain'];
  const at = (n: number): number => draw.int(1, n - 1);
  if (typeof insert === 'string' && insert.length > 1) {
    const cut = at(insert.length);
    return [...ops.slice(0, i), { ...entry, insert: insert.slice(0, cut) }, { ...entry, insert: insert.slice(cut) }, ...ops.slice(i + 1)];
  }
  if (typeof retain === 'number' && retain > 1) {
    const cut = at(retain);
    return [...ops.slice(0, i), { ...entry, retain: cut }, { ...entry, retain: retain - cut }, ...ops.slice(i + 1)];
  }
  return ops;
}

export const richTextModel: TypeModel = {
  name: 'rich-text',
  type: richTextType,
  genDoc(draw) {
    const inserts = Array.from({ length: draw.int(0, 4) }, () => genInsert(draw));
    return { ops: (richTextType.apply({ ops: [] }, inserts) as { ops: Entry[] }).ops };
  },
  genOp(draw, doc) {
    const length = opsOf(doc).reduce((sum, entry) => sum + lengthOf(entry), 0);
    const ops: Entry[] = [];
    let pos = 0;
    for (let n = draw.int(1, 3); n > 0; n--) {
      const rest = length - pos;
      const kind = draw.pick(['retain', 'insert', 'delete'] as const);
      if (kind === 'insert' || rest === 0) {
        ops.push(genInsert(draw));
        continue;
      }
      const count = draw.pick([rest, 1, draw.int(1, rest)]);
      if (kind === 'delete') ops.push({ delete: count });
      else if (draw.chance(0.4)) ops.push({ retain: count, attributes: draw.pick([{ bold: null }, { bold: true }, { color: '#00f' }]) });
      else ops.push({ retain: count });
      pos += count;
    }
    const split = draw.chance(0.3) ? splitOne(draw, ops) : ops;
    return draw.chance(0.5) ? split : { ops: split };
  },
  documentProblem(doc) {
    if (doc === null || typeof doc !== 'object') return 'not a delta';
    for (const entry of opsOf(doc)) {
      const keys = Object.keys(entry);
      if (keys.some((k) => k !== 'insert' && k !== 'attributes')) return `holds ${JSON.stringify(entry)}`;
      const insert = entry['insert'];
      if (typeof insert === 'string' ? insert.length === 0 : insert === null || typeof insert !== 'object' || Object.keys(insert).length !== 1) {
        return `bad insert ${JSON.stringify(entry)}`;
      }
      const attributes = entry['attributes'];
      if (attributes !== undefined && Object.values(attributes as object).some((v) => v === null || typeof v === 'object')) {
        return `bad attributes ${JSON.stringify(entry)}`;
      }
    }
    return undefined;
  },
};
