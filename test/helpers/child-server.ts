/** The standalone server (`node server/dist/main.js`) as a child process, as users and the Docker image run it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));

export interface ChildServer {
  readonly process: ChildProcess;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** Everything the process wrote so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts the server with `PORT=0` and resolves once it printed `listening on http://...`. */
export function startChildServer(env: Record<string, string> = {}, timeoutMs = 20_000): Promise<ChildServer> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        const httpUrl = match[1];
        resolve({
          process: child, httpUrl, wsUrl: `${httpUrl.replace(/^http/, 'ws')}/ws`, exited,
          output: () => out,
          kill: (signal = 'SIGTERM') => void child.kill(signal),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
}
