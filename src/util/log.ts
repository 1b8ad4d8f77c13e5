// Structured logging (pino) for the I/O side of Manifold. Logs go to stderr so that stdout stays machine-readable
// (`--json`, bench lines). Level from MANIFOLD_LOG_LEVEL (default: info; 'silent' in tests).
import { pino, type Logger } from 'pino';

const root: Logger = pino(
  {
    level: process.env.MANIFOLD_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
    base: undefined,
    // Never log secrets even if a caller passes a whole config object.
    redact: { paths: ['*.apiKey', '*.token', '*.password', 'apiKey', 'token', 'password'], censor: '[redacted]' },
  },
  pino.destination(2),
);

export type { Logger };

/**
 * Change the level of every logger (children follow the root). The interactive console monitor lowers logging to
 * warnings so that JSON lines do not scroll through its screen; an explicit MANIFOLD_LOG_LEVEL always wins.
 */
export function setDefaultLogLevel(level: string): void {
  if (process.env.MANIFOLD_LOG_LEVEL === undefined) root.level = level;
}

export function createLogger(component: string): Logger {
  return root.child({ component });
}
