import { createHash, createPrivateKey, createPublicKey, createSecretKey, KeyObject, randomBytes } from 'node:crypto';

/** Asymmetric signing algorithms for access tokens; other services verify them with the JWKS. */
export type AsymmetricAlgorithm = 'RS256' | 'ES256' | 'EdDSA';
/** Every access-token algorithm `DefaultLib` signs with. */
export type TokenAlgorithm = 'HS256' | AsymmetricAlgorithm;

interface TokenOptionsBase {
  /** `iss` of issued tokens, required on verification. Default `accounts-module`. */
  issuer?: string;
  /** `aud` of issued tokens, required on verification. Default `accounts-module`. */
  audience?: string;
}

/** HS256: one shared secret signs and verifies. */
export interface SymmetricTokenOptions extends TokenOptionsBase {
  /**
   * At least 32 bytes (RFC 7518 §3.2). A string or Buffer is turned into a `KeyObject` once, because
   * jsonwebtoken is about 40× slower with a string secret. See `generateHs256Secret`.
   */
  secret: string | Buffer | KeyObject;
  privateKey?: undefined;
  algorithm?: 'HS256';
  /**
   * No rotation for a shared secret: every verifier holds the secret itself, so there is no JWKS
   * through which a next key could be announced. Rotate with an asymmetric key instead.
   */
  next?: undefined;
  /** Optional `kid` header; none by default (a thumbprint of a shared secret would only help an attacker). */
  keyId?: string;
}

/** RS256, ES256 or EdDSA: the private key signs, its public key (published by `jwks()`) verifies. */
export interface AsymmetricTokenOptions extends TokenOptionsBase {
  /** A PEM string or a private `KeyObject`: RSA (≥ 2048 bits), EC P-256 or Ed25519. */
  privateKey: string | KeyObject;
  secret?: undefined;
  /** Inferred from the key when omitted: rsa → RS256, EC P-256 → ES256, Ed25519 → EdDSA. */
  algorithm?: AsymmetricAlgorithm;
  /** `kid` header and JWKS key id. Default: the RFC 7638 JWK thumbprint of the public key. */
  keyId?: string;
  /**
   * The key that takes over signing at `next.signsFrom` (a signing-key rotation, docs/deployment.md).
   * Both public keys are in `jwks()` from the start, so verifiers learn the next key before any token
   * carries it; tokens signed by either key verify (chosen by `kid`) until they expire.
   */
  next?: NextSigningKeyOptions;
}

/**
 * The second key of a rotation. It must sign with the same algorithm as the current key: verifiers
 * commonly pin the algorithms they accept, and a switch of family would break them at `signsFrom`.
 */
export interface NextSigningKeyOptions {
  /** A PEM string or a private `KeyObject` of the same type (and curve) as the current key. */
  privateKey: string | KeyObject;
  /** Its `kid`; must differ from the current key's. Default: the RFC 7638 JWK thumbprint. */
  keyId?: string;
  /**
   * From this instant, as `Lib.now()` tells it when each token is signed, new tokens carry this key.
   * Pick it later than the longest JWKS cache of any verifier (our route says `max-age=300`).
   */
  signsFrom: Date;
}

export type DefaultLibTokenOptions = SymmetricTokenOptions | AsymmetricTokenOptions;

/** The keys resolved once from `DefaultLibTokenOptions`. */
export interface TokenKeys {
  /** The one algorithm this key signs and verifies with. */
  algorithm: TokenAlgorithm;
  /** The secret (HS256) or the private key. */
  signingKey: KeyObject;
  /** The secret again (HS256) or the public key. */
  verificationKey: KeyObject;
  /** The `kid` of its tokens and its JWKS entry; null for HS256 without a configured one. */
  keyId: string | null;
  /** The public key as a JWK (no `kid`/`alg`/`use`); null for HS256. */
  publicJwk: Record<string, unknown> | null;
}

/** Minimum HS256 key size: a key shorter than the hash output weakens HMAC (RFC 7518 §3.2). */
export const MIN_HS256_SECRET_BYTES = 32;

/** A random HS256 secret (32 bytes, base64url) suitable for `tokens.secret`. */
export function generateHs256Secret(): string {
  return randomBytes(MIN_HS256_SECRET_BYTES).toString('base64url');
}

/** Validates the token options and builds the key objects; throws on any misconfiguration. */
export function resolveTokenKeys(options: DefaultLibTokenOptions): TokenKeys {
  const hasSecret = options.secret !== undefined;
  const hasPrivateKey = options.privateKey !== undefined;
  if (hasSecret === hasPrivateKey) {
    throw new TypeError('DefaultLib: tokens needs exactly one of `secret` (HS256) or `privateKey` (RS256/ES256/EdDSA)');
  }
  if (options.secret !== undefined) return resolveSecret(options.secret, options.algorithm, options.keyId);
  return resolvePrivateKey(options.privateKey, options.algorithm, options.keyId);
}

function resolveSecret(secret: string | Buffer | KeyObject, algorithm: string | undefined, keyId?: string): TokenKeys {
  if (algorithm !== undefined && algorithm !== 'HS256') {
    throw new TypeError(`DefaultLib: a secret signs with HS256 only, not ${algorithm}`);
  }
  let key: KeyObject;
  if (secret instanceof KeyObject) {
    if (secret.type !== 'secret') throw new TypeError('DefaultLib: tokens.secret must be a secret KeyObject');
    key = secret;
  } else {
    key = createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
  }
  if ((key.symmetricKeySize ?? 0) < MIN_HS256_SECRET_BYTES) {
    throw new RangeError(`DefaultLib: the HS256 secret must be at least ${MIN_HS256_SECRET_BYTES} bytes`);
  }
  return { algorithm: 'HS256', signingKey: key, verificationKey: key, keyId: keyId ?? null, publicJwk: null };
}

function resolvePrivateKey(
  privateKey: string | KeyObject,
  algorithm: AsymmetricAlgorithm | undefined,
  keyId?: string,
): TokenKeys {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (key.type !== 'private') throw new TypeError('DefaultLib: tokens.privateKey must be a private key');
  const inferred = algorithmForKey(key);
  if (algorithm !== undefined && algorithm !== inferred) {
    throw new TypeError(`DefaultLib: a ${describeKey(key)} key cannot sign ${algorithm} (it signs ${inferred})`);
  }
  const publicKey = createPublicKey(key);
  const publicJwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return {
    algorithm: inferred,
    signingKey: key,
    verificationKey: publicKey,
    keyId: keyId ?? jwkThumbprint(publicJwk),
    publicJwk,
  };
}

function algorithmForKey(key: KeyObject): AsymmetricAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
      // jsonwebtoken refuses smaller RSA keys at signing time; failing here surfaces it at startup.
      if ((details.modulusLength ?? 0) < 2048) throw new RangeError('DefaultLib: RSA keys must be at least 2048 bits');
      return 'RS256';
    case 'ec':
      if (details.namedCurve !== 'prime256v1') {
        throw new TypeError(`DefaultLib: EC keys must use P-256 (ES256), not ${details.namedCurve}`);
      }
      return 'ES256';
    case 'ed25519':
      return 'EdDSA';
    default:
      throw new TypeError(`DefaultLib: unsupported key type ${describeKey(key)}; use RSA, EC P-256 or Ed25519`);
  }
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${key.asymmetricKeyType} ${curve}` : String(key.asymmetricKeyType);
}

/** Members hashed by RFC 7638 §3.2, per key type, in the lexicographic order the RFC requires. */
const THUMBPRINT_MEMBERS: Record<string, string[]> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of a public JWK. */
export function jwkThumbprint(jwk: Record<string, unknown>): string {
  const members = THUMBPRINT_MEMBERS[String(jwk.kty)];
  if (!members) throw new TypeError(`jwkThumbprint: unsupported key type ${String(jwk.kty)}`);
  const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name]])));
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}
