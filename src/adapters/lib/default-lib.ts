import {
  createHash,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from 'node:crypto';
import bcrypt from 'bcryptjs';
import { customAlphabet } from 'nanoid';
import { USER_ROLES, type UserRole } from '../../ports/entities';
import type { AccountsEvent } from '../../ports/events';
import {
  type AccessTokenClaims,
  type AccessTokenInput,
  type AccountsConfig,
  type CodeMessage,
  DEFAULT_CONFIG,
  type IdKind,
  type InvitationMessage,
  type JsonWebKeySet,
  type Lib,
  type PasswordContext,
  type PasswordProblem,
  type TotpEnrolment,
} from '../../ports/lib';
import { type JwtSettings, signJwt, verifyJwt } from './access-tokens';
import { codeEmail, describeLifetime, invitationEmail } from './code-emails';
import { ConsoleEmailer, type Emailer, type EmailMessage } from './emailers';
import { acquireSharedHashPool, type HashPool, WorkerHashPool } from './hash-pool';
import { bcryptInput, codePointLength, commonPasswordSet, normalizePassword } from './passwords';
import { openWith, sealWith } from './sealing';
import { SigningKeySet } from './signing-keys';
import type { DefaultLibTokenOptions, TokenAlgorithm } from './token-keys';
import { enrolmentOf, matchingStep, newRecoveryCode, newTotpSecret, type TOTP, totpWith } from './totp';

export interface PasswordOptions {
  /** Fewest code points accepted. Default 12; below 8 is refused (docs/security-rules.md §8). */
  minLength?: number;
  /** Most code points accepted. Default 1024; below 256 is refused (docs/security-rules.md §8). */
  maxLength?: number;
  /** bcrypt cost (4–31). Default 10; stored hashes of a lower cost are upgraded at the next login. */
  bcryptCost?: number;
  /**
   * Worker threads hashing and comparing passwords off the event loop. Default: a pool shared by every
   * `DefaultLib` of the process, of `max(1, availableParallelism() - 1)` workers. A number gives this
   * instance a pool of its own of that size; 0 hashes on the main thread (bcryptjs in async chunks,
   * every other request waiting behind them).
   */
  workers?: number;
}

export interface DefaultLibOptions {
  /** Merged over `DEFAULT_CONFIG`. */
  config?: Partial<AccountsConfig>;
  passwords?: PasswordOptions;
  /**
   * Access-token signing: a `secret` (HS256) or a `privateKey` (RS256, ES256, EdDSA), with `next` for
   * a key rotation: a second private key of the same algorithm and the instant it takes over signing.
   */
  tokens: DefaultLibTokenOptions;
  /** Digits of verification codes, 6–12. Default 6. */
  codeDigits?: number;
  /**
   * The key verification codes are stored under (HMAC-SHA-256), at least 32 bytes: held by the server
   * like the token key and never in the database, so a database dump alone yields no usable code
   * (docs/security-rules.md §4). Default: derived from the token signing key with HKDF, so rotating that key also voids
   * pending codes. Give one of its own to rotate them apart, and before any signing-key rotation: two-factor
   * secrets are sealed under a key derived from this one, and would not open once `tokens.next` is promoted.
   */
  codeSecret?: string | Buffer | KeyObject;
  /**
   * Where code emails go. Default: a `ConsoleEmailer`, for development only (it prints the codes), so
   * it is required when `NODE_ENV` is `production`.
   */
  emailer?: Emailer;
  /** Receives security events (docs/security-rules.md §9). */
  onEvent?: (event: AccountsEvent) => void | Promise<void>;
  /** The clock; default the system time. Tests pass `() => manualClock.now()`. */
  clock?: () => Date;
}

/** Type prefix of each kind of id. */
export const ID_PREFIXES: Readonly<Record<IdKind, string>> = Object.freeze({
  user: 'usr_',
  organization: 'org_',
  membership: 'mem_',
  client: 'cli_',
  restriction: 'res_',
  session: 'ses_',
  code: 'cod_',
  invitation: 'inv_',
  event: 'evt_',
});

/**
 * Ids carry no `_` or `-` after their prefix: client keys are `<prefix>_cli_<id>_<secret>` and are
 * split at their first three underscores, which only works if the id body has none. 21 characters
 * of 62 give about 125 bits.
 */
const randomIdBody = customAlphabet('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 21);

const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/**
 * The shipped `Lib`: bcryptjs passwords, nanoid ids, jsonwebtoken access tokens, node:crypto for the
 * rest. Every method is public or protected and small, so a subclass changes one rule, template or
 * primitive by overriding one method and calling `super` where useful.
 */
export class DefaultLib implements Lib {
  protected readonly baseConfig: AccountsConfig;
  protected readonly passwordPolicy: Readonly<Required<Omit<PasswordOptions, 'workers'>>>;
  protected readonly codeDigits: number;
  protected readonly emailer: Emailer;
  protected readonly issuer: string;
  protected readonly audience: string;
  /** The current key's (before any rotation's switch); `signingKeys` holds both keys of a rotation. */
  protected readonly signingKey: KeyObject;
  protected readonly verificationKey: KeyObject;
  protected readonly publicJwk: Record<string, unknown> | null;
  /** Every access-token key: which signs at a given time, which verifies a given `kid`. */
  protected readonly signingKeys: SigningKeySet;
  protected readonly eventHook: ((event: AccountsEvent) => void | Promise<void>) | undefined;
  protected readonly clock: (() => Date) | undefined;
  protected readonly codeKey: KeyObject;
  /** AES-256-GCM key of `sealSecret`, derived from the code key: never in the database either. */
  protected readonly sealingKey: Buffer;
  /** Where bcrypt runs; null: on the main thread. */
  protected readonly hashPool: HashPool | null;
  private readonly releaseHashPool: () => Promise<void>;
  protected dummyHash: Promise<string> | undefined;

  /** The algorithm access tokens are signed and verified with; no other is ever accepted. */
  readonly tokenAlgorithm: TokenAlgorithm;

  /** Throws on any invalid option, so a misconfiguration stops the application at startup. */
  constructor(options: DefaultLibOptions) {
    this.baseConfig = Object.freeze({ ...DEFAULT_CONFIG, ...options.config });
    if (!(this.baseConfig.accessTokenTtlMs >= 1000)) {
      throw new RangeError('DefaultLib: config.accessTokenTtlMs must be at least 1000 (one second)');
    }
    // An emailed login code is an out-of-band secret: ASVS 6.5.5 caps its life at 10 minutes.
    if (!(this.baseConfig.loginCodeTtlMs > 0 && this.baseConfig.loginCodeTtlMs <= 10 * 60_000)) {
      throw new RangeError('DefaultLib: config.loginCodeTtlMs must be more than 0 and at most 600000 (10 minutes)');
    }
    // A reset code sets a new password: ASVS 6.4.1 asks that recovery secrets be short-lived.
    if (!(this.baseConfig.passwordResetCodeTtlMs > 0 && this.baseConfig.passwordResetCodeTtlMs <= 3_600_000)) {
      throw new RangeError(
        'DefaultLib: config.passwordResetCodeTtlMs must be more than 0 and at most 3600000 (1 hour)',
      );
    }
    if (!(this.baseConfig.reauthenticationMaxAgeMs > 0)) {
      throw new RangeError('DefaultLib: config.reauthenticationMaxAgeMs must be more than 0');
    }
    this.passwordPolicy = Object.freeze(resolvePasswordPolicy(options.passwords ?? {}));
    const workers = options.passwords?.workers;
    if (workers === undefined) {
      const shared = acquireSharedHashPool();
      this.hashPool = shared.pool;
      this.releaseHashPool = shared.release;
    } else {
      requireInteger('passwords.workers', workers, 0, 256);
      const own = workers === 0 ? null : new WorkerHashPool(workers);
      this.hashPool = own;
      this.releaseHashPool = async () => own?.close();
    }
    this.codeDigits = options.codeDigits ?? 6;
    requireInteger('codeDigits', this.codeDigits, 6, 12);
    if (!options.emailer && process.env.NODE_ENV === 'production') {
      // The console emailer prints codes: a production app that forgot its mail transport would log
      // every login code. Refuse to start instead.
      throw new Error('DefaultLib: options.emailer is required when NODE_ENV is production');
    }
    this.emailer = options.emailer ?? new ConsoleEmailer();
    this.issuer = options.tokens.issuer ?? 'accounts-module';
    this.audience = options.tokens.audience ?? 'accounts-module';
    this.signingKeys = SigningKeySet.fromOptions(options.tokens);
    const keys = this.signingKeys.current;
    this.tokenAlgorithm = keys.algorithm;
    this.signingKey = keys.signingKey;
    this.verificationKey = keys.verificationKey;
    this.publicJwk = keys.publicJwk;
    this.codeKey = resolveCodeKey(options.codeSecret, keys.signingKey);
    this.sealingKey = Buffer.from(
      hkdfSync('sha256', this.codeKey.export(), 'accounts-module', 'totp-secret-aes-256-gcm', 32),
    );
    this.eventHook = options.onEvent;
    this.clock = options.clock;
  }

  /** The `kid` of tokens signed now (a rotation changes it at `tokens.next.signsFrom`); null for HS256 without one. */
  get keyId(): string | null {
    return this.signingKeys.signerAt(this.now()).keyId;
  }

  /** Lifetimes and limits: `DEFAULT_CONFIG` with the options' overrides. A getter, so subclasses may compute it. */
  get config(): AccountsConfig {
    return this.baseConfig;
  }

  /** The configured clock's time, or the system time. */
  now(): Date {
    return this.clock ? this.clock() : new Date();
  }

  /** `<prefix><21 alphanumerics>`, e.g. `usr_3kTMd8xKq0bWnA7pLz2Rf`: see `ID_PREFIXES`. */
  newId(kind: IdKind): string {
    const prefix = ID_PREFIXES[kind];
    if (prefix === undefined) throw new TypeError(`DefaultLib.newId: unknown kind ${String(kind)}`);
    return prefix + randomIdBody();
  }

  /** 32 random bytes as base64url (43 characters, may contain `_` and `-`). */
  newSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  /** `codeDigits` decimal digits (default 6), uniform from a CSPRNG, zero-padded. */
  newCode(): string {
    return String(randomInt(0, 10 ** this.codeDigits)).padStart(this.codeDigits, '0');
  }

  /** SHA-256 hex; enough for a high-entropy secret, and fast enough for per-request key checks (docs/security-rules.md §5). */
  hashSecret(secret: string): string {
    return sha256(secret).toString('hex');
  }

  /**
   * HMAC-SHA-256 hex of `<codeId>:<code>` under the code key: the id salts it, so equal codes never
   * share a hash, and without the key (never in the database) a stored hash cannot be tested against
   * the million possible codes.
   */
  hashCode(codeId: string, code: string): string {
    return createHmac('sha256', this.codeKey).update(`${codeId}:${code}`, 'utf8').digest('hex');
  }

  /** Compares SHA-256 digests in constant time, so neither length nor content leaks through timing. */
  safeEqual(a: string, b: string): boolean {
    return timingSafeEqual(sha256(a), sha256(b));
  }

  /**
   * AES-256-GCM with a random 96-bit IV, `context` as additional data: `v1.<iv>.<ciphertext>.<tag>`
   * (base64url). The key is derived (HKDF) from the code key, so it lives where that key lives.
   */
  sealSecret(secret: string, context: string): string {
    return sealWith(this.sealingKey, secret, context);
  }

  /** Null for anything that was not sealed under this key and `context`, or was altered. */
  openSecret(sealed: string, context: string): string | null {
    return openWith(this.sealingKey, sealed, context);
  }

  /** 160 random bits (RFC 4226 §4 recommends them), SHA-1, 6 digits, 30 seconds: what every authenticator app reads. */
  async newTotpEnrolment(accountName: string): Promise<TotpEnrolment> {
    return enrolmentOf(this.totpOf(newTotpSecret(), accountName));
  }

  /** RFC 6238 through `otpauth`, one step of skew either way. */
  totpCodeStep(secret: string, code: string, at: Date): number | null {
    return matchingStep(this.totpOf(secret, ''), code, at);
  }

  /** 16 characters of a 31-character alphabet (79 bits) in groups of four: `7k2m-q9xd-4hfz-p3wr`. */
  newRecoveryCode(): string {
    return newRecoveryCode();
  }

  /** The TOTP parameters of this library: SHA-1, 6 digits, 30-second steps (RFC 6238's defaults). */
  protected totpOf(secret: string, accountName: string): TOTP {
    return totpWith(this.config.totpIssuer, secret, accountName);
  }

  /** The policy of docs/security-rules.md §8 on the NFKC form: length, the common-password list, email and name. */
  checkPassword(password: string, context: PasswordContext): PasswordProblem[] {
    const normalized = normalizePassword(password);
    const problems: PasswordProblem[] = [];
    const length = codePointLength(normalized);
    const { minLength, maxLength } = this.passwordPolicy;
    if (length < minLength) problems.push({ reason: 'too_short', message: `Use at least ${minLength} characters.` });
    if (length > maxLength) problems.push({ reason: 'too_long', message: `Use at most ${maxLength} characters.` });
    if (this.isCommonPassword(normalized)) {
      problems.push({ reason: 'too_common', message: 'This is one of the most common passwords; choose another.' });
    }
    if (this.matchesEmail(normalized, context.email)) {
      problems.push({ reason: 'matches_email', message: 'The password must not be your email address.' });
    }
    if (this.matchesName(normalized, context.name)) {
      problems.push({ reason: 'matches_name', message: 'The password must not be your name.' });
    }
    return problems;
  }

  /** True when the (normalized) password is among the 10,000 most common, ignoring case. */
  isCommonPassword(normalizedPassword: string): boolean {
    return commonPasswordSet().has(normalizedPassword.toLowerCase());
  }

  /** True when the password equals the email address or its local part, ignoring case. */
  matchesEmail(normalizedPassword: string, email: string | undefined): boolean {
    if (!email) return false;
    const address = normalizePassword(email).trim().toLowerCase();
    const at = address.lastIndexOf('@');
    const candidates = at > 0 ? [address, address.slice(0, at)] : [address];
    return candidates.includes(normalizedPassword.toLowerCase());
  }

  /** True when the password equals the user's name, ignoring case and surrounding spaces. */
  matchesName(normalizedPassword: string, name: string | undefined): boolean {
    const normalizedName = name === undefined ? '' : normalizePassword(name).trim().toLowerCase();
    return normalizedName !== '' && normalizedName === normalizedPassword.trim().toLowerCase();
  }

  /**
   * bcrypt at the configured cost, after NFKC normalization. bcrypt reads only the first 72 bytes, so
   * a password longer than 72 UTF-8 bytes is first replaced by base64(HMAC-SHA-256) of itself (see
   * `bcryptInput`): nothing is silently truncated, and shorter passwords stay plain-bcrypt compatible.
   */
  async hashPassword(password: string): Promise<string> {
    const input = this.bcryptInputFor(password);
    const cost = this.passwordPolicy.bcryptCost;
    return this.hashPool ? this.hashPool.hash(input, cost) : bcrypt.hash(input, cost);
  }

  /** Applies the same normalization and pre-hash as `hashPassword`; false for a malformed hash. */
  async verifyPassword(password: string, hash: string): Promise<boolean> {
    if (!BCRYPT_HASH.test(hash)) return false;
    const input = this.bcryptInputFor(password);
    try {
      return await (this.hashPool ? this.hashPool.compare(input, hash) : bcrypt.compare(input, hash));
    } catch {
      return false;
    }
  }

  /**
   * Lets go of the hashing workers (the last `DefaultLib` of the shared pool ends them). Optional: idle
   * workers never keep the process alive. The example server calls it on shutdown.
   */
  async close(): Promise<void> {
    await this.releaseHashPool();
  }

  /** True for a bcrypt hash below the configured cost, or for anything that is not a bcrypt hash. */
  passwordNeedsRehash(hash: string): boolean {
    return !BCRYPT_HASH.test(hash) || bcrypt.getRounds(hash) < this.passwordPolicy.bcryptCost;
  }

  /** A hash of a random, discarded password at the configured cost; computed once per instance. */
  dummyPasswordHash(): Promise<string> {
    if (!this.dummyHash) {
      this.dummyHash = this.hashPassword(this.newSecret());
      this.dummyHash.catch(() => {
        this.dummyHash = undefined;
      });
    }
    return this.dummyHash;
  }

  /** The exact string bcrypt receives for a password: NFKC, then pre-hashed past 72 bytes. */
  protected bcryptInputFor(password: string): string {
    return bcryptInput(normalizePassword(password));
  }

  /** A JWT with `sub`, `sid`, `roles`, optional `cid`, `iat`/`exp` from `now()`, `jti`, `iss`, `aud`. */
  async signAccessToken(claims: AccessTokenInput): Promise<string> {
    const now = this.now();
    return signJwt(this.jwtSettings(), this.signingKeys.signerAt(now), claims, this.newTokenId(), now);
  }

  /**
   * Stateless validation: only the configured algorithm, signature (by the key its `kid` names),
   * `exp`/`nbf` against `now()`, `iss`, `aud`, then the claim shapes. Null for any failure, whatever the cause.
   */
  async verifyAccessToken(token: string): Promise<AccessTokenClaims | null> {
    if (typeof token !== 'string' || token === '') return null;
    const now = this.now();
    const verifier = this.signingKeys.verifierFor(token, now);
    if (verifier === null) return null;
    const payload = verifyJwt(this.jwtSettings(), verifier, token, now);
    return payload === null ? null : this.toAccessTokenClaims(payload);
  }

  private jwtSettings(): JwtSettings {
    return {
      algorithm: this.tokenAlgorithm,
      issuer: this.issuer,
      audience: this.audience,
      ttlSeconds: Math.floor(this.config.accessTokenTtlMs / 1000),
    };
  }

  /** The public signing keys as a JWK Set (`kid`, `alg`, `use: sig`), both during a rotation; empty for HS256. */
  jwks(): JsonWebKeySet {
    return this.signingKeys.jwks();
  }

  /** A unique `jti`. */
  protected newTokenId(): string {
    return randomIdBody();
  }

  /** Keeps only well-formed claims (known roles, string ids, numeric times); null otherwise. */
  protected toAccessTokenClaims(payload: unknown): AccessTokenClaims | null {
    if (typeof payload !== 'object' || payload === null) return null;
    const { sub, sid, jti, iat, exp, roles, cid, auth_time, amr } = payload as Record<string, unknown>;
    if (!isNonEmptyString(sub) || !isNonEmptyString(sid) || !isNonEmptyString(jti)) return null;
    if (typeof iat !== 'number' || typeof exp !== 'number') return null;
    if (!Array.isArray(roles) || !roles.every(isUserRole)) return null;
    if (cid !== undefined && !isNonEmptyString(cid)) return null;
    if (auth_time !== undefined && typeof auth_time !== 'number') return null;
    if (amr !== undefined && !(Array.isArray(amr) && amr.every(isNonEmptyString))) return null;
    const claims: AccessTokenClaims = { sub, sid, jti, iat, exp, roles: [...roles] };
    if (cid !== undefined) claims.cid = cid;
    if (auth_time !== undefined) claims.auth_time = auth_time;
    if (amr !== undefined) claims.amr = [...amr];
    return claims;
  }

  /** Composes the email with `composeCodeEmail` and hands it to the emailer. */
  async sendCode(message: CodeMessage): Promise<void> {
    await this.emailer.send(this.composeCodeEmail(message));
  }

  /** Subject and text of a code email. Override to change the wording or add branding. */
  composeCodeEmail(message: CodeMessage): EmailMessage {
    return codeEmail(message, this.describeLifetime(message.expiresAt.getTime() - this.now().getTime()));
  }

  /** Composes the email with `composeInvitationEmail` and hands it to the emailer. */
  async sendInvitation(message: InvitationMessage): Promise<void> {
    await this.emailer.send(this.composeInvitationEmail(message));
  }

  /**
   * Subject and text of an invitation email, the token in both `text` and `code`. Override to put the
   * token into a link to your application's page that calls `POST /invitations/accept`.
   */
  composeInvitationEmail(message: InvitationMessage): EmailMessage {
    return invitationEmail(message, message.expiresAt.getTime() - this.now().getTime());
  }

  /** "10 minutes", "24 hours": how long a code stays valid, rounded for people. */
  protected describeLifetime(ms: number): string {
    return describeLifetime(ms);
  }

  /** Forwards the event to the `onEvent` option; the domain ignores what it throws. */
  onEvent(event: AccountsEvent): void | Promise<void> {
    return this.eventHook?.(event);
  }
}

/** The configured code key, or one derived from the token signing key (see `codeSecret`). */
function resolveCodeKey(secret: string | Buffer | KeyObject | undefined, signingKey: KeyObject): KeyObject {
  if (secret === undefined) {
    const material =
      signingKey.type === 'secret' ? signingKey.export() : signingKey.export({ format: 'der', type: 'pkcs8' });
    return createSecretKey(Buffer.from(hkdfSync('sha256', material, 'accounts-module', 'verification-code-hmac', 32)));
  }
  const key = typeof secret === 'string' || Buffer.isBuffer(secret) ? createSecretKey(Buffer.from(secret)) : secret;
  if (key.type !== 'secret' || (key.symmetricKeySize ?? 0) < 32) {
    throw new RangeError('DefaultLib: codeSecret must be a secret of at least 32 bytes');
  }
  return key;
}

function resolvePasswordPolicy(options: PasswordOptions): Required<Omit<PasswordOptions, 'workers'>> {
  const policy = {
    minLength: options.minLength ?? 12,
    maxLength: options.maxLength ?? 1024,
    bcryptCost: options.bcryptCost ?? 10,
  };
  requireInteger('passwords.minLength', policy.minLength, 8, Number.MAX_SAFE_INTEGER);
  requireInteger('passwords.maxLength', policy.maxLength, Math.max(256, policy.minLength), Number.MAX_SAFE_INTEGER);
  requireInteger('passwords.bcryptCost', policy.bcryptCost, 4, 31);
  return policy;
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`DefaultLib: ${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isUserRole(value: unknown): value is UserRole {
  return (USER_ROLES as readonly unknown[]).includes(value);
}
