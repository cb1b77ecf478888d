/** Fixtures of the invitation tests: verified invitees, invitations, and the tokens emailed to them. */
import type { Caller } from '../../src/domain/context';
import type { PublicInvitation } from '../../src/ports/entities';
import type { AccountsEvent } from '../../src/ports/events';
import type { OrganizationCast } from './org-fixtures';
import { lastCode, ok, REQUEST, type SignedInUser, signUp, type TestWorld } from './setup';

export const DAY_MS = 24 * 3_600_000;
let sequence = 0;

export function freshAddress(tag = 'invitee'): string {
  sequence += 1;
  return `${tag}-${sequence}@example.org`;
}

/** A registered user who verified their address with the emailed code (unless told not to). */
export async function invitee(world: TestWorld, email = freshAddress(), verified = true): Promise<SignedInUser> {
  const person = await signUp(world, { email });
  if (verified) ok(await world.accounts.emails.verify({ email, code: await lastCode(world, email) }, REQUEST));
  return person;
}

/** The token of the latest invitation emailed to an address. */
export function tokenSentTo(world: TestWorld, address: string): string {
  const message = [...world.emailer.sent].reverse().find((sent) => sent.to === address && sent.kind === 'invitation');
  if (!message) throw new Error(`no invitation email to ${address}`);
  return message.code;
}

export async function invite(
  cast: OrganizationCast,
  email: string,
  role: 'member' | 'admin' | 'owner' = 'member',
  caller: Caller = cast.admin,
): Promise<{ invitation: PublicInvitation; token: string }> {
  const invitation = ok<PublicInvitation>(
    await cast.world.accounts.invitations.create(caller, cast.organization.id, { email, role }),
  );
  return { invitation, token: tokenSentTo(cast.world, email.trim().toLowerCase()) };
}

export function eventsOf<T extends AccountsEvent['type']>(world: TestWorld, type: T) {
  return world.events.filter((event): event is Extract<AccountsEvent, { type: T }> => event.type === type);
}
