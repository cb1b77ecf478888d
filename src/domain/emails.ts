import type * as t from 'io-ts';
import { Ok, type Result } from 'ts-results';
import type { LoginEmail } from '../ports/entities';
import type { CodeMessage } from '../ports/lib';
import { canReadEverything, checkSelfOrSystem, hiddenFrom, isSelf } from './authorization';
import { CodeInput, decode, Email, listOf, struct } from './codecs';
import { deliverAfterAnswer, deliverCodes, prepareCode, redeemCode } from './codes';
import { type Caller, type Deps, emit, inTransaction } from './context';
import { type AccountsError, fail } from './errors';

/** At most this many addresses per request: enough for people, too few to flood mailboxes. */
const MAX_EMAILS_PER_REQUEST = 10;

export const EmailListInput = struct('EmailListInput', { emails: listOf(Email, 1, MAX_EMAILS_PER_REQUEST) });
export type EmailListInput = t.TypeOf<typeof EmailListInput>;

export const VerifyEmailInput = struct('VerifyEmailInput', { email: Email, code: CodeInput });
export type VerifyEmailInput = t.TypeOf<typeof VerifyEmailInput>;

export const ResendVerificationInput = struct('ResendVerificationInput', { email: Email });
export type ResendVerificationInput = t.TypeOf<typeof ResendVerificationInput>;

/** Login emails and their verification (SPEC §2, §4). */
export class EmailService {
  constructor(private readonly deps: Deps) {}

  async list(caller: Caller, userId: string): Promise<Result<LoginEmail[], AccountsError>> {
    if (!isSelf(caller, userId) && !canReadEverything(caller)) return hiddenFrom(caller);
    if (!(await this.liveUserExists(userId))) return fail('NOT_FOUND');
    return Ok(await this.deps.io.listLoginEmails(userId));
  }

  /**
   * Adds unverified addresses and sends each a verify-email code. All or nothing: one address already
   * in use (by anyone) refuses the whole request, naming it.
   */
  async add(caller: Caller, userId: string, input: EmailListInput): Promise<Result<LoginEmail[], AccountsError>> {
    const { io, lib } = this.deps;
    const allowed = checkSelfOrSystem(caller, userId);
    if (allowed.err) return allowed;
    const decoded = decode(EmailListInput, input);
    if (decoded.err) return decoded;
    const addresses = [...new Set(decoded.val.emails)];
    if (!(await this.liveUserExists(userId))) return fail('NOT_FOUND');

    const now = lib.now();
    const added = await inTransaction(io, async (tx) => {
      const emails: LoginEmail[] = [];
      const messages: Array<CodeMessage | null> = [];
      for (const address of addresses) {
        const email: LoginEmail = { address, userId, verifiedAt: null, createdAt: now };
        if (!(await tx.insertLoginEmail(email))) {
          const index = decoded.val.emails.indexOf(address);
          return fail('EMAIL_TAKEN', { details: [{ path: `emails.${index}`, message: 'is already in use' }] });
        }
        emails.push(email);
        messages.push(await prepareCode(tx, lib, { purpose: 'verify-email', address }));
      }
      return Ok({ emails, messages });
    });
    if (added.err) return added;
    await deliverCodes(lib, added.val.messages);
    for (const email of added.val.emails) emit(lib, { type: 'email.added', at: now, userId, address: email.address });
    return Ok(added.val.emails);
  }

  /** Removes addresses of the user; a user always keeps at least one (`LAST_EMAIL`). Returns what remains. */
  async remove(caller: Caller, userId: string, input: EmailListInput): Promise<Result<LoginEmail[], AccountsError>> {
    const { io, lib } = this.deps;
    const allowed = checkSelfOrSystem(caller, userId);
    if (allowed.err) return allowed;
    const decoded = decode(EmailListInput, input);
    if (decoded.err) return decoded;
    const addresses = decoded.val.emails;
    if (!(await this.liveUserExists(userId))) return fail('NOT_FOUND');

    const now = lib.now();
    const remaining = await inTransaction(io, async (tx) => {
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
      for (const address of addresses) {
        await tx.invalidateCodes('verify-email', address, now);
        await tx.invalidateCodes('login', address, now);
      }
      return Ok(left);
    });
    if (remaining.err) return remaining;
    for (const address of new Set(addresses)) emit(lib, { type: 'email.removed', at: now, userId, address });
    return Ok(remaining.val);
  }

  /** Verifies an address with the code sent to it. A wrong, used or expired code is `INVALID_CODE`. */
  async verify(input: VerifyEmailInput): Promise<Result<LoginEmail, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(VerifyEmailInput, input);
    if (decoded.err) return decoded;
    const { email: address, code } = decoded.val;
    const now = lib.now();
    const redeemed = await redeemCode(io, lib, { purpose: 'verify-email', address }, code, async (tx) => {
      await tx.markLoginEmailVerified(address, now);
      return tx.findLoginEmail(address);
    });
    const email = redeemed?.value;
    if (!email) return fail('INVALID_CODE');
    emit(lib, { type: 'email.verified', at: now, userId: email.userId, address });
    return Ok(email);
  }

  /**
   * Sends a new verify-email code. Answers the same whether the address is unknown, already verified,
   * over its send limit or sent to (SPEC §4: no enumeration): only the mailbox learns the difference.
   */
  async resendVerification(input: ResendVerificationInput): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(ResendVerificationInput, input);
    if (decoded.err) return decoded;
    const address = decoded.val.email;
    const email = await io.findLoginEmail(address);
    if (email && email.verifiedAt === null) {
      const message = await io.transaction((tx) => prepareCode(tx, lib, { purpose: 'verify-email', address }));
      await deliverAfterAnswer(this.deps, [message]);
    }
    return Ok(undefined);
  }

  private async liveUserExists(userId: string): Promise<boolean> {
    const user = await this.deps.io.findUserById(userId);
    return Boolean(user && !user.deletedAt);
  }
}
