/**
 * A client for the sachsong exchange, as an agency (a bank, a ministry) uses it: it signs the token
 * request with the subsystem's private key (an RFC 7523 client assertion, Ed25519), keeps the
 * access token until shortly before it expires, calls a service with the headers the exchange
 * requires, and checks X-Response-Hash so that a response cannot be passed off as another's.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';

export type ServiceName = 'verify' | 'person' | 'residence' | 'household' | 'changes';

export interface AgencyClientOptions {
  /** The exchange's address, e.g. https://registry.example.vn */
  readonly baseUrl: string;
  /** The subsystem's client id, VN/<class>/<member>/<subsystem>. */
  readonly clientId: string;
  /** The subsystem's private key (private.jwk.json from `sachsong agency keygen`), with its kid. */
  readonly privateJwk: JWK;
  /** The token audience the exchange announces at /x/catalog (default: its usual one). */
  readonly audience?: string;
  /** For tests: the fetch to use and the current time. */
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
}

/** Who a call is made for and why: the exchange records them with every release. */
export interface CallContext {
  /** An officer of the agency registered with the exchange. */
  readonly officerId: string;
  /** The agency's case or file number. */
  readonly caseReference: string;
  /** A purpose code of the agency's grant for this service. */
  readonly purpose: string;
}

/** The exchange's envelope around a service's answer. */
export interface ServiceReply<T> {
  readonly requestId: string;
  readonly requestHash: string;
  readonly service: string;
  readonly result: T;
  readonly [key: string]: unknown;
}

/** A refusal by the exchange, as its problem+json says it: a stable code, what happened, what to do. */
export class ExchangeError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly action: string,
  ) {
    super(`${code}: ${detail} (${action})`);
    this.name = 'ExchangeError';
  }
}

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

async function refusal(response: Response): Promise<ExchangeError> {
  const text = await response.text();
  try {
    const problem = JSON.parse(text) as { code?: string; detail?: string; action?: string };
    return new ExchangeError(response.status, problem.code ?? `HTTP_${response.status}`, problem.detail ?? text, problem.action ?? '');
  } catch {
    return new ExchangeError(response.status, `HTTP_${response.status}`, text.slice(0, 200), '');
  }
}

/**
 * @example
 * const client = await AgencyClient.fromKeyFile({ baseUrl: 'https://registry.example.vn', clientId: 'VN/COM/VCB/ekyc' }, 'keys/private.jwk.json');
 * const reply = await client.call('verify', { idNumber: '079203012345', fullName: 'Trần Văn Đức' }, { officerId: 'o-0042', caseReference: 'HS-2026-001234', purpose: 'KYC' });
 */
export class AgencyClient {
  private token: { readonly value: string; readonly renewAt: number } | undefined;
  private key: CryptoKey | Uint8Array | undefined;
  private readonly fetch: typeof fetch;
  private readonly now: () => Date;

  constructor(private readonly options: AgencyClientOptions) {
    this.fetch = options.fetch ?? fetch;
    this.now = options.now ?? (() => new Date());
  }

  /** A client whose private key is read from a JWK file. */
  static async fromKeyFile(options: Omit<AgencyClientOptions, 'privateJwk'>, file: string): Promise<AgencyClient> {
    return new AgencyClient({ ...options, privateJwk: JSON.parse(await readFile(file, 'utf8')) as JWK });
  }

  /** The signed client assertion: iss = sub = client id, the exchange's audience, two minutes of validity, a fresh jti. */
  async clientAssertion(): Promise<string> {
    const { privateJwk, clientId } = this.options;
    if (typeof privateJwk.kid !== 'string') throw new Error('the private JWK has no kid: use the file `sachsong agency keygen` wrote');
    this.key ??= await importJWK(privateJwk, 'EdDSA');
    const now = Math.floor(this.now().getTime() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: privateJwk.kid })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(this.options.audience ?? 'urn:sachsong:exchange:token')
      .setIssuedAt(now)
      .setExpirationTime(now + 120)
      .setJti(randomUUID())
      .sign(this.key);
  }

  /** An access token, fetched again a minute before the one held expires. */
  async accessToken(): Promise<string> {
    if (this.token !== undefined && this.now().getTime() < this.token.renewAt) return this.token.value;
    const response = await this.fetch(new URL('/x/token', this.options.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: assertionType, client_assertion: await this.clientAssertion() }).toString(),
    });
    if (!response.ok) throw await refusal(response);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    this.token = { value: body.access_token, renewAt: this.now().getTime() + Math.max(0, body.expires_in - 60) * 1000 };
    return body.access_token;
  }

  /**
   * Calls a service. The answer is returned only if its X-Response-Hash is
   * SHA-256(requestId \n SHA-256(request body) \n response body), as the exchange computes it.
   */
  async call<T = Record<string, unknown>>(service: ServiceName, body: Readonly<Record<string, unknown>>, context: CallContext): Promise<ServiceReply<T>> {
    const requestId = randomUUID();
    const raw = JSON.stringify(body);
    const response = await this.fetch(new URL(`/x/services/${service}`, this.options.baseUrl), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await this.accessToken()}`,
        'content-type': 'application/json',
        'x-request-id': requestId,
        'x-officer-id': context.officerId,
        'x-case-reference': context.caseReference,
        'x-purpose': context.purpose,
      },
      body: raw,
    });
    if (!response.ok) throw await refusal(response);
    const text = await response.text();
    const expected = sha256Hex(`${requestId}\n${sha256Hex(raw)}\n${text}`);
    if (response.headers.get('x-response-hash') !== expected) {
      throw new ExchangeError(response.status, 'RESPONSE_HASH_MISMATCH', 'the response is not bound to this request', 'Do not use this answer; report the request id to the exchange operators');
    }
    return JSON.parse(text) as ServiceReply<T>;
  }
}
