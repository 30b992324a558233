/**
 * Content-Security-Policy texts, shared by the edge (every answer's headers) and the pages that
 * the OpenID provider renders (identity, citizen), which widen the form targets.
 */

/** The console's policy: everything from this server only, no inline code or style, no framing. */
export const strictPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
} as const;

export function policyText(directives: Readonly<Record<string, readonly string[]>>): string {
  return Object.entries(directives).map(([name, values]) => `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${values.join(' ')}`).join(';');
}

/**
 * The strict policy with further origins a form may be sent to, redirects included (the OpenID
 * provider's pages, whose forms end in a redirect to a relying party's registered address).
 */
export function strictPolicyWithFormTargets(origins: readonly string[]): string {
  return policyText({ ...strictPolicy, formAction: ["'self'", ...origins] });
}
