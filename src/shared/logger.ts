import { pino, type Logger } from 'pino';

/**
 * The process logger. Log lines carry codes, counts and route patterns; personal data (names,
 * ID numbers, addresses) never goes in them, and these paths are redacted should one slip in.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'sachsong' },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.idNumber', '*.fullName', '*.birthDate', '*.address', 'idNumber', 'fullName', 'birthDate', 'url', 'req.url'],
      censor: '[redacted]',
    },
  });
}
