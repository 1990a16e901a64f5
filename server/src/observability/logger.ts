import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. Default `info`. */
  level?: string;
  /** Where lines go. Default: standard output. */
  destination?: DestinationStream;
}

/** Structured JSON logs. Tokens are redacted wherever they could appear in a logged request. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const config = {
    level: options.level ?? 'info',
    base: undefined,
    redact: { paths: ['token', 'req.headers.authorization', '*.token', 'headers.authorization'], censor: '[redacted]' },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** A logger that drops everything, for library users who pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
