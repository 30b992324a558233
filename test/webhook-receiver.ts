import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One webhook request as an agency received it. */
export interface ReceivedWebhook {
  readonly body: string;
  readonly signature: string | undefined;
  readonly events: readonly { readonly eventId: string; readonly seq: number; readonly personId: string; readonly type: string; readonly data: Record<string, unknown> }[];
}

/** An agency's webhook endpoint on loopback: keeps every request, answers what `status` says. */
export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  status: () => number;
  /** Event ids received, once each (the agency's de-duplication). */
  unique(): ReadonlySet<string>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const receiver: { status: () => number } = { status: () => 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = receiver.status();
      // Only what was answered 2xx counts as applied.
      if (status >= 200 && status < 300) {
        const sig = req.headers['x-sachsong-signature'];
        received.push({ body, signature: typeof sig === 'string' ? sig : undefined, events: (JSON.parse(body) as { events: ReceivedWebhook['events'] }).events });
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${address.port}/events`,
    received,
    unique: () => new Set(received.flatMap((r) => r.events.map((e) => e.eventId))),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve(); }); }),
  });
}

/** Waits until `done` holds, polling; throws with `what` after `ms`. */
export async function waitFor(done: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
