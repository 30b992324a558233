import { appendFile } from 'node:fs/promises';

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

/**
 * Appends each message as one JSON line to a file (development: the person running the server
 * reads the code there). The file holds phone numbers and codes: keep it out of logs and backups.
 *
 * @example
 * const sender = fileOtpSender('/var/tmp/sachsong-otp-outbox.jsonl');
 */
export function fileOtpSender(file: string): OtpSender {
  return {
    async send(message: OtpMessage): Promise<void> {
      await appendFile(file, `${JSON.stringify(message)}\n`, { encoding: 'utf8', mode: 0o600 });
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
