import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * An error as a log line holds it: its type, code and stack frames, but not its message, which
 * may quote a caller's input (a JSON parse error quotes the body, a database error the value).
 * Objects that are not errors (`{ type, code }` written by the app) pass as they are.
 */
function errorSerializer(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as Error & { code?: unknown }).code;
  const frames = (value.stack ?? '').split('\n').filter((line) => line.startsWith('    at ')).map((line) => line.trim());
  return { type: value.name, ...(typeof code === 'string' ? { code } : {}), frames };
}

/** A request in a log line: its method only (the URL holds ID numbers; headers hold tokens and whatever a caller sends). */
function requestSerializer(value: unknown): unknown {
  return typeof value === 'object' && value !== null && 'method' in value ? { method: value.method } : {};
}

/**
 * The process logger. Log lines carry codes, counts and route patterns; personal data (names,
 * ID numbers, addresses) never goes in them, and these paths are redacted should one slip in.
 * `destination` is for tests; the default is standard output.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'sachsong' },
    serializers: { err: errorSerializer, error: errorSerializer, req: requestSerializer },
    redact: {
      paths: ['req.headers', 'headers', '*.rawPacket', '*.idNumber', '*.fullName', '*.birthDate', '*.address', 'idNumber', 'fullName', 'birthDate', 'url', 'req.url'],
      censor: '[redacted]',
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
