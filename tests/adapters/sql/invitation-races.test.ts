import { randomUUID } from 'node:crypto';
import { SqlIo } from '../../../src/adapters/sql';
import type { AcceptedInvitation } from '../../../src/domain/invitations';
import type { Organization } from '../../../src/ports/entities';
import { describeEachDb } from '../../support/databases';
import { errCode, lastCode, makeWorld, ok, REQUEST, signUp, type TestWorld } from '../../support/setup';

/**
 * Invitations are single use on every SQL dialect: of 20 acceptances of one token at once, through the
 * domain, exactly one creates the membership; of 20 invitations to one address at once, one stays.
 */
const RACERS = 20;
const ROOMY = { invitationAcceptsPerUser: 1000, invitationAcceptsPerIp: 1000, invitationsPerInviter: 1000 };

async function verifiedUser(world: TestWorld) {
  const email = `invitee-${randomUUID()}@example.com`;
  const person = await signUp(world, { email });
  ok(await world.accounts.emails.verify({ email, code: await lastCode(world, email) }, REQUEST));
  return person;
}

describeEachDb('invitation races', (database) => {
  it(`creates exactly one membership when ${RACERS} acceptances of one token run at once`, async () => {
    const world = makeWorld({ io: new SqlIo(database().knex), config: ROOMY });
    const owner = await signUp(world, { email: `owner-${randomUUID()}@example.com` });
    const organization = ok<Organization>(await world.accounts.organizations.create(owner.caller, { name: 'Acme' }));
    const person = await verifiedUser(world);
    ok(await world.accounts.invitations.create(owner.caller, organization.id, { email: person.email, role: 'admin' }));
    const token = world.emailer.sent.filter((sent) => sent.kind === 'invitation').at(-1)?.code ?? '';

    const results = await Promise.all(
      Array.from({ length: RACERS }, () => world.accounts.invitations.accept(person.caller, { token }, REQUEST)),
    );
    const winners = results.filter((result) => result.ok).map((result) => result.val as AcceptedInvitation);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ joined: true, membership: { role: 'admin', userId: person.userId } });
    expect(results.filter((result) => !result.ok).map(errCode)).toEqual(Array(RACERS - 1).fill('INVALID_INVITATION'));
    const memberships = await world.io.listMemberships(organization.id);
    expect(memberships.filter((membership) => membership.userId === person.userId)).toHaveLength(1);
    expect(world.events.filter((event) => event.type === 'invitation.accepted')).toHaveLength(1);
  });

  it(`keeps one open invitation, whose token works, when ${RACERS} invitations to one address run at once`, async () => {
    const world = makeWorld({ io: new SqlIo(database().knex), config: ROOMY });
    const owner = await signUp(world, { email: `owner-${randomUUID()}@example.com` });
    const organization = ok<Organization>(await world.accounts.organizations.create(owner.caller, { name: 'Acme' }));
    const person = await verifiedUser(world);
    const created = await Promise.all(
      Array.from({ length: RACERS }, () =>
        world.accounts.invitations.create(owner.caller, organization.id, { email: person.email, role: 'member' }),
      ),
    );
    expect(created.every((result) => result.ok)).toBe(true);
    const open = await world.io.listInvitations(organization.id, world.clock.now());
    expect(open).toHaveLength(1);
    const tokens = world.emailer.sent.filter((sent) => sent.kind === 'invitation').map((sent) => sent.code);
    const usable = [];
    for (const token of tokens) {
      if (await world.io.findInvitationByTokenHash(world.lib.hashSecret(token))) usable.push(token);
    }
    expect(usable).toHaveLength(1);
    ok(await world.accounts.invitations.accept(person.caller, { token: usable[0]! }, REQUEST));
  });
});
