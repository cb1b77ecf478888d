import * as OTPAuth from 'otpauth';
import type { Caller } from '../../src/domain/context';
import type { Page } from '../../src/domain/pagination';
import type { Tokens } from '../../src/domain/session-opening';
import type { RecoveryCodes } from '../../src/domain/two-factor';
import type { Membership, Organization, PublicInvitation } from '../../src/ports/entities';
import type { TotpEnrolment } from '../../src/ports/lib';
import { invitee, tokenSentTo } from '../support/invitation-fixtures';
import {
  errCode,
  lastCode,
  makeWorld,
  ok,
  REQUEST,
  type SignedInUser,
  signUp,
  signUpSysadmin,
  type TestWorld,
} from '../support/setup';

/** Organizations that require two-factor of their members (issue "Account lifecycle" §2, `requireMfa`). */

const PAST_THE_STEP_UP_WINDOW = 10 * 60_000 + 1;

function totpAt(secret: string, at: Date): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp: at.getTime(),
  });
}

function nextStep(world: TestWorld): void {
  const now = world.clock.now().getTime();
  world.clock.advance(30_000 - (now % 30_000));
}

/** Turns two-factor on from the user's current session (which then counts as a two-factor session). */
async function enrol(world: TestWorld, user: SignedInUser): Promise<string> {
  const emails = await world.io.listLoginEmails(user.userId);
  if (!emails.some((email) => email.verifiedAt !== null)) {
    ok(await world.accounts.emails.verify({ email: user.email, code: await lastCode(world, user.email) }, REQUEST));
  }
  const { secret } = ok<TotpEnrolment>(await world.accounts.twoFactor.beginTotpEnrolment(user.caller, 'me'));
  const code = totpAt(secret, world.clock.now());
  ok<RecoveryCodes>(await world.accounts.twoFactor.confirmTotp(user.caller, 'me', { code }, REQUEST));
  nextStep(world);
  return secret;
}

/** A new session by password and second factor: the caller of a two-factor login. */
async function mfaLogin(world: TestWorld, user: SignedInUser, secret: string): Promise<Caller> {
  const first = await world.accounts.sessions.loginWithPassword(
    { email: user.email, password: user.password },
    REQUEST,
  );
  const challenge = (first.val as { challenge: string }).challenge;
  const tokens = ok<Tokens>(
    await world.accounts.sessions.completeMfaLogin({ challenge, code: totpAt(secret, world.clock.now()) }, REQUEST),
  );
  nextStep(world);
  return { user: ok(await world.accounts.sessions.authenticate(tokens.accessToken)) };
}

/** A session opened by password alone (two-factor off at the time). */
async function passwordSession(world: TestWorld, user: SignedInUser): Promise<Caller> {
  const tokens = ok<Tokens>(
    await world.accounts.sessions.loginWithPassword({ email: user.email, password: user.password }, REQUEST),
  );
  return { user: ok(await world.accounts.sessions.authenticate(tokens.accessToken)) };
}

async function organizationWithMember(world: TestWorld) {
  const owner = await signUp(world);
  const member = await signUp(world);
  const org = ok<Organization>(await world.accounts.organizations.create(owner.caller, { name: 'Strict Ltd' }));
  ok<Membership>(
    await world.accounts.organizations.addMembership(owner.caller, org.id, { userId: member.userId, role: 'member' }),
  );
  return { owner, member, org };
}

async function requireMfa(world: TestWorld, owner: SignedInUser, organizationId: string): Promise<void> {
  ok(await world.accounts.organizations.update(owner.caller, organizationId, { requireMfa: true }));
}

describe('organizations that require two-factor', () => {
  it('refuses a member without two-factor on every route of the organization, and lets them in with it', async () => {
    const world = makeWorld();
    const { owner, member, org } = await organizationWithMember(world);
    await enrol(world, owner);
    await requireMfa(world, owner, org.id);
    expect(world.events).toContainEqual(
      expect.objectContaining({
        type: 'organization.mfa_requirement_changed',
        organizationId: org.id,
        requireMfa: true,
      }),
    );

    const { organizations, clients } = world.accounts;
    expect(errCode(await organizations.get(member.caller, org.id))).toBe('MFA_REQUIRED_BY_ORGANIZATION');
    expect(errCode(await organizations.listMemberships(member.caller, org.id))).toBe('MFA_REQUIRED_BY_ORGANIZATION');
    expect(errCode(await clients.list(member.caller, org.id))).toBe('MFA_REQUIRED_BY_ORGANIZATION');
    // The owner's session confirmed the factor: it counts as a two-factor session.
    ok(await organizations.get(owner.caller, org.id));

    const secret = await enrol(world, member);
    // Enrolled from this very session: the session that confirmed the code passes now.
    ok(await organizations.get(member.caller, org.id));
    ok(await organizations.get(await mfaLogin(world, member, secret), org.id));
  });

  it('refuses a session opened with the password alone before two-factor was turned on, until it reauthenticates with it', async () => {
    const world = makeWorld();
    const { owner, member, org } = await organizationWithMember(world);
    await enrol(world, owner);
    await requireMfa(world, owner, org.id);
    const earlier = await passwordSession(world, member);
    const secret = await enrol(world, member);
    expect(errCode(await world.accounts.organizations.get(earlier, org.id))).toBe('MFA_REQUIRED_BY_ORGANIZATION');
    ok(
      await world.accounts.sessions.reauthenticate(
        earlier,
        { password: member.password, totp: totpAt(secret, world.clock.now()) },
        REQUEST,
      ),
    );
    ok(await world.accounts.organizations.get(earlier, org.id));
  });

  it('lets only owners change the requirement, after a recent login, and only with two-factor of their own', async () => {
    const world = makeWorld();
    const { owner, org } = await organizationWithMember(world);
    const admin = await signUp(world);
    ok(await world.accounts.organizations.addMembership(owner.caller, org.id, { userId: admin.userId, role: 'admin' }));
    await enrol(world, admin);
    expect(errCode(await world.accounts.organizations.update(admin.caller, org.id, { requireMfa: true }))).toBe(
      'FORBIDDEN',
    );
    // An owner without two-factor would lock themselves out.
    expect(errCode(await world.accounts.organizations.update(owner.caller, org.id, { requireMfa: true }))).toBe(
      'MFA_REQUIRED_BY_ORGANIZATION',
    );
    await enrol(world, owner);
    world.clock.advance(PAST_THE_STEP_UP_WINDOW);
    expect(errCode(await world.accounts.organizations.update(owner.caller, org.id, { requireMfa: true }))).toBe(
      'REAUTHENTICATION_REQUIRED',
    );
    const unchanged = ok<Organization>(await world.accounts.organizations.get(owner.caller, org.id));
    expect(unchanged.requireMfa).toBe(false);
    // An admin may still rename it; giving the current value is no change of the requirement.
    ok(await world.accounts.organizations.update(admin.caller, org.id, { name: 'Renamed', requireMfa: false }));
    expect(errCode(await world.accounts.organizations.update(admin.caller, org.id, {}))).toBe('VALIDATION_FAILED');
  });

  it('lets a member leave without two-factor, and a sysadmin help an organization whose owner lost theirs', async () => {
    const world = makeWorld();
    const { owner, member, org } = await organizationWithMember(world);
    await enrol(world, owner);
    await requireMfa(world, owner, org.id);
    const memberships = ok<Page<Membership>>(
      await world.accounts.organizations.listMemberships(owner.caller, org.id),
    ).data;
    const own = memberships.find((membership) => membership.userId === member.userId)!;
    ok(await world.accounts.organizations.removeMembership(member.caller, own.id));

    ok(await world.accounts.twoFactor.disableTotp(owner.caller, 'me'));
    expect(errCode(await world.accounts.organizations.update(owner.caller, org.id, { requireMfa: false }))).toBe(
      'MFA_REQUIRED_BY_ORGANIZATION',
    );
    const root = await signUpSysadmin(world);
    const lifted = ok<Organization>(
      await world.accounts.organizations.update(root.caller, org.id, { requireMfa: false }),
    );
    expect(lifted.requireMfa).toBe(false);
    ok(await world.accounts.organizations.get(owner.caller, org.id));
  });

  it('asks an invitee for two-factor before they join, leaving the invitation open', async () => {
    const world = makeWorld();
    const { owner, org } = await organizationWithMember(world);
    await enrol(world, owner);
    await requireMfa(world, owner, org.id);
    const invited = await invitee(world);
    ok<PublicInvitation>(
      await world.accounts.invitations.create(owner.caller, org.id, { email: invited.email, role: 'member' }),
    );
    await world.accounts.settled();
    const token = tokenSentTo(world, invited.email);
    expect(errCode(await world.accounts.invitations.accept(invited.caller, { token }, REQUEST))).toBe(
      'MFA_REQUIRED_BY_ORGANIZATION',
    );
    await enrol(world, invited);
    ok(await world.accounts.invitations.accept(invited.caller, { token }, REQUEST));
  });
});
