import assert from 'node:assert/strict';
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
import type { SuiteRunner } from '../test-functions';
import { assertSame } from './assert-same';

export function describeSessionsAndRefreshTokens({ describe, it }: SuiteRunner, getIo: () => Io): void {
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
      assertSame(
        await io.findSessionById(full.id),
        full,
        'findSessionById did not return a session with every field set exactly as inserted',
      );
      assertSame(
        await io.findSessionById(bare.id),
        bare,
        'findSessionById did not return a session without ip and user agent exactly as inserted',
      );
      assert.strictEqual(
        await io.findSessionById(uniqueId('ses')),
        null,
        'findSessionById of an unknown id is not null',
      );
    });

    it('finds a session with its user, whatever state the session is in', async () => {
      // Decision: findSessionWithUser does not filter; the domain judges revocation, expiry and bans.
      const io = getIo();
      const user = makeUser({ bannedAt: fixtureTime(1) });
      await io.insertUser(user);
      const session = makeSession({ userId: user.id, revokedAt: fixtureTime(2), expiresAt: fixtureTime(3) });
      await insertSessions(session);
      assertSame(
        await io.findSessionWithUser(session.id),
        { session, user },
        'findSessionWithUser did not return a revoked, expired session together with its banned user',
      );
      assert.strictEqual(
        await io.findSessionWithUser(uniqueId('ses')),
        null,
        'findSessionWithUser of an unknown id is not null',
      );
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
      assertSame(
        await io.listActiveSessions(userId, now),
        [newer, older, barelyAlive],
        "listActiveSessions did not list exactly the user's live sessions, newest first (a session ending now is not live)",
      );
      assertSame(
        await io.listActiveSessions(uniqueId('usr'), now),
        [],
        'listActiveSessions of an unknown user is not empty',
      );
    });

    it('records a refresh by moving lastUsedAt and idleExpiresAt only', async () => {
      const io = getIo();
      const session = makeSession({ userId: await insertUser() });
      await insertSessions(session);
      await io.touchSession(session.id, fixtureTime(HOUR_MS), fixtureTime(15 * DAY_MS));
      assertSame(
        await io.findSessionById(session.id),
        { ...session, lastUsedAt: fixtureTime(HOUR_MS), idleExpiresAt: fixtureTime(15 * DAY_MS) },
        'touchSession did not change exactly lastUsedAt and idleExpiresAt',
      );
      assert.strictEqual(
        await io.touchSession(uniqueId('ses'), fixtureTime(), fixtureTime()),
        undefined,
        'touchSession of an unknown id did not resolve quietly',
      );
    });

    it('revokes a session once and keeps the first revocation time', async () => {
      const io = getIo();
      const session = makeSession({ userId: await insertUser() });
      await insertSessions(session);
      assert.strictEqual(
        await io.revokeSession(session.id, fixtureTime(10)),
        true,
        'revokeSession of a live session did not answer true',
      );
      assert.strictEqual(
        await io.revokeSession(session.id, fixtureTime(20)),
        false,
        'revokeSession of a revoked session did not answer false',
      );
      assertSame(
        (await io.findSessionById(session.id))?.revokedAt,
        fixtureTime(10),
        'revokeSession did not keep the first revocation time',
      );
      assert.strictEqual(
        await io.revokeSession(uniqueId('ses'), fixtureTime(10)),
        false,
        'revokeSession of an unknown id did not answer false',
      );
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

      assert.strictEqual(
        await io.revokeUserSessions(userId, fixtureTime(HOUR_MS), kept.id),
        2,
        'revokeUserSessions did not count exactly the unrevoked sessions, expired ones included, but the excepted one',
      );
      assertSame(
        (await io.findSessionById(first.id))?.revokedAt,
        fixtureTime(HOUR_MS),
        'revokeUserSessions did not revoke a live session',
      );
      assertSame(
        (await io.findSessionById(second.id))?.revokedAt,
        fixtureTime(HOUR_MS),
        'revokeUserSessions did not revoke an expired, unrevoked session',
      );
      assertSame(
        await io.findSessionById(alreadyRevoked.id),
        alreadyRevoked,
        'revokeUserSessions changed the revocation time of a revoked session',
      );
      assertSame(await io.findSessionById(kept.id), kept, 'revokeUserSessions revoked the excepted session');
      assertSame(
        await io.findSessionById(othersSession.id),
        othersSession,
        "revokeUserSessions revoked another user's session",
      );

      assert.strictEqual(
        await io.revokeUserSessions(userId, fixtureTime(2 * HOUR_MS)),
        1,
        'revokeUserSessions without exception did not count the one session left',
      );
      assertSame(
        (await io.findSessionById(kept.id))?.revokedAt,
        fixtureTime(2 * HOUR_MS),
        'revokeUserSessions without exception did not revoke the session left',
      );
      assert.strictEqual(
        await io.revokeUserSessions(userId, fixtureTime(3 * HOUR_MS)),
        0,
        'revokeUserSessions counted sessions that were already revoked',
      );
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

      assertSame(
        await io.revokeOldestSessions(userId, 2, now),
        [live[0]!.id, live[1]!.id],
        'revokeOldestSessions keeping 2 did not answer the ids of the two oldest live sessions, oldest first',
      );
      assertSame(
        (await io.listActiveSessions(userId, now)).map((session) => session.id),
        [live[3]!.id, live[2]!.id],
        'revokeOldestSessions did not leave exactly the two newest sessions live',
      );
      assertSame(
        (await io.findSessionById(live[0]!.id))?.revokedAt,
        now,
        'revokeOldestSessions did not set revokedAt to the given moment',
      );
      assertSame(await io.findSessionById(revoked.id), revoked, 'revokeOldestSessions changed a revoked session');
      assertSame(await io.findSessionById(expired.id), expired, 'revokeOldestSessions changed an expired session');
      assertSame(await io.findSessionById(others.id), others, "revokeOldestSessions changed another user's session");
      assertSame(
        await io.revokeOldestSessions(userId, 2, now),
        [],
        'revokeOldestSessions revoked sessions although no more than the kept number were live',
      );
      assertSame(
        await io.revokeOldestSessions(userId, 0, now),
        [live[2]!.id, live[3]!.id],
        'revokeOldestSessions keeping 0 did not revoke every live session, oldest first',
      );
    });

    it('moves one session to a new credential version and nothing else', async () => {
      const io = getIo();
      const userId = await insertUser();
      const session = makeSession({ userId, credentialVersion: 1, authMethod: 'code' });
      const other = makeSession({ userId, credentialVersion: 1 });
      await insertSessions(session, other);
      await io.setSessionCredentialVersion(session.id, 2);
      assertSame(
        await io.findSessionById(session.id),
        { ...session, credentialVersion: 2 },
        'setSessionCredentialVersion did not change exactly the credential version',
      );
      assertSame(await io.findSessionById(other.id), other, 'setSessionCredentialVersion changed another session');
    });
    it('records a reauthentication by moving authMethod and authenticatedAt only', async () => {
      const io = getIo();
      const session = makeSession({ userId: await insertUser(), authMethod: 'password' });
      const other = makeSession({ userId: session.userId });
      await insertSessions(session, other);
      const at = fixtureTime(3 * HOUR_MS);
      assert.strictEqual(
        await io.setSessionAuthentication(session.id, 'code', at),
        true,
        'setSessionAuthentication of an existing session did not answer true',
      );
      assertSame(
        await io.findSessionById(session.id),
        { ...session, authMethod: 'code', authenticatedAt: at },
        'setSessionAuthentication did not change exactly authMethod and authenticatedAt',
      );
      assertSame(await io.findSessionById(other.id), other, 'setSessionAuthentication changed another session');
      assert.strictEqual(
        await io.setSessionAuthentication(uniqueId('ses'), 'code', at),
        false,
        'setSessionAuthentication of an unknown session did not answer false',
      );
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
      assertSame(
        await io.findRefreshToken(fresh.tokenHash),
        fresh,
        'findRefreshToken did not return an unconsumed token exactly as inserted',
      );
      assertSame(
        await io.findRefreshToken(consumed.tokenHash),
        consumed,
        'findRefreshToken did not return a consumed token exactly as inserted',
      );
      assert.strictEqual(
        await io.findRefreshToken(uniqueHash()),
        null,
        'findRefreshToken of an unknown hash is not null',
      );
    });

    it('finds a refresh token with its session and user, consumed or not, and nothing for a missing one', async () => {
      const io = getIo();
      const user = makeUser({ bannedAt: fixtureTime(1) });
      await io.insertUser(user);
      const session = makeSession({ userId: user.id, revokedAt: fixtureTime(2) });
      await insertSessions(session);
      const consumed = makeRefreshToken({ sessionId: session.id, consumedAt: fixtureTime(4) });
      await io.insertRefreshToken(consumed);
      // Decision: like findSessionWithUser, it does not filter; the domain judges every state.
      assertSame(
        await io.findRefreshTokenWithSession(consumed.tokenHash),
        { token: consumed, session, user },
        'findRefreshTokenWithSession did not return a consumed token with its revoked session and banned user',
      );
      assert.strictEqual(
        await io.findRefreshTokenWithSession(uniqueHash()),
        null,
        'findRefreshTokenWithSession of an unknown hash is not null',
      );
    });

    it('rotates a refresh token: consumes it, touches its session, stores the next one, once', async () => {
      const io = getIo();
      const session = makeSession({ userId: await insertUser() });
      const bystander = makeSession({ userId: session.userId });
      await insertSessions(session, bystander);
      const presented = makeRefreshToken({ sessionId: session.id });
      await io.insertRefreshToken(presented);
      const at = fixtureTime(10 * HOUR_MS);
      const idleExpiresAt = fixtureTime(20 * DAY_MS);
      const next = makeRefreshToken({ sessionId: session.id, createdAt: at, expiresAt: idleExpiresAt });
      const rotation = { consumedTokenHash: presented.tokenHash, at, idleExpiresAt, next };
      assert.strictEqual(await io.rotateRefreshToken(rotation), true, 'rotateRefreshToken of an unused token lost');
      assertSame(
        await io.findRefreshToken(presented.tokenHash),
        { ...presented, consumedAt: at },
        'rotateRefreshToken did not consume the presented token (or changed another field of it)',
      );
      assertSame(await io.findRefreshToken(next.tokenHash), next, 'rotateRefreshToken did not store the next token');
      assertSame(
        await io.findSessionById(session.id),
        { ...session, lastUsedAt: at, idleExpiresAt },
        'rotateRefreshToken did not move exactly lastUsedAt and idleExpiresAt of the session',
      );
      assertSame(await io.findSessionById(bystander.id), bystander, 'rotateRefreshToken touched another session');

      const again = makeRefreshToken({ sessionId: session.id });
      assert.strictEqual(
        await io.rotateRefreshToken({ ...rotation, at: fixtureTime(11 * HOUR_MS), next: again }),
        false,
        'rotateRefreshToken of a consumed token did not answer false',
      );
      assert.strictEqual(await io.findRefreshToken(again.tokenHash), null, 'a losing rotation stored its next token');
      assertSame(
        await io.findSessionById(session.id),
        { ...session, lastUsedAt: at, idleExpiresAt },
        'a losing rotation touched the session',
      );
    });

    it('refuses to rotate a token into another session, a revoked one, or one that does not exist, and changes nothing', async () => {
      const io = getIo();
      const session = makeSession({ userId: await insertUser() });
      const other = makeSession({ userId: session.userId });
      await insertSessions(session, other);
      const presented = makeRefreshToken({ sessionId: session.id });
      await io.insertRefreshToken(presented);
      const at = fixtureTime(10 * HOUR_MS);
      const intoOther = makeRefreshToken({ sessionId: other.id });
      assert.strictEqual(
        await io.rotateRefreshToken({ consumedTokenHash: presented.tokenHash, at, idleExpiresAt: at, next: intoOther }),
        false,
        'rotateRefreshToken consumed a token to issue one in another session',
      );
      assert.strictEqual(
        await io.rotateRefreshToken({
          consumedTokenHash: uniqueHash(),
          at,
          idleExpiresAt: at,
          next: makeRefreshToken({ sessionId: session.id }),
        }),
        false,
        'rotateRefreshToken of an unknown token did not answer false',
      );
      const revoked = makeSession({ userId: session.userId, revokedAt: fixtureTime(1) });
      await insertSessions(revoked);
      const ofRevoked = makeRefreshToken({ sessionId: revoked.id });
      await io.insertRefreshToken(ofRevoked);
      assert.strictEqual(
        await io.rotateRefreshToken({
          consumedTokenHash: ofRevoked.tokenHash,
          at,
          idleExpiresAt: at,
          next: makeRefreshToken({ sessionId: revoked.id }),
        }),
        false,
        'rotateRefreshToken rotated a token of a revoked session',
      );
      assertSame(await io.findRefreshToken(ofRevoked.tokenHash), ofRevoked, 'a refused rotation consumed a token');
      assertSame(await io.findSessionById(revoked.id), revoked, 'a refused rotation touched a revoked session');
      assertSame(await io.findRefreshToken(presented.tokenHash), presented, 'a refused rotation consumed the token');
      assertSame(await io.findSessionById(other.id), other, 'a refused rotation touched a session');
      assert.strictEqual(await io.findRefreshToken(intoOther.tokenHash), null, 'a refused rotation stored a token');
    });

    it('consumes a refresh token once and keeps the first consumption time', async () => {
      const io = getIo();
      const session = makeSession({ userId: await insertUser() });
      await insertSessions(session);
      const token = makeRefreshToken({ sessionId: session.id });
      await io.insertRefreshToken(token);
      assert.strictEqual(
        await io.consumeRefreshToken(token.tokenHash, fixtureTime(10)),
        true,
        'consumeRefreshToken of an unconsumed token did not answer true',
      );
      assert.strictEqual(
        await io.consumeRefreshToken(token.tokenHash, fixtureTime(20)),
        false,
        'consumeRefreshToken answered true twice for one token',
      );
      assertSame(
        await io.findRefreshToken(token.tokenHash),
        { ...token, consumedAt: fixtureTime(10) },
        'consumeRefreshToken did not keep the first consumption time, or changed another field',
      );
      assert.strictEqual(
        await io.consumeRefreshToken(uniqueHash(), fixtureTime(10)),
        false,
        'consumeRefreshToken of an unknown hash did not answer false',
      );
    });
  });
}
