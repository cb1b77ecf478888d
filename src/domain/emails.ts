import type * as t from 'io-ts';
import { Ok, type Result } from 'ts-results';
import type { LoginEmail } from '../ports/entities';
import type { CodeMessage } from '../ports/lib';
import { canReadEverything, checkSelfOrSystem, hiddenFrom, isSelf } from './authorization';
import { deliverAfterAnswer, deliverCodes } from './code-delivery';
import { CodeInput, decode, Email, listOf, struct } from './codecs';
import {
  codeGuessLimits,
  codeRequestLimits,
  invalidateCodesOf,
  prepareCode,
  redeemCode,
  withinSendLimit,
} from './codes';
import { type Caller, type Deps, NO_REQUEST_INFO, type RequestInfo } from './context';
import { type AccountsError, fail } from './errors';
import { actorOf, inTransactionWithEvents, recordEvent } from './event-log';
import { firstLimitPassed, forgive, type Limit, perIdentifierAndIpLimit, perIpLimit } from './limits';
import { decodePageRequest, type Page, type PageInput, toPage } from './pagination';
import { requireRecentAuthentication } from './step-up';
import { resolveUserId } from './user-ref';

/** At most this many addresses per request: enough for people, too few to flood mailboxes. */
const MAX_EMAILS_PER_REQUEST = 10;

export const EmailListInput = struct('EmailListInput', { emails: listOf(Email, 1, MAX_EMAILS_PER_REQUEST) });
export type EmailListInput = t.TypeOf<typeof EmailListInput>;

export const VerifyEmailInput = struct('VerifyEmailInput', { email: Email, code: CodeInput });
export type VerifyEmailInput = t.TypeOf<typeof VerifyEmailInput>;

export const ResendVerificationInput = struct('ResendVerificationInput', { email: Email });
export type ResendVerificationInput = t.TypeOf<typeof ResendVerificationInput>;

/**
 * Login emails and their verification (docs/security-rules.md §2, §4). A `userId` argument may be `'me'`, the calling
 * user (`resolveUserId`).
 */
export class EmailService {
  constructor(private readonly deps: Deps) {}

  /** One page of a user's login emails, oldest first (`page`: see `PageInput`). */
  async list(caller: Caller, userRef: string, page?: PageInput): Promise<Result<Page<LoginEmail>, AccountsError>> {
    const request = decodePageRequest(page);
    if (request.err) return request;
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    if (!isSelf(caller, userId) && !canReadEverything(caller)) return hiddenFrom(caller);
    if (!(await this.liveUserExists(userId))) return fail('NOT_FOUND');
    const rows = await this.deps.io.listLoginEmailsPage(userId, request.val);
    return Ok(
      toPage(
        rows,
        request.val,
        (email) => ({ createdAt: email.createdAt, id: email.address }),
        (email) => email,
      ),
    );
  }

  /**
   * Adds unverified addresses and sends each a verify-email code. All or nothing: one address already
   * in use (by anyone) refuses the whole request, naming it. Each address counts against per-user and
   * per-IP limits, before the check that would reveal whether it is taken, and a user holds at most
   * `maxUnverifiedEmailsPerUser` unverified addresses at once (docs/security-rules.md §4, §7).
   */
  async add(
    caller: Caller,
    userRef: string,
    input: EmailListInput,
    request: RequestInfo = NO_REQUEST_INFO,
  ): Promise<Result<LoginEmail[], AccountsError>> {
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    const { lib } = this.deps;
    const allowed = checkSelfOrSystem(caller, userId);
    if (allowed.err) return allowed;
    const recent = await requireRecentAuthentication(this.deps, caller);
    if (recent.err) return recent;
    const decoded = decode(EmailListInput, input);
    if (decoded.err) return decoded;
    const addresses = [...new Set(decoded.val.emails)];
    if (!(await this.liveUserExists(userId))) return fail('NOT_FOUND');
    const limited = await this.countAdds(userId, addresses.length, request);
    if (limited) return limited;
    const mayEmail = await Promise.all(addresses.map((address) => withinSendLimit(this.deps, address, request.ip)));

    const { config } = lib;
    const now = lib.now();
    const added = await inTransactionWithEvents(this.deps, actorOf(caller, request), async (tx) => {
      // Locked, so that parallel requests cannot both pass the cap on unverified addresses.
      await tx.lockUser(userId);
      const unverified = (await tx.listLoginEmails(userId)).filter((email) => email.verifiedAt === null).length;
      if (unverified + addresses.length > config.maxUnverifiedEmailsPerUser) {
        return fail('TOO_MANY_UNVERIFIED_EMAILS', {
          message: `A user may hold at most ${config.maxUnverifiedEmailsPerUser} unverified addresses; verify or remove some first.`,
        });
      }
      const emails: LoginEmail[] = [];
      const messages: Array<CodeMessage | null> = [];
      for (const [position, address] of addresses.entries()) {
        const email: LoginEmail = { address, userId, verifiedAt: null, createdAt: now };
        if (!(await tx.insertLoginEmail(email))) {
          const index = decoded.val.emails.indexOf(address);
          return fail('EMAIL_TAKEN', { details: [{ path: `emails.${index}`, message: 'is already in use' }] });
        }
        emails.push(email);
        recordEvent(tx, { type: 'email.added', at: now, userId, address });
        if (mayEmail[position]) messages.push(await prepareCode(tx, lib, { purpose: 'verify-email', address }));
      }
      return Ok({ emails, messages });
    });
    if (added.err) return added;
    await deliverCodes(this.deps, added.val.messages);
    return Ok(added.val.emails);
  }

  /**
   * Removes addresses of the user; a user always keeps at least one (`LAST_EMAIL`), however many
   * removals run at once (the user is locked first). Returns what remains.
   */
  async remove(caller: Caller, userRef: string, input: EmailListInput): Promise<Result<LoginEmail[], AccountsError>> {
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    const { lib } = this.deps;
    const allowed = checkSelfOrSystem(caller, userId);
    if (allowed.err) return allowed;
    const recent = await requireRecentAuthentication(this.deps, caller);
    if (recent.err) return recent;
    const decoded = decode(EmailListInput, input);
    if (decoded.err) return decoded;
    const addresses = decoded.val.emails;
    if (!(await this.liveUserExists(userId))) return fail('NOT_FOUND');

    const now = lib.now();
    const remaining = await inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      await tx.lockUser(userId);
      const current = await tx.listLoginEmails(userId);
      const owned = new Set(current.map((email) => email.address));
      const unknown = addresses
        .map((address, index) => ({ address, index }))
        .filter(({ address }) => !owned.has(address))
        .map(({ index }) => ({ path: `emails.${index}`, message: 'is not a login email of this user' }));
      if (unknown.length > 0) return fail('VALIDATION_FAILED', { details: unknown });
      const left = current.filter((email) => !addresses.includes(email.address));
      if (left.length === 0) return fail('LAST_EMAIL');
      await tx.deleteLoginEmails(userId, addresses);
      // Pending codes for a removed address must not verify it or log anyone in later.
      await invalidateCodesOf(tx, addresses, now);
      for (const address of new Set(addresses)) recordEvent(tx, { type: 'email.removed', at: now, userId, address });
      return Ok(left);
    });
    if (remaining.err) return remaining;
    return Ok(remaining.val);
  }

  /**
   * Verifies an address with the code sent to it. A wrong, used or expired code is `INVALID_CODE`.
   * Wrong codes count per (address, IP), fewer than a code's attempts, so one place cannot kill the
   * code the owner is about to type, and against the same per-IP limit as code logins (docs/security-rules.md §4, §7).
   */
  async verify(
    input: VerifyEmailInput,
    request: RequestInfo = NO_REQUEST_INFO,
  ): Promise<Result<LoginEmail, AccountsError>> {
    const { lib } = this.deps;
    const decoded = decode(VerifyEmailInput, input);
    if (decoded.err) return decoded;
    const { email: address, code } = decoded.val;
    const { config } = lib;
    const limits = [
      ...perIdentifierAndIpLimit(
        config,
        'verify-guess',
        address,
        request.ip,
        config.codeFailuresPerAddressAndIp,
        config.loginFailureWindowMs,
        'reset',
      ),
      ...codeGuessLimits(config, request.ip),
    ];
    const limited = await firstLimitPassed(this.deps, limits);
    if (limited) return limited;
    const now = lib.now();
    const redeemed = await redeemCode(
      this.deps,
      actorOf(undefined, request),
      { purpose: 'verify-email', address },
      code,
      async (tx, _code, ownerId) => {
        if (ownerId === null) return null;
        await tx.markLoginEmailVerified(address, now);
        recordEvent(tx, { type: 'email.verified', at: now, userId: ownerId, address });
        return tx.findLoginEmail(address);
      },
    );
    if (redeemed) await forgive(this.deps, limits);
    const email = redeemed?.value;
    if (!email) return fail('INVALID_CODE');
    return Ok(email);
  }

  /**
   * Sends a new verify-email code. Answers the same whether the address is unknown, already verified,
   * over its send limit or sent to (docs/security-rules.md §4: no enumeration), after the same work: a code is stored
   * whatever the address, and only after the answer is it looked up whether the address is one
   * waiting for verification, and the email sent. Requests are limited per IP.
   */
  async resendVerification(
    input: ResendVerificationInput,
    request: RequestInfo = NO_REQUEST_INFO,
  ): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(ResendVerificationInput, input);
    if (decoded.err) return decoded;
    const address = decoded.val.email;
    const limited = await firstLimitPassed(this.deps, codeRequestLimits(lib.config, request.ip));
    if (limited) return limited;
    if (!(await withinSendLimit(this.deps, address, request.ip))) return Ok(undefined);
    const message = await io.transaction((tx) => prepareCode(tx, lib, { purpose: 'verify-email', address }));
    await deliverAfterAnswer(this.deps, async () => {
      const email = await io.findLoginEmail(address);
      return email && email.verifiedAt === null ? [message] : [];
    });
    return Ok(undefined);
  }

  /** Counts `count` new addresses against the per-user and per-IP limits on adding them. */
  private async countAdds(
    userId: string,
    count: number,
    request: RequestInfo,
  ): Promise<Result<never, AccountsError> | null> {
    const { config } = this.deps.lib;
    const windowMs = config.emailAddWindowMs;
    const limits: Limit[] = [
      { key: `email-add:user:${userId}`, limit: config.emailAddsPerUser, windowMs },
      ...perIpLimit(config, 'email-add', request.ip, config.emailAddsPerIp, windowMs),
    ];
    for (let added = 0; added < count; added++) {
      const limited = await firstLimitPassed(this.deps, limits);
      if (limited) return limited;
    }
    return null;
  }

  private async liveUserExists(userId: string): Promise<boolean> {
    const user = await this.deps.io.findUserById(userId);
    return Boolean(user && !user.deletedAt);
  }
}
