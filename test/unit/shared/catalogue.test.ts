/**
 * The shared catalogue both sides agree on: error codes with their HTTP statuses and close codes, the close-code
 * table of the contract with the client's action for each row, the 4429 retry-after reason, and the name rule.
 */
import { describe, expect, it } from 'vitest';
import {
  CLOSE_ACTIONS, CLOSE_CODES, ConcordError, ERRORS, closeAction, errorMessage, formatRetryAfter, isErrorCode,
  isValidName, parseRetryAfter, toError, type ErrorCode,
} from '@concord/shared';

const codes = Object.keys(ERRORS) as ErrorCode[];

describe('the error catalogue', () => {
  it('gives every ERR_ code an HTTP error status and a hint', () => {
    expect(codes.length).toBeGreaterThan(10);
    for (const code of codes) {
      expect(code, code).toMatch(/^ERR_[A-Z0-9_]+$/);
      const { status, hint } = ERRORS[code];
      expect(Number.isInteger(status), code).toBe(true);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(hint.length, code).toBeGreaterThan(10);
    }
  });

  it('gives every code that ends a connection a close code with a row in CLOSE_ACTIONS', () => {
    const closeCodes = new Set<number>(Object.values(CLOSE_CODES));
    for (const code of codes) {
      const close = (ERRORS[code] as { close?: number }).close;
      if (close === undefined) continue;
      expect(closeCodes.has(close), `${code} closes with ${close}`).toBe(true);
      expect(Object.keys(CLOSE_ACTIONS), `${code} closes with ${close}`).toContain(String(close));
    }
  });

  it('maps the contract rows to their close codes and statuses', () => {
    const expected: Array<[ErrorCode, number, number | undefined]> = [
      ['ERR_SHUTTING_DOWN', 503, 1001],
      ['ERR_BINARY_FRAME', 400, 1003],
      ['ERR_MESSAGE_BADLY_FORMED', 400, 1007],
      ['ERR_MESSAGE_TOO_BIG', 413, 1009],
      ['ERR_SLOW_CONSUMER', 503, 1013],
      ['ERR_UNAUTHENTICATED', 401, 4401],
      ['ERR_FORBIDDEN', 403, 4403],
      ['ERR_ORIGIN_NOT_ALLOWED', 403, 4403],
      ['ERR_AUTH_TIMEOUT', 401, 4408],
      ['ERR_RATE_LIMITED', 429, 4429],
      ['ERR_DOC_NOT_FOUND', 404, undefined],
      ['ERR_DOC_ALREADY_CREATED', 409, undefined],
      ['ERR_HISTORY_PRUNED', 410, undefined],
      ['ERR_INVALID_NAME', 400, undefined],
      ['ERR_UNKNOWN_TYPE', 400, undefined],
    ];
    for (const [code, status, close] of expected) {
      expect(ERRORS[code].status, code).toBe(status);
      expect((ERRORS[code] as { close?: number }).close, code).toBe(close);
    }
  });

  it('recognizes exactly its own codes', () => {
    for (const code of codes) expect(isErrorCode(code)).toBe(true);
    for (const value of ['ERR_NOPE', 'toString', '__proto__', 'constructor', '', 42, null, undefined]) {
      expect(isErrorCode(value), String(value)).toBe(false);
    }
  });

  it('carries code, status and the wire body on ConcordError', () => {
    const error = new ConcordError('ERR_DOC_NOT_FOUND', 'no such doc');
    expect(error).toBeInstanceOf(Error);
    expect(error.status).toBe(404);
    expect(JSON.parse(JSON.stringify({ error }))).toEqual({ error: { code: 'ERR_DOC_NOT_FOUND', message: 'no such doc' } });
    const detailed = new ConcordError('ERR_HISTORY_PRUNED', 'gone', { nearest: 200 });
    expect(detailed.toJSON()).toEqual({ code: 'ERR_HISTORY_PRUNED', message: 'gone', details: { nearest: 200 } });
  });
});

describe('closeAction', () => {
  it('follows the contract table row by row', () => {
    const rows: Array<[number, string]> = [
      [1001, 'reconnect'],
      [1006, 'reconnect'],
      [1009, 'stop'],
      [4401, 'reauthenticate'],
      [4403, 'stop'],
      [4408, 'reauthenticate'],
      [4429, 'wait-and-reconnect'],
    ];
    for (const [code, action] of rows) expect(closeAction(code), String(code)).toBe(action);
  });

  it('covers the codes the server sends beyond the table', () => {
    expect(closeAction(CLOSE_CODES.UNSUPPORTED_DATA)).toBe('stop');
    expect(closeAction(CLOSE_CODES.INVALID_PAYLOAD)).toBe('stop');
    expect(closeAction(CLOSE_CODES.INTERNAL_ERROR)).toBe('reconnect');
    expect(closeAction(CLOSE_CODES.TRY_AGAIN_LATER)).toBe('reconnect');
  });

  it('treats codes outside the table as a lost connection', () => {
    for (const code of [1000, 1005, 1012, 4000, 4999]) expect(closeAction(code), String(code)).toBe('reconnect');
  });
});

describe('retry-after close reasons', () => {
  it('formats whole milliseconds, rounding up and never below zero', () => {
    expect(formatRetryAfter(1500)).toBe('retry-after=1500');
    expect(formatRetryAfter(1.2)).toBe('retry-after=2');
    expect(formatRetryAfter(0)).toBe('retry-after=0');
    expect(formatRetryAfter(-30)).toBe('retry-after=0');
  });

  it('parses what it formats', () => {
    for (const ms of [0, 1, 999, 5000, 86_400_000]) expect(parseRetryAfter(formatRetryAfter(ms))).toBe(ms);
  });

  it('rejects anything else', () => {
    for (const reason of ['', 'retry-after=', 'retry-after=abc', 'retry-after=-5', 'retry-after=1.5', ' retry-after=5',
      'retry-after=5 ', 'RETRY-AFTER=5', 'retry-after: 5', 'ERR_RATE_LIMITED']) {
      expect(parseRetryAfter(reason), JSON.stringify(reason)).toBeUndefined();
    }
  });
});

describe('isValidName', () => {
  it('accepts 1 to 200 letters, digits, _ - . :', () => {
    for (const name of ['a', 'Z', '0', '_', '-', '.', ':', 'doc-1', 'notes:2024.01_a-b', 'a'.repeat(200), 'ABCxyz019']) {
      expect(isValidName(name), name).toBe(true);
    }
  });

  it('refuses the empty string, 201 characters and anything outside the set', () => {
    for (const name of ['', 'a'.repeat(201), 'a b', 'a/b', 'a\\b', 'a?b', 'a#b', 'a%20b', 'café', 'a\nb', 'a\n', '\ta',
      'doc!', 'a,b', 'a+b', '😀', 'a\u0000b']) {
      expect(isValidName(name), JSON.stringify(name)).toBe(false);
    }
  });

  it('refuses names that would touch prototypes', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) expect(isValidName(name), name).toBe(false);
  });

  it('refuses non-strings', () => {
    for (const value of [undefined, null, 42, ['a'], { toString: () => 'a' }]) expect(isValidName(value)).toBe(false);
  });
});

describe('what was thrown, as an Error', () => {
  it('keeps an Error (and its code) as it is', () => {
    const error = new ConcordError('ERR_FORBIDDEN', 'no');
    expect(toError(error)).toBe(error);
    expect(errorMessage(error)).toBe('no');
  });

  it('turns an error-like {message, code} object (as ShareDB reports errors) into an Error with both', () => {
    const error = toError({ message: 'Missing ops', code: 'ERR_X' });
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('Missing ops');
    expect((error as Error & { code?: string }).code).toBe('ERR_X');
    expect(errorMessage({ message: 'plain' })).toBe('plain');
  });

  it('wraps anything else with its text as the message', () => {
    for (const [thrown, text] of [['disk full', 'disk full'], [42, '42'], [undefined, 'undefined'], [null, 'null']] as const) {
      const error = toError(thrown);
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toBe(text);
      expect(errorMessage(thrown)).toBe(text);
    }
  });
});
