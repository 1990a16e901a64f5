import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../server/dist/transport/websocket/json-stream.js';

/** The shortest message text nesting `depth` containers: an object holding arrays. */
const nested = (depth: number): string => (depth === 1 ? '{"a":0}' : `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`);

describe('parseMessage', () => {
  it('accepts JSON objects only', () => {
    expect(parseMessage('{"a":"op"}', 10)).toEqual({ a: 'op' });
    for (const text of ['[1]', 'null', '"x"', '1', '{"a":', '']) expect(parseMessage(text, 10)).toBeUndefined();
  });

  it('refuses nesting one level deeper than the limit, also in the shortest text that can carry it', () => {
    for (const limit of [1, 2, 3, 10, 100]) {
      expect(parseMessage(nested(limit), limit), `depth ${limit}, limit ${limit}`).toBeDefined();
      expect(parseMessage(nested(limit + 1), limit), `depth ${limit + 1}, limit ${limit}`).toBeUndefined();
      // The same depth with room to spare in the text.
      const padded = nested(limit + 1).replace('{"a":', `{"pad":"${'x'.repeat(4 * limit)}","a":`);
      expect(parseMessage(padded, limit)).toBeUndefined();
    }
  });
});
