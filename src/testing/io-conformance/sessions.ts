/// <reference types="jest" />
import type { Session } from '../../ports/entities';
import type { Io } from '../../ports/io';
import {
  DAY_MS,
  fixtureTime,
  HOUR_MS,
  makeClient,
  makeOrganization,
  makeRefreshToken,
  makeSession,
  makeUser,
  uniqueHash,
  uniqueId,
} from '../fixtures';

export function describeSessionsAndRefreshTokens(getIo: () => Io): void {
  async function insertUser(): Promise<string> {
    const user = makeUser();
    await getIo().insertUser(user);
    return user.id;
  }

  async function insertSessions(...sessions: Session[]): Promise<void> {
    for (const session of sessions) await getIo().insertSession(session);
  }

  describe('sessions', () => {
    it('round-trips a session with or without client, ip and user agent', async () => {
      const io = getIo();
      const userId = await insertUser();
      const organization = makeOrganization();
      await io.insertOrganization(organization);
      const client = makeClient({ organizationId: organization.id });
      await io.insertClient(client);
      const full = makeSession({ userId, clientId: client.id, revokedAt: fixtureTime(5), lastUsedAt: fixtureTime(3) });
      const bare = makeSession({ userId, ip: null, userAgent: null });
      await insertSessions(full, bare);
      expect(await io.findSessionById(full.id)).toStrictEqual(full);
      expect(await io.findSessionById(bare.id)).toStrictEqual(bare);
      expect(await io.findSessionById(uniqueId('ses'))).toBeNull();
    });

    it('finds a session with its user, whatever state the session is in', async () => {
      // Decision: findSessionWithUser does not filter; the domain judges revocation, expiry and bans.
      const io = getIo();
      const user = makeUser({ bannedAt: fixtureTime(1) });
      await io.insertUser(user);
      const session = makeSession({ userId: user.id, revokedAt: fixtureTime(2), expiresAt: fixtureTime(3) });
      await insertSessions(session);
      expect(await io.findSessionWithUser(session.id)).toStrictEqual({ session, user });
      expect(await io.findSessionWithUser(uniqueId('ses'))).toBeNull();
    });

    it('lists the active sessions of a user newest first, leaving out revoked, idle and expired ones', async () => {
      const io = getIo();
      const userId = await insertUser();
      const otherUserId = await insertUser();
      const now = fixtureTime(DAY_MS);
      const older = makeSession({ userId, createdAt: fixtureTime(1) });
      const newer = makeSession({ userId, createdAt: fixtureTime(2) });
      const barelyAlive = makeSession({
        userId,
        createdAt: fixtureTime(0),
        idleExpiresAt: fixtureTime(DAY_MS + 1),
        expiresAt: fixtureTime(DAY_MS + 1),
      });
      const revoked = makeSession({ userId, revokedAt: fixtureTime(HOUR_MS) });
      const idle = makeSession({ userId, idleExpiresAt: now });
      const expired = makeSession({ userId, expiresAt: now });
      const othersSession = makeSession({ userId: otherUserId });
      await insertSessions(older, newer, barelyAlive, revoked, idle, expired, othersSession);
      expect(await io.listActiveSessions(userId, now)).toStrictEqual([newer, older, barelyAlive]);
      expect(await io.listActiveSessions(uniqueId('usr'), now)).toEqual([]);
    });

    it('records a refresh by moving lastUsedAt and idleExpiresAt only', async () => {
      const io = getIo();
      const session = makeSession({ userId: await insertUser() });
      await insertSessions(session);
      await io.touchSession(session.id, fixtureTime(HOUR_MS), fixtureTime(15 * DAY_MS));
      expect(await io.findSessionById(session.id)).toStrictEqual({
        ...session,
        lastUsedAt: fixtureTime(HOUR_MS),
        idleExpiresAt: fixtureTime(15 * DAY_MS),
      });
      await expect(io.touchSession(uniqueId('ses'), fixtureTime(), fixtureTime())).resolves.toBeUndefined();
    });

    it('revokes a session once and keeps the first revocation time', async () => {
      const io = getIo();
      const session = makeSession({ userId: await insertUser() });
      await insertSessions(session);
      expect(await io.revokeSession(session.id, fixtureTime(10))).toBe(true);
      expect(await io.revokeSession(session.id, fixtureTime(20))).toBe(false);
      expect((await io.findSessionById(session.id))?.revokedAt).toEqual(fixtureTime(10));
      expect(await io.revokeSession(uniqueId('ses'), fixtureTime(10))).toBe(false);
    });

    it('revokes every unrevoked session of a user but the one excepted, and counts them', async () => {
      const io = getIo();
      const userId = await insertUser();
      const otherUserId = await insertUser();
      const kept = makeSession({ userId });
      const first = makeSession({ userId });
      const second = makeSession({ userId, expiresAt: fixtureTime(1) });
      const alreadyRevoked = makeSession({ userId, revokedAt: fixtureTime(5) });
      const othersSession = makeSession({ userId: otherUserId });
      await insertSessions(kept, first, second, alreadyRevoked, othersSession);

      expect(await io.revokeUserSessions(userId, fixtureTime(HOUR_MS), kept.id)).toBe(2);
      expect((await io.findSessionById(first.id))?.revokedAt).toEqual(fixtureTime(HOUR_MS));
      expect((await io.findSessionById(second.id))?.revokedAt).toEqual(fixtureTime(HOUR_MS));
      expect(await io.findSessionById(alreadyRevoked.id)).toStrictEqual(alreadyRevoked);
      expect(await io.findSessionById(kept.id)).toStrictEqual(kept);
      expect(await io.findSessionById(othersSession.id)).toStrictEqual(othersSession);

      expect(await io.revokeUserSessions(userId, fixtureTime(2 * HOUR_MS))).toBe(1);
      expect((await io.findSessionById(kept.id))?.revokedAt).toEqual(fixtureTime(2 * HOUR_MS));
      expect(await io.revokeUserSessions(userId, fixtureTime(3 * HOUR_MS))).toBe(0);
    });
  });

  describe('session limits and credential versions', () => {
    it('revokes the live sessions beyond the newest ones kept, oldest first, and leaves dead ones alone', async () => {
      const io = getIo();
      const userId = await insertUser();
      const otherUserId = await insertUser();
      const now = fixtureTime(HOUR_MS);
      const live = [1, 2, 3, 4].map((minute) => makeSession({ userId, createdAt: fixtureTime(minute * 60_000) }));
      const revoked = makeSession({ userId, createdAt: fixtureTime(0), revokedAt: fixtureTime(1) });
      const expired = makeSession({ userId, createdAt: fixtureTime(0), expiresAt: fixtureTime(2) });
      const others = makeSession({ userId: otherUserId, createdAt: fixtureTime(0) });
      await insertSessions(...live, revoked, expired, others);

      expect(await io.revokeOldestSessions(userId, 2, now)).toEqual([live[0]!.id, live[1]!.id]);
      expect((await io.listActiveSessions(userId, now)).map((session) => session.id)).toEqual([
        live[3]!.id,
        live[2]!.id,
      ]);
      expect((await io.findSessionById(live[0]!.id))?.revokedAt).toEqual(now);
      expect(await io.findSessionById(revoked.id)).toStrictEqual(revoked);
      expect(await io.findSessionById(expired.id)).toStrictEqual(expired);
      expect(await io.findSessionById(others.id)).toStrictEqual(others);
      expect(await io.revokeOldestSessions(userId, 2, now)).toEqual([]);
      expect(await io.revokeOldestSessions(userId, 0, now)).toEqual([live[2]!.id, live[3]!.id]);
    });

    it('moves one session to a new credential version and nothing else', async () => {
      const io = getIo();
      const userId = await insertUser();
      const session = makeSession({ userId, credentialVersion: 1, authMethod: 'code' });
      const other = makeSession({ userId, credentialVersion: 1 });
      await insertSessions(session, other);
      await io.setSessionCredentialVersion(session.id, 2);
      expect(await io.findSessionById(session.id)).toStrictEqual({ ...session, credentialVersion: 2 });
      expect(await io.findSessionById(other.id)).toStrictEqual(other);
    });
  });

  describe('refresh tokens', () => {
    it('round-trips a refresh token, consumed or not', async () => {
      const io = getIo();
      const session = makeSession({ userId: await insertUser() });
      await insertSessions(session);
      const fresh = makeRefreshToken({ sessionId: session.id });
      const consumed = makeRefreshToken({ sessionId: session.id, consumedAt: fixtureTime(4) });
      await io.insertRefreshToken(fresh);
      await io.insertRefreshToken(consumed);
      expect(await io.findRefreshToken(fresh.tokenHash)).toStrictEqual(fresh);
      expect(await io.findRefreshToken(consumed.tokenHash)).toStrictEqual(consumed);
      expect(await io.findRefreshToken(uniqueHash())).toBeNull();
    });

    it('consumes a refresh token once and keeps the first consumption time', async () => {
      const io = getIo();
      const session = makeSession({ userId: await insertUser() });
      await insertSessions(session);
      const token = makeRefreshToken({ sessionId: session.id });
      await io.insertRefreshToken(token);
      expect(await io.consumeRefreshToken(token.tokenHash, fixtureTime(10))).toBe(true);
      expect(await io.consumeRefreshToken(token.tokenHash, fixtureTime(20))).toBe(false);
      expect(await io.findRefreshToken(token.tokenHash)).toStrictEqual({ ...token, consumedAt: fixtureTime(10) });
      expect(await io.consumeRefreshToken(uniqueHash(), fixtureTime(10))).toBe(false);
    });
  });
}
