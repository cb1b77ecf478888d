import { CODE_PURPOSES, type CodePurpose, type VerificationCode } from '../ports/entities';
import type { Io } from '../ports/io';
import type { AccountsConfig, CodeMessage, Lib } from '../ports/lib';
import type { EventActor } from '../ports/outbox';
import { addMs, type Deps } from './context';
import { type EventDeps, transactWithEvents } from './event-log';

import { firstLimitPassed, type Limit, perIdentifierAndIpLimit, perIpLimit } from './limits';

/**
 * Verification codes (docs/security-rules.md §4), shared by email verification and login by code.
 *
 * Issuing is split in two so that callers can write the code inside their own transaction and send
 * the email only after it committed: an email must never carry a code that a rollback erased.
 */

export interface CodeRequest {
  purpose: CodePurpose;
  address: string;
  /** The caller-chosen state: required for `login` codes, optional for `password-reset` ones. */
  state?: string;
  /**
   * The verification code of an address a registration has just taken: exempt from the send limits.
   * An address is registered once (a retry meets `EMAIL_TAKEN` before any code), so it floods no
   * mailbox; and codes others requested for an address nobody held yet (stored, never sent) must not
   * keep its new owner's verification email from going out.
   */
  registration?: boolean;
}

/**
 * Counts a code request against the tight send limit of docs/security-rules.md §4: `codeSendLimit` codes per window
 * for one address on behalf of one requesting IP, so requests from one place cannot use up the codes
 * the owner asks for elsewhere. Outside any transaction (the rate-limit store may share the pool).
 * False when the request is over the limit: callers then send nothing and answer as usual.
 */
export async function withinSendLimit(deps: Deps, address: string, ip: string | null): Promise<boolean> {
  const { config } = deps.lib;
  const limits = perIdentifierAndIpLimit(
    config,
    'code-send',
    address,
    ip,
    config.codeSendLimit,
    config.codeSendWindowMs,
  );
  return (await firstLimitPassed(deps, limits)) === null;
}

/**
 * Stores a new code for the address and returns the message to send, or null when the address
 * already got `codeSendLimitPerAddress` codes in the window, whoever asked (then nothing is stored or
 * sent, and callers answer as usual so the limit reveals nothing).
 *
 * A new code invalidates earlier unused ones: a `verify-email` code those of its address; a `login`
 * code those bound to its state, whatever their address, so that a state binds at most one live login
 * code (one code-login request is compared against one code) while a code the owner requested under
 * another state survives an attacker's requests (docs/security-rules.md §4). A `password-reset` code
 * requested with a state works the same way; one requested without voids only the earlier stateless
 * reset codes of its address, never one bound to a state.
 */
export async function prepareCode(io: Io, lib: Lib, request: CodeRequest): Promise<CodeMessage | null> {
  const { config } = lib;
  const now = lib.now();
  // The window is (now - window, now]: a code sent exactly one window ago no longer counts.
  if (!request.registration) {
    const sentRecently = await io.countCodesSentSince(request.address, addMs(now, 1 - config.codeSendWindowMs));
    if (sentRecently >= config.codeSendLimitPerAddress) return null;
  }

  const state = request.purpose === 'verify-email' ? undefined : request.state;
  if (state !== undefined) await io.invalidateCodes({ purpose: request.purpose, state }, now);
  else if (request.purpose === 'password-reset') {
    await io.invalidateCodes({ purpose: request.purpose, address: request.address, state: null }, now);
  } else await io.invalidateCodes({ purpose: request.purpose, address: request.address }, now);
  const id = lib.newId('code');
  const code = lib.newCode();
  const ttl = CODE_LIFETIME[request.purpose](config);
  const expiresAt = addMs(now, ttl);
  await io.insertVerificationCode({
    id,
    purpose: request.purpose,
    address: request.address,
    state: state ?? null,
    codeHash: lib.hashCode(id, code),
    attempts: 0,
    createdAt: now,
    expiresAt,
    consumedAt: null,
    invalidatedAt: null,
  });
  return { to: request.address, purpose: request.purpose, code, expiresAt };
}

const CODE_LIFETIME: Record<CodePurpose, (config: AccountsConfig) => number> = {
  login: (config) => config.loginCodeTtlMs,
  'verify-email': (config) => config.verifyEmailCodeTtlMs,
  'password-reset': (config) => config.passwordResetCodeTtlMs,
};

/** Invalidates every pending code of every purpose sent to these addresses (removed or freed ones). */
export async function invalidateCodesOf(tx: Io, addresses: Iterable<string>, at: Date): Promise<void> {
  for (const address of new Set(addresses)) {
    for (const purpose of CODE_PURPOSES) await tx.invalidateCodes({ purpose, address }, at);
  }
}

/**
 * The per-IP limit on wrong code comparisons (docs/security-rules.md §4, §7), shared by code logins and email
 * verification: what one address can guess per window, whatever the number of accounts it targets.
 * Counted before the comparison and given back when the code is right.
 */
export function codeGuessLimits(config: AccountsConfig, ip: string | null): Limit[] {
  return perIpLimit(config, 'code-guess', ip, config.codeFailuresPerIp, config.loginFailureWindowMs);
}

/** Login-code requests and verification resends per IP (docs/security-rules.md §4): each makes a code and maybe an email. */
export function codeRequestLimits(config: AccountsConfig, ip: string | null): Limit[] {
  return perIpLimit(config, 'code-request', ip, config.codeRequestsPerIp, config.codeSendWindowMs);
}

/**
 * Compares `code` with the one usable code matching the lookup (the newest: docs/security-rules.md §4 binds one live
 * login code to a state), and consumes it when it matches. The comparison first reserves an attempt
 * atomically in the store, so parallel guesses cannot exceed `codeMaxAttempts`: the 5th wrong attempt
 * leaves the code unusable, while after 4 wrong ones the right code still wins its (5th) attempt.
 * Attempts are reserved outside any transaction on purpose: a rollback must never give an attacker
 * their guesses back. One request costs one lookup and at most one attempt, whatever an attacker
 * parked under the same state or address (docs/security-rules.md §7).
 *
 * The transaction that consumes the code first locks the user holding the code's address (if any),
 * the order every transaction touching a user's emails, codes or sessions follows, and `onMatch`
 * runs in it with that user's id: what the code grants (a verified address, a session) is written
 * together with its consumption or not at all. `admit`, when given, runs once the code matched and
 * before it is consumed, outside the transaction (for checks that need the rate-limit store): a value
 * it returns is the answer, and the code stays unconsumed. Returns null when the code did not match.
 */
export async function redeemCode<T>(
  deps: EventDeps & { io: Io },
  actor: Partial<EventActor>,
  lookup: { purpose: CodePurpose; address?: string; state?: string | null },
  code: string,
  onMatch: (tx: Io, redeemed: VerificationCode, ownerId: string | null) => Promise<T>,
  admit?: (ownerId: string | null, matched: VerificationCode) => Promise<T | null>,
): Promise<{ value: T } | null> {
  const { io, lib } = deps;
  const now = lib.now();
  const maxAttempts = lib.config.codeMaxAttempts;
  const candidate = await io.findUsableCode({ ...lookup, maxAttempts }, now);
  if (!candidate) return null;
  if (!(await io.reserveCodeAttempt(candidate.id, maxAttempts, now))) return null;
  if (!lib.safeEqual(lib.hashCode(candidate.id, code), candidate.codeHash)) return null;
  const holderId = (await io.findLoginEmail(candidate.address))?.userId ?? null;
  const refused = admit ? await admit(holderId, candidate) : null;
  if (refused !== null) return { value: refused };
  return transactWithEvents(deps, actor, async (tx) => {
    if (holderId !== null) await tx.lockUser(holderId);
    if (!(await tx.consumeCode(candidate.id, now))) return null;
    // The address may have changed hands between the read above and the lock.
    const ownerId = (await tx.findLoginEmail(candidate.address))?.userId ?? null;
    return { value: await onMatch(tx, candidate, ownerId !== null && ownerId === holderId ? ownerId : null) };
  });
}
