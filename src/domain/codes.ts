import type { CodePurpose, VerificationCode } from '../ports/entities';
import type { Io } from '../ports/io';
import type { CodeMessage, Lib } from '../ports/lib';
import { addMs, type Deps, emit } from './context';

/**
 * Verification codes (SPEC §4), shared by email verification and login by code.
 *
 * Issuing is split in two so that callers can write the code inside their own transaction and send
 * the email only after it committed: an email must never carry a code that a rollback erased.
 */

export interface CodeRequest {
  purpose: CodePurpose;
  address: string;
  /** The caller-chosen state for `login` codes. */
  state?: string;
}

/**
 * Stores a new code for the address, invalidating earlier unused codes of the same purpose, and
 * returns the message to send, or null when the address already got `codeSendLimit` codes in the
 * window (then nothing is stored or sent, and callers answer as usual so the limit reveals nothing).
 */
export async function prepareCode(io: Io, lib: Lib, request: CodeRequest): Promise<CodeMessage | null> {
  const { config } = lib;
  const now = lib.now();
  // The window is (now - window, now]: a code sent exactly one window ago no longer counts.
  const sentRecently = await io.countCodesSentSince(request.address, addMs(now, 1 - config.codeSendWindowMs));
  if (sentRecently >= config.codeSendLimit) return null;

  await io.invalidateCodes(request.purpose, request.address, now);
  const id = lib.newId('code');
  const code = lib.newCode();
  const ttl = request.purpose === 'login' ? config.loginCodeTtlMs : config.verifyEmailCodeTtlMs;
  const expiresAt = addMs(now, ttl);
  await io.insertVerificationCode({
    id,
    purpose: request.purpose,
    address: request.address,
    state: request.state ?? null,
    codeHash: lib.hashCode(id, code),
    attempts: 0,
    createdAt: now,
    expiresAt,
    consumedAt: null,
    invalidatedAt: null,
  });
  return { to: request.address, purpose: request.purpose, code, expiresAt };
}

/**
 * Sends prepared codes. A failed delivery is reported as an event rather than failing the request:
 * the code is stored and the person can ask for another one.
 */
export async function deliverCodes(lib: Lib, messages: Array<CodeMessage | null>): Promise<void> {
  for (const message of messages) {
    if (!message) continue;
    try {
      await lib.sendCode(message);
    } catch {
      emit(lib, { type: 'email.delivery_failed', at: lib.now(), address: message.to, purpose: message.purpose });
    }
  }
}

/**
 * Code emails that are sent after the answer rather than before it. The endpoints that must not reveal
 * whether an address exists (a login-code request, a verification resend) send only for known
 * addresses; waiting for a mail transport there would make their timing tell the two apart (SPEC §4).
 */
export class PendingDeliveries {
  private readonly inFlight = new Set<Promise<void>>();

  /** Starts delivering and returns at once; a failed delivery becomes an `email.delivery_failed` event. */
  start(lib: Lib, messages: Array<CodeMessage | null>): void {
    const delivery: Promise<void> = deliverCodes(lib, messages)
      .catch(() => undefined)
      .finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  /** How many deliveries have not finished yet. */
  get pending(): number {
    return this.inFlight.size;
  }

  /**
   * Resolves once every delivery started so far (and any started meanwhile) has finished, or once
   * `timeoutMs` has passed: true when nothing is left in flight.
   */
  async settled(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const allDone = (async () => {
      while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    })();
    if (timeoutMs === Number.POSITIVE_INFINITY) {
      await allDone;
      return true;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await Promise.race([allDone, timedOut]);
    } finally {
      clearTimeout(timer);
    }
    return this.inFlight.size === 0;
  }
}

/** Delivers in the background when the services share `PendingDeliveries` (as `Accounts` does), else inline. */
export async function deliverAfterAnswer(deps: Deps, messages: Array<CodeMessage | null>): Promise<void> {
  if (deps.pendingDeliveries) deps.pendingDeliveries.start(deps.lib, messages);
  else await deliverCodes(deps.lib, messages);
}

/**
 * Finds the usable code matching the lookup and the typed `code`, and consumes it. Each comparison
 * first reserves an attempt atomically in the store, so parallel guesses cannot exceed
 * `codeMaxAttempts`: the 5th wrong attempt leaves the code unusable, while after 4 wrong ones the
 * right code still wins its (5th) attempt. Attempts are reserved outside any transaction on purpose:
 * a rollback must never give an attacker their guesses back.
 *
 * `onMatch` runs in the transaction that consumes the code, so what the code grants (a verified
 * address, a session) is written together with its consumption or not at all. Returns null when no
 * usable code matched.
 */
export async function redeemCode<T>(
  io: Io,
  lib: Lib,
  lookup: { purpose: CodePurpose; address?: string; state?: string },
  code: string,
  onMatch: (tx: Io, redeemed: VerificationCode) => Promise<T>,
): Promise<{ value: T } | null> {
  const now = lib.now();
  const maxAttempts = lib.config.codeMaxAttempts;
  const candidates = await io.findUsableCodes({ ...lookup, maxAttempts }, now);
  for (const candidate of candidates) {
    if (!(await io.reserveCodeAttempt(candidate.id, maxAttempts, now))) continue;
    if (!lib.safeEqual(lib.hashCode(candidate.id, code), candidate.codeHash)) continue;
    const granted = await io.transaction(async (tx) =>
      (await tx.consumeCode(candidate.id, now)) ? { value: await onMatch(tx, candidate) } : null,
    );
    if (granted) return granted;
  }
  return null;
}
