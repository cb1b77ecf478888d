import { ANONYMOUS, type Caller } from '../../src/domain/context';
import type { Page } from '../../src/domain/pagination';
import { ME, resolveUserId } from '../../src/domain/user-ref';
import type { LoginEmail, PublicSession, PublicUser } from '../../src/ports/entities';
import { errCode, makeWorld, ok, REQUEST, STRONG_PASSWORD, signUp } from '../support/setup';

const CLIENT_ONLY: Caller = { client: { id: 'cli_system', organizationId: '', roles: ['system'] } };

describe("'me' in the domain API", () => {
  it("stands for the calling user's id, and any other id for itself", () => {
    const caller: Caller = { user: { id: 'usr_ada', roles: ['user'], sessionId: null } };
    expect(resolveUserId(caller, ME).val).toBe('usr_ada');
    expect(resolveUserId(caller, 'usr_other').val).toBe('usr_other');
  });

  it('is UNAUTHENTICATED without a user, even for a system client', () => {
    expect(errCode(resolveUserId(ANONYMOUS, 'me'))).toBe('UNAUTHENTICATED');
    expect(errCode(resolveUserId(CLIENT_ONLY, 'me'))).toBe('UNAUTHENTICATED');
  });

  it('reads, updates and lists the caller through users, emails and sessions', async () => {
    const world = makeWorld();
    const ada = await signUp(world, { name: 'Ada' });
    const { accounts } = world;

    expect(ok<PublicUser>(await accounts.users.get(ada.caller, 'me')).id).toBe(ada.userId);
    expect(ok<PublicUser>(await accounts.users.update(ada.caller, 'me', { name: 'Ada L.' })).name).toBe('Ada L.');
    expect(ok<Page<LoginEmail>>(await accounts.emails.list(ada.caller, 'me')).data.map((e) => e.address)).toEqual([
      ada.email,
    ]);
    const added = ok<LoginEmail[]>(
      await accounts.emails.add(ada.caller, 'me', { emails: ['ada2@example.com'] }, REQUEST),
    );
    expect(added.map((e) => e.userId)).toEqual([ada.userId]);
    ok(await accounts.emails.remove(ada.caller, 'me', { emails: ['ada2@example.com'] }));
    const sessions = ok<Page<PublicSession>>(await accounts.sessions.list(ada.caller, 'me')).data;
    expect(sessions.map((s) => s.id)).toEqual([ada.caller.user?.sessionId]);
  });

  it('changes the password, revokes the sessions and deletes the caller', async () => {
    const world = makeWorld();
    const ada = await signUp(world);
    const { accounts } = world;
    const newPassword = `${STRONG_PASSWORD} again`;
    ok(await accounts.users.changePassword(ada.caller, 'me', { currentPassword: ada.password, newPassword }, REQUEST));
    ok(await accounts.sessions.loginWithPassword({ email: ada.email, password: newPassword }, REQUEST));
    ok(await accounts.sessions.revokeAll(ada.caller, 'me'));
    expect(await world.io.listActiveSessions(ada.userId, world.clock.now())).toEqual([]);
    ok(await accounts.users.delete(ada.caller, 'me'));
    expect((await world.io.findUserById(ada.userId))?.deletedAt).not.toBeNull();
  });

  it('answers UNAUTHENTICATED for every user-scoped operation called anonymously with me', async () => {
    const { accounts } = makeWorld();
    const outcomes = await Promise.all([
      accounts.users.get(ANONYMOUS, 'me'),
      accounts.users.update(ANONYMOUS, 'me', { name: 'X' }),
      accounts.users.changePassword(ANONYMOUS, 'me', { newPassword: STRONG_PASSWORD }),
      accounts.users.delete(ANONYMOUS, 'me'),
      accounts.users.ban(CLIENT_ONLY, 'me'),
      accounts.users.setRoles(CLIENT_ONLY, 'me', { roles: ['user'] }),
      accounts.emails.list(ANONYMOUS, 'me'),
      accounts.emails.add(ANONYMOUS, 'me', { emails: ['a@example.com'] }),
      accounts.emails.remove(ANONYMOUS, 'me', { emails: ['a@example.com'] }),
      accounts.sessions.list(ANONYMOUS, 'me'),
      accounts.sessions.revokeAll(ANONYMOUS, 'me'),
    ]);
    expect(outcomes.map(errCode)).toEqual(outcomes.map(() => 'UNAUTHENTICATED'));
  });
});
