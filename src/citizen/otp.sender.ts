import { open } from 'node:fs/promises';
import path from 'node:path';

/** One message with a one-time code. */
export interface OtpMessage {
  /** The phone number the code goes to. */
  readonly phone: string;
  readonly code: string;
  readonly purpose: 'activation' | 'recovery';
  readonly expiresAt: string;
}

/**
 * Sends one-time codes to a phone. No SMS gateway is reachable from the platform's development
 * and test machines, so the implementations here are an outbox file and memory; a deployment
 * plugs in its operator's gateway behind this interface (docs/citizen.md).
 */
export interface OtpSender {
  send(message: OtpMessage): Promise<void>;
}

/** The default outbox of the file sender: in the data folder (config.dataDir), beside the store. */
export function otpOutboxPath(dataDir: string): string {
  return path.join(dataDir, 'otp-outbox.jsonl');
}

/**
 * Appends each message as one JSON line to a file (development: the person running the server
 * reads the code there). The file holds phone numbers and codes: it is kept at mode 0600 (set
 * again on every write, also when the file was made earlier with a wider mode); keep it out of
 * logs and backups.
 *
 * @example
 * const sender = fileOtpSender(otpOutboxPath(config.dataDir));
 */
export function fileOtpSender(file: string): OtpSender {
  return {
    async send(message: OtpMessage): Promise<void> {
      const handle = await open(file, 'a', 0o600);
      try {
        // The creation mode passes through the umask and an existing file keeps its own: set it.
        await handle.chmod(0o600);
        await handle.appendFile(`${JSON.stringify(message)}\n`, 'utf8');
      } finally {
        await handle.close();
      }
    },
  };
}

/** Keeps messages in memory (tests read the code from `sent`). */
export function memoryOtpSender(): OtpSender & { readonly sent: OtpMessage[]; last(phone: string): OtpMessage | undefined } {
  const sent: OtpMessage[] = [];
  return {
    sent,
    send: (message: OtpMessage): Promise<void> => { sent.push(message); return Promise.resolve(); },
    last: (phone: string): OtpMessage | undefined => sent.filter((m) => m.phone === phone).at(-1),
  };
}
