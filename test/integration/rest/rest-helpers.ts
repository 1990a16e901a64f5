/** Shared by the REST tests: plain fetch calls, the contract's error body, history pages, and a server per file. */
import { afterAll, beforeAll, expect } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';

export interface Reply {
  status: number;
  body: unknown;
  headers: Headers;
}

export interface HistoryEntry {
  v: number;
  op?: unknown;
  create?: { type: string; data?: unknown };
  del?: true;
  src: string;
  seq: number;
  m: { ts: number; user: string };
}

export function http(base: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(base + path, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text, and the assertions on it will say so
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

/** Asserts the contract's error body: exactly `{"error":{"code","message"}}`. */
export function expectError(reply: Reply, status: number, code: string): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  const body = reply.body as { error: { code: unknown; message: unknown } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect((body.error.message as string).length).toBeGreaterThan(0);
}

export function history(reply: Reply): { ops: HistoryEntry[]; next?: number } {
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body as { ops: HistoryEntry[]; next?: number };
}

/** A server for the file's tests (started before them, closed after) and a request function bound to it. */
export function useRestServer(): { readonly server: TestServer; readonly req: ReturnType<typeof http> } {
  const api = {} as { server: TestServer; req: ReturnType<typeof http> };
  beforeAll(async () => {
    api.server = await startTestServer();
    api.req = http(api.server.httpUrl);
  });
  afterAll(async () => {
    await api.server?.close();
  });
  return api;
}
