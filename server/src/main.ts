/** `npm start`: load the configuration from the environment, start, and stop gracefully on SIGTERM / SIGINT. */
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './standalone.js';
import { createLogger } from './observability/logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`concord: ${err.message}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: config.logLevel });
  let server;
  try {
    server = await startServer(config, logger);
  } catch (err) {
    process.stderr.write(`concord: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    server.close().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'unclean stop');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Announced only once the handlers are in place: whoever waits for this line (a supervisor, a test) may send
  // SIGTERM at once, and a signal arriving before process.on() would kill the process without a graceful stop.
  process.stdout.write(`listening on ${server.url}\n`);
}

void main();
