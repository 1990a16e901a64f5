/** A Node child process running an ES module script given as text, driven line by line over stdio. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { waitFor } from '../../helpers/wait-for.js';

/** The compiled storage module, as the child imports it (`npm test` builds before running vitest). */
export const STORAGE_ENTRY = pathToFileURL(fileURLToPath(new URL('../../../server/dist/storage/index.js', import.meta.url))).href;

export interface NodeChild {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Lines written to stdout so far. */
  readonly lines: readonly string[];
  /** Resolves with the first stdout line matching, polling until the deadline. */
  waitForLine(match: RegExp, timeoutMs?: number): Promise<string>;
  /** Writes one line to the child's stdin. */
  send(line: string): void;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
  /** SIGKILLs the child and waits for it to end. */
  kill(): Promise<void>;
}

/** Runs `script` (ESM, top-level await allowed) with `STORAGE_ENTRY` and `env` in its environment. */
export function spawnNodeScript(script: string, env: Record<string, string>): NodeChild {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env, STORAGE_ENTRY },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  if (child.pid === undefined) throw new Error('could not spawn node');
  return {
    process: child,
    pid: child.pid,
    lines,
    exited,
    waitForLine: (match, timeoutMs = 15_000) =>
      waitFor(`a line matching ${String(match)} from the child`, () => {
        const line = lines.find((candidate) => match.test(candidate));
        if (line === undefined && ended) throw new Error(`child exited; stderr:\n${stderr}`);
        return line;
      }, timeoutMs),
    send: (line) => void child.stdin.write(`${line}\n`),
    kill: async () => {
      if (!ended) child.kill('SIGKILL');
      await exited;
    },
  };
}
