import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import fastifyHelmet from '@fastify/helmet';
import { policyText, strictPolicy } from '../shared/content-security-policy.js';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';

/** The HTTP edge's time limits in milliseconds (config.ts reads them from the environment). */
export interface EdgeTimeouts {
  /** Headers, and the body of a request outside /api, must arrive within this. */
  readonly bodyMs: number;
  /** Any whole request must arrive within this (an operator's streamed upload included). */
  readonly requestMs: number;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Fastify's `genReqId`: the caller's X-Request-Id becomes the log's request id only when it is a
 * well-formed UUID (the exchange asks agencies for one); anything else could carry a name or an
 * ID number into the log, so it gets a fresh id instead.
 *
 * @example
 * Fastify({ genReqId: requestIdOf });
 */
export function requestIdOf(raw: IncomingMessage): string {
  const sent = raw.headers['x-request-id'];
  return typeof sent === 'string' && uuidPattern.test(sent) ? sent.toLowerCase() : randomUUID();
}

/** The Fastify options edgeServerOptions sets. */
export interface EdgeServerOptions extends Pick<FastifyServerOptions, 'requestTimeout' | 'forceCloseConnections' | 'return503OnClosing'> {
  readonly http: ServerOptions;
}

/**
 * Server options for the edge's time limits. The headers deadline counts from the connection's
 * opening, so a connection that never sends a byte is closed too. Node checks the deadlines
 * on a timer (`connectionsCheckingInterval`, 30 s by default), so the check runs often enough for
 * the limits to hold within about a quarter of the body limit. Keep-alive stays on (Fastify's 72 s).
 */
export function edgeServerOptions(timeouts: EdgeTimeouts): EdgeServerOptions {
  return {
    requestTimeout: timeouts.requestMs,
    http: { headersTimeout: timeouts.bodyMs, connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(timeouts.bodyMs / 4))) },
    // app.close() closes idle keep-alive connections; busy ones are the caller's to bound (main.ts).
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  };
}

/** Thrown into a body stream that did not arrive in time; the error handler answers 408. */
class BodyTimeoutError extends Error {
  readonly statusCode = 408;
  readonly code = 'REQUEST_BODY_TIMEOUT';
  constructor() {
    super('the request body was not received in time');
    this.name = 'BodyTimeoutError';
  }
}

/**
 * A deadline on reading a request's body. Outside /api any caller may connect, and a body sent a
 * byte at a time would otherwise hold a connection (and a shutdown) for as long as it likes.
 * Under /api the operator token is checked before the body is read (onRequest), so an operator's
 * large upload is bounded only by the whole-request limit. The body is read through a stream of
 * ours so that the timeout can fail the read without destroying the socket first: the caller gets
 * a 408 and then the connection is closed.
 */
export function registerBodyDeadline(app: FastifyInstance, bodyMs: number): void {
  app.addHook('preParsing', (request, reply, payload, done) => {
    if (request.raw.complete || (request.routeOptions.url?.startsWith('/api/') ?? false)) {
      done(null, payload);
      return;
    }
    const body = new PassThrough();
    const finish = (): void => { clearTimeout(timer); };
    const timer = setTimeout(() => {
      payload.unpipe(body);
      reply.header('connection', 'close');
      body.destroy(new BodyTimeoutError());
    }, bodyMs);
    payload.once('end', finish).once('close', finish).once('error', (error) => {
      finish();
      body.destroy(error);
    });
    payload.pipe(body);
    done(null, body);
  });
}

/**
 * Fastify's `clientErrorHandler` (malformed requests, header timeouts): answers as Node would, and
 * logs the error's code only; Fastify's own handler logs the error, whose `rawPacket` holds the
 * bytes the client sent.
 */
export function clientErrorHandler(this: { log: FastifyBaseLogger }, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, code] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'Request Timeout', 'REQUEST_TIMEOUT']
    : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'REQUEST_HEADERS_TOO_LARGE'] : [400, 'Bad Request', 'REQUEST_MALFORMED'];
  this.log.debug({ err: { type: error.name, code: error.code } }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({ code, status });
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  socket.destroy();
}

/**
 * For the Swagger UI at /docs (style attributes, data: icons) and the HTML reports under /api
 * (a style element and attributes): inline styles and data: images, still no script but the server's.
 */
const relaxedPolicy = policyText({ ...strictPolicy, styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'], fontSrc: ["'self'", 'data:'] });

const helmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: strictPolicy },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
} as const;

/**
 * The headers @fastify/helmet sets with helmetOptions, read once from a throwaway instance: helmet
 * builds them from its options on every request, and they are the same every time.
 */
async function helmetHeaders(): Promise<readonly (readonly [string, string])[]> {
  const probe = Fastify();
  try {
    await probe.register(fastifyHelmet, helmetOptions);
    let headers: readonly (readonly [string, string])[] = [];
    probe.get('/', (_request, reply) => {
      headers = Object.entries(reply.raw.getHeaders()).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)] as const);
      return '';
    });
    await probe.inject({ url: '/' });
    if (headers.length === 0) throw new Error('@fastify/helmet set no headers');
    return headers;
  } finally {
    await probe.close();
  }
}

/** What a JSON answer needs of the browser headers (OWASP's REST list): no framing, no sniffing, no referrer, HTTPS only, same origin. */
const apiHeaderNames = new Set(['cross-origin-resource-policy', 'referrer-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options']);
/** A JSON document loads nothing and is framed nowhere. */
const apiPolicy = policyText({ defaultSrc: ["'none'"], frameAncestors: ["'none'"] });

/**
 * Security headers on every answer (those of @fastify/helmet, computed once at start). The console
 * (dist/web) loads only its own script and stylesheet files, so it gets the strict policy (a
 * browser test checks it runs under it); /docs and the HTML pages under /api get inline styles
 * (relaxedPolicy). No framing anywhere, no referrer, no MIME sniffing. `upgrade-insecure-requests`
 * is left out: the server is reached over plain HTTP on loopback, and behind a TLS proxy elsewhere.
 *
 * Answers under /api carry personal data: no cache (browser, proxy) may keep them, and they get
 * the short REST set (apiHeaderNames, a policy that loads nothing) unless they are an HTML page:
 * the document-only headers (opener and agent-cluster isolation, IE's and Flash's switches) mean
 * nothing to a JSON answer, and setting and sending the full set cost an officer's read about a
 * tenth of its time (BENCHMARKS.md, 2026-12-06).
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  const helmet = await helmetHeaders();
  const withPolicy = (policy: string): readonly (readonly [string, string])[] => helmet.map(([name, value]) => [name, name === 'content-security-policy' ? policy : value] as const);
  const browser = withPolicy(policyText(strictPolicy));
  const relaxed = withPolicy(relaxedPolicy);
  const api: readonly (readonly [string, string])[] = [
    ['cache-control', 'no-store'],
    ['content-security-policy', apiPolicy],
    ...helmet.filter(([name]) => apiHeaderNames.has(name)),
  ];
  if (api.length !== apiHeaderNames.size + 2) throw new Error('@fastify/helmet no longer sets every header an /api answer needs');
  const isApi = (url: string): boolean => url.startsWith('/api/') || url === '/api' || url.startsWith('/api?');
  app.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    const raw = reply.raw;
    for (const [name, value] of isApi(url) ? api : url.startsWith('/docs') ? relaxed : browser) raw.setHeader(name, value);
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    // An HTML page under /api (a report): the browser set, inline styles allowed; no-store stays from onRequest.
    if (isApi(request.url) && String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      for (const [name, value] of relaxed) reply.header(name, value);
    }
    done(null, payload);
  });
}
