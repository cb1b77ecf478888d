import type { JsonWebKeySet } from '../../ports/lib';
import { type DefaultLibTokenOptions, resolveTokenKeys, type TokenAlgorithm, type TokenKeys } from './token-keys';

/**
 * The access-token keys of a `DefaultLib`: the current key, and during a rotation the next one with
 * the instant it takes over. Which key signs is decided per token from the clock, so a long-running
 * process switches on time without a restart; which key verifies is chosen by the token's `kid`, so
 * tokens signed before the switch stay valid until they expire.
 */
export class SigningKeySet {
  private constructor(
    /** The key that signs until `nextSignsFrom` (for ever without a rotation). */
    readonly current: TokenKeys,
    /** The key that signs from `nextSignsFrom`; null without a rotation. */
    readonly next: TokenKeys | null,
    /** Milliseconds since the epoch; null without a rotation. */
    readonly nextSignsFrom: number | null,
  ) {}

  /** Validates the token options (`resolveTokenKeys` for each key, then the pair); throws on misconfiguration. */
  static fromOptions(options: DefaultLibTokenOptions): SigningKeySet {
    const current = resolveTokenKeys(options);
    const nextOptions = options.next;
    if (nextOptions === undefined) return new SigningKeySet(current, null, null);
    if (current.algorithm === 'HS256') {
      throw new TypeError('DefaultLib: tokens.next needs a current `privateKey`; an HS256 secret has no rotation');
    }
    const signsFrom = nextOptions.signsFrom;
    if (!(signsFrom instanceof Date) || Number.isNaN(signsFrom.getTime())) {
      throw new TypeError('DefaultLib: tokens.next.signsFrom must be a valid Date');
    }
    let next: TokenKeys;
    try {
      next = resolveTokenKeys({ privateKey: nextOptions.privateKey, keyId: nextOptions.keyId });
    } catch (error) {
      // The same checks as the current key's, reworded to name the option at fault.
      const reason = (error as Error).message.replace(/^DefaultLib: /, '').replace(/^tokens\.privateKey /, '');
      const Failure = error instanceof RangeError ? RangeError : TypeError;
      throw new Failure(`DefaultLib: tokens.next.privateKey: ${reason}`);
    }
    if (next.algorithm !== current.algorithm) {
      throw new TypeError(
        `DefaultLib: tokens.next.privateKey signs ${next.algorithm} but the current key signs ${current.algorithm}: ` +
          'a rotation keeps the algorithm, since verifiers pin the algorithms they accept',
      );
    }
    if (next.keyId === current.keyId) {
      throw new TypeError(
        `DefaultLib: tokens.next has the same kid as the current key (${current.keyId}): ` +
          'give a different key, or a keyId of its own',
      );
    }
    return new SigningKeySet(current, next, signsFrom.getTime());
  }

  /** The one algorithm every key of the set signs with. */
  get algorithm(): TokenAlgorithm {
    return this.current.algorithm;
  }

  /** The key that signs a token issued at `now`. */
  signerAt(now: Date): TokenKeys {
    if (this.next === null || this.nextSignsFrom === null) return this.current;
    return now.getTime() >= this.nextSignsFrom ? this.next : this.current;
  }

  /**
   * The key to check `token` against: the one its `kid` names, null for an unknown `kid`. A token
   * without `kid` (signed elsewhere, e.g. by a test tool) is checked against the key signing at
   * `now`. With a single key the header is not read at all: strict validation is a hot path.
   */
  verifierFor(token: string, now: Date): TokenKeys | null {
    if (this.next === null) return this.current;
    const kid = headerKeyId(token);
    if (kid === undefined) return this.signerAt(now);
    if (kid === this.current.keyId) return this.current;
    return kid === this.next.keyId ? this.next : null;
  }

  /** Every public key (`kid`, `alg`, `use: sig`), the current one first; empty for HS256. */
  jwks(): JsonWebKeySet {
    const keys = this.next === null ? [this.current] : [this.current, this.next];
    return {
      keys: keys.flatMap((key) =>
        key.publicJwk === null ? [] : [{ ...key.publicJwk, kid: key.keyId, alg: key.algorithm, use: 'sig' }],
      ),
    };
  }
}

/**
 * The `kid` of a compact JWS header; undefined when there is none. A header that is not JSON yields
 * undefined too: the signature check that follows refuses such a token anyway.
 */
function headerKeyId(token: string): string | null | undefined {
  const end = token.indexOf('.');
  if (end <= 0) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, end), 'base64url').toString('utf8'));
    if (typeof header !== 'object' || header === null) return undefined;
    const { kid } = header as { kid?: unknown };
    if (kid === undefined) return undefined;
    // A `kid` that is not a string names no key of ours.
    return typeof kid === 'string' ? kid : null;
  } catch {
    return undefined;
  }
}
