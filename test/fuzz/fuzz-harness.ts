import fc from 'fast-check';
import { DomainError, type ErrorKind } from '../../src/shared/domain-error.js';

/**
 * The fuzzers' shared settings and runner. Each fuzzer is an arbitrary (what inputs look like:
 * random bytes and strings, and structured malicious ones built to reach the parser's corners) and
 * a check that throws when the parser misbehaves: an error other than its documented domain
 * errors, or a broken invariant. The tests run every fuzzer with {@link fuzzRuns} inputs under
 * {@link fuzzSeed}; bench/fuzz.bench.ts runs them with many more and counts crashes.
 */

/** One seed for every fuzzer, so that a failure replays exactly. */
export const fuzzSeed = 20_261_204;
/** Inputs a fuzzer tries in the test suite (FUZZ_RUNS overrides it). */
export const fuzzRuns = Number(process.env.FUZZ_RUNS ?? 2_000);

export interface Fuzzer<T> {
  /** What is fuzzed, as the report names it. */
  readonly name: string;
  /** The source file of the parser. */
  readonly file: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /** Throws when the parser misbehaves on `input`. */
  check(input: T): void | Promise<void>;
  /** Runs per input relative to the others (slow fuzzers, e.g. over files or HTTP, take fewer). */
  readonly weight?: number;
}

/** A fuzzer of any input type, for lists of them. */
export type AnyFuzzer = Fuzzer<never> & { check(input: unknown): void | Promise<void> };

/** The fuzzer as a list element: its input type is known only to itself. */
export function fuzzer<T>(f: Fuzzer<T>): AnyFuzzer {
  return f as unknown as AnyFuzzer;
}

/** Where an unexpected error or a broken invariant is reported. */
export class FuzzFailure extends Error {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'FuzzFailure';
  }
}

/**
 * Runs `attempt` and accepts only success or a DomainError of the given kinds (and codes, when
 * given): anything else (a TypeError, a RangeError, a stack overflow, a driver error) is a crash.
 */
export async function onlyDomainErrors<T>(
  attempt: () => T | Promise<T>, kinds: readonly ErrorKind[] = ['invalid'], codes?: readonly string[],
): Promise<{ readonly value: T } | { readonly error: DomainError }> {
  try {
    return { value: await attempt() };
  } catch (error) {
    if (error instanceof DomainError && kinds.includes(error.kind) && (codes === undefined || codes.includes(error.code))) return { error };
    throw new FuzzFailure(`unexpected ${error instanceof DomainError ? `domain error ${error.kind} ${error.code}` : error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
  }
}

/** The synchronous form of {@link onlyDomainErrors}. */
export function onlyDomainErrorsSync<T>(attempt: () => T, kinds: readonly ErrorKind[] = ['invalid'], codes?: readonly string[]): { readonly value: T } | { readonly error: DomainError } {
  try {
    return { value: attempt() };
  } catch (error) {
    if (error instanceof DomainError && kinds.includes(error.kind) && (codes === undefined || codes.includes(error.code))) return { error };
    throw new FuzzFailure(`unexpected ${error instanceof DomainError ? `domain error ${error.kind} ${error.code}` : error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
  }
}

/** Throws a FuzzFailure unless `condition`. */
export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new FuzzFailure(`invariant broken: ${message}`);
}

/** Runs of a fuzzer given the base count and its weight. */
export function runsOf(f: AnyFuzzer, runs: number): number {
  return Math.max(1, Math.round(runs * (f.weight ?? 1)));
}

/**
 * The test form: fast-check shrinks the first failure to a minimal input and throws it. Returns
 * the number of inputs tried.
 */
export async function assertFuzzer(f: AnyFuzzer, runs: number = fuzzRuns): Promise<number> {
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(f.arbitrary, async (input) => {
      tried++;
      await f.check(input);
    }),
    { seed: fuzzSeed, numRuns: runsOf(f, runs) },
  );
  console.log(`fuzz ${f.name} (${f.file}): ${tried} inputs tried, 0 crashes`);
  return tried;
}

/** What a long run found. */
export interface FuzzTally {
  readonly name: string;
  readonly file: string;
  readonly tried: number;
  readonly crashes: number;
  /** The first few failures: the message and the input, as fast-check prints it. */
  readonly examples: readonly { readonly message: string; readonly input: string }[];
  readonly seconds: number;
}

/** The bench form: every input is tried, crashes are counted (not shrunk), the first few kept. */
export async function tallyFuzzer(f: AnyFuzzer, runs: number, seed: number = fuzzSeed): Promise<FuzzTally> {
  let tried = 0;
  let crashes = 0;
  const examples: { message: string; input: string }[] = [];
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(f.arbitrary, async (input) => {
      tried++;
      try {
        await f.check(input);
      } catch (error) {
        crashes++;
        if (examples.length < 3) examples.push({ message: error instanceof Error ? error.message : String(error), input: fc.stringify(input).slice(0, 300) });
      }
    }),
    { seed, numRuns: runsOf(f, runs) },
  );
  return { name: f.name, file: f.file, tried, crashes, examples, seconds: (performance.now() - started) / 1000 };
}

/** Random bytes, with a bias to the bytes that matter to text decoders. */
export const bytesArbitrary: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.array(fc.constantFrom(0x00, 0x0a, 0x0d, 0x22, 0x2c, 0x3b, 0x09, 0x7b, 0x7d, 0x5b, 0x5d, 0xc3, 0xe1, 0xbb, 0xbf, 0xef, 0xfe, 0xff, 0x80, 0xa0, 0xd4), { maxLength: 256 }).map((a) => Uint8Array.from(a)),
);

/** Text that parsers meet in the wild and in attacks: Vietnamese, control and bidi characters, lone surrogates, formulas. */
export const nastyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    'Nguyễn Văn An', 'Đặng Thị Hồng', '=HYPERLINK("http://x")', '+cmd|/C calc', '-1+1', '@SUM(A1)', '\u202Eevil\u202C', '\u200B', '\uFEFF', '\uD800', '\uDFFF',
    '"', '""', '"a""b"', '\r\n', '\n', '\r', ',', ';', '\t', '\\', '\u0000', '\u001B[31m', '__proto__', 'constructor', 'NaN', '1e309', '-0', '079203012345',
  ),
);
