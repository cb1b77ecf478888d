import assert from 'node:assert/strict';
import type { MfaChallenge, RecoveryCode, TotpFactor } from '../../ports/entities';
import type { Io } from '../../ports/io';
import { fixtureTime, MINUTE_MS, makeUser, uniqueHash } from '../fixtures';
import type { SuiteRunner } from '../test-functions';
import { assertSame } from './assert-same';

const RACERS = 20;
/** A minute after the fixtures' challenges were made: they are open (they live five). */
const NOW = fixtureTime(MINUTE_MS);

function makeFactor(userId: string, fields: Partial<TotpFactor> = {}): TotpFactor {
  return {
    userId,
    sealedSecret: `v1.${uniqueHash()}`,
    createdAt: fixtureTime(),
    confirmedAt: null,
    lastUsedStep: null,
    ...fields,
  };
}

function makeRecoveryCode(userId: string, fields: Partial<RecoveryCode> = {}): RecoveryCode {
  return { userId, codeHash: uniqueHash(), createdAt: fixtureTime(), usedAt: null, ...fields };
}

function makeChallenge(userId: string, fields: Partial<MfaChallenge> = {}): MfaChallenge {
  return {
    tokenHash: uniqueHash(),
    userId,
    firstFactor: 'password',
    credentialVersion: 3,
    attempts: 0,
    createdAt: fixtureTime(),
    expiresAt: fixtureTime(5 * MINUTE_MS),
    consumedAt: null,
    ...fields,
  };
}

export function describeTwoFactor({ describe, it }: SuiteRunner, getIo: () => Io): void {
  async function insertUser(): Promise<string> {
    const user = makeUser();
    await getIo().insertUser(user);
    return user.id;
  }

  describe('two-factor', () => {
    it('round-trips a TOTP factor, and put replaces the one a user had', async () => {
      const io = getIo();
      const userId = await insertUser();
      assert.strictEqual(await io.findTotpFactor(userId), null, 'findTotpFactor of a user without one is not null');
      const first = makeFactor(userId, { lastUsedStep: 66_666_666 });
      await io.putTotpFactor(first);
      assertSame(await io.findTotpFactor(userId), first, 'findTotpFactor did not return the factor exactly as put');
      const second = makeFactor(userId, { createdAt: fixtureTime(1) });
      await io.putTotpFactor(second);
      assertSame(await io.findTotpFactor(userId), second, 'putTotpFactor did not replace the earlier factor');
    });

    it('confirms a pending factor once, only with its own sealed secret, recording the step', async () => {
      const io = getIo();
      const userId = await insertUser();
      const factor = makeFactor(userId);
      await io.putTotpFactor(factor);
      assert.strictEqual(
        await io.confirmTotpFactor(userId, 'v1.another', 100, NOW),
        false,
        'confirmTotpFactor confirmed with a sealed secret that is not the stored one',
      );
      assert.strictEqual(await io.confirmTotpFactor(userId, factor.sealedSecret, 100, NOW), true);
      assertSame(
        await io.findTotpFactor(userId),
        { ...factor, confirmedAt: NOW, lastUsedStep: 100 },
        'confirmTotpFactor did not set confirmedAt and lastUsedStep',
      );
      assert.strictEqual(
        await io.confirmTotpFactor(userId, factor.sealedSecret, 101, NOW),
        false,
        'confirmTotpFactor confirmed a factor twice',
      );
    });

    it('accepts a TOTP step only when it is later than the last accepted, on a confirmed factor', async () => {
      const io = getIo();
      const userId = await insertUser();
      await io.putTotpFactor(makeFactor(userId));
      assert.strictEqual(await io.acceptTotpStep(userId, 10), false, 'acceptTotpStep accepted on a pending factor');
      await io.putTotpFactor(makeFactor(userId, { confirmedAt: NOW }));
      assert.strictEqual(await io.acceptTotpStep(userId, 10), true, 'acceptTotpStep refused a first step');
      assert.strictEqual(await io.acceptTotpStep(userId, 10), false, 'acceptTotpStep accepted one step twice');
      assert.strictEqual(await io.acceptTotpStep(userId, 9), false, 'acceptTotpStep accepted an earlier step');
      assert.strictEqual(await io.acceptTotpStep(userId, 11), true, 'acceptTotpStep refused a later step');
      assert.strictEqual((await io.findTotpFactor(userId))?.lastUsedStep, 11);
      assert.strictEqual(await io.acceptTotpStep(await insertUser(), 11), false, 'acceptTotpStep without a factor');
    });

    it(`accepts one TOTP step for exactly one of ${RACERS} parallel calls`, async () => {
      const io = getIo();
      const userId = await insertUser();
      await io.putTotpFactor(makeFactor(userId, { confirmedAt: NOW, lastUsedStep: 5 }));
      const outcomes = await Promise.all(Array.from({ length: RACERS }, () => io.acceptTotpStep(userId, 6)));
      assert.strictEqual(
        outcomes.filter(Boolean).length,
        1,
        `acceptTotpStep did not answer true to exactly one of ${RACERS} parallel calls`,
      );
    });

    it('replaces, uses once and counts recovery codes, per user', async () => {
      const io = getIo();
      const userId = await insertUser();
      const otherId = await insertUser();
      const old = makeRecoveryCode(userId);
      await io.replaceRecoveryCodes(userId, [old]);
      const fresh = [makeRecoveryCode(userId), makeRecoveryCode(userId), makeRecoveryCode(userId)];
      await io.replaceRecoveryCodes(userId, fresh);
      await io.replaceRecoveryCodes(otherId, [makeRecoveryCode(otherId)]);
      assert.strictEqual(await io.useRecoveryCode(userId, old.codeHash, NOW), false, 'a replaced code still works');
      assert.strictEqual(await io.countUnusedRecoveryCodes(userId), 3);
      assert.strictEqual(
        await io.useRecoveryCode(otherId, fresh[0]!.codeHash, NOW),
        false,
        "useRecoveryCode used another user's code",
      );
      assert.strictEqual(await io.useRecoveryCode(userId, fresh[0]!.codeHash, NOW), true);
      assert.strictEqual(await io.useRecoveryCode(userId, fresh[0]!.codeHash, NOW), false, 'a code worked twice');
      assert.strictEqual(await io.countUnusedRecoveryCodes(userId), 2);
      assert.strictEqual(await io.countUnusedRecoveryCodes(otherId), 1);
    });

    it(`uses one recovery code for exactly one of ${RACERS} parallel calls`, async () => {
      const io = getIo();
      const userId = await insertUser();
      const code = makeRecoveryCode(userId);
      await io.replaceRecoveryCodes(userId, [code]);
      const outcomes = await Promise.all(
        Array.from({ length: RACERS }, () => io.useRecoveryCode(userId, code.codeHash, NOW)),
      );
      assert.strictEqual(
        outcomes.filter(Boolean).length,
        1,
        `useRecoveryCode did not answer true to exactly one of ${RACERS} parallel calls`,
      );
    });

    it('deletes a factor with its recovery codes, and reports whether there was one', async () => {
      const io = getIo();
      const userId = await insertUser();
      await io.putTotpFactor(makeFactor(userId, { confirmedAt: NOW }));
      await io.replaceRecoveryCodes(userId, [makeRecoveryCode(userId), makeRecoveryCode(userId)]);
      assert.strictEqual(await io.deleteTwoFactor(userId), true);
      assert.strictEqual(await io.findTotpFactor(userId), null, 'deleteTwoFactor left the factor');
      assert.strictEqual(await io.countUnusedRecoveryCodes(userId), 0, 'deleteTwoFactor left recovery codes');
      assert.strictEqual(await io.deleteTwoFactor(userId), false, 'deleteTwoFactor of nothing answered true');
    });

    it('round-trips a challenge and reserves attempts only while it is open and under the limit', async () => {
      const io = getIo();
      const userId = await insertUser();
      const challenge = makeChallenge(userId, { firstFactor: 'code' });
      await io.insertMfaChallenge(challenge);
      assertSame(await io.findMfaChallenge(challenge.tokenHash), challenge, 'findMfaChallenge did not round-trip');
      assert.strictEqual(await io.findMfaChallenge(uniqueHash()), null);
      for (let attempt = 1; attempt <= 2; attempt++) {
        assert.strictEqual(await io.reserveMfaChallengeAttempt(challenge.tokenHash, 2, NOW), true);
      }
      assert.strictEqual(
        await io.reserveMfaChallengeAttempt(challenge.tokenHash, 2, NOW),
        false,
        'reserveMfaChallengeAttempt granted more than maxAttempts',
      );
      assert.strictEqual((await io.findMfaChallenge(challenge.tokenHash))?.attempts, 2);
      const expired = makeChallenge(userId);
      await io.insertMfaChallenge(expired);
      assert.strictEqual(
        await io.reserveMfaChallengeAttempt(expired.tokenHash, 5, expired.expiresAt),
        false,
        'reserveMfaChallengeAttempt granted an attempt on an expired challenge',
      );
    });

    it('consumes a challenge once, never an expired one', async () => {
      const io = getIo();
      const userId = await insertUser();
      const challenge = makeChallenge(userId);
      await io.insertMfaChallenge(challenge);
      assert.strictEqual(await io.consumeMfaChallenge(challenge.tokenHash, challenge.expiresAt), false);
      assert.strictEqual(await io.consumeMfaChallenge(challenge.tokenHash, NOW), true);
      assert.strictEqual(await io.consumeMfaChallenge(challenge.tokenHash, NOW), false);
      assert.strictEqual(
        await io.reserveMfaChallengeAttempt(challenge.tokenHash, 5, NOW),
        false,
        'reserveMfaChallengeAttempt granted an attempt on a consumed challenge',
      );
      assertSame(await io.findMfaChallenge(challenge.tokenHash), { ...challenge, consumedAt: NOW }, 'consumedAt');
    });

    it("deletes a user's consumed and expired challenges, and no open one or another user's", async () => {
      const io = getIo();
      const userId = await insertUser();
      const otherUserId = await insertUser();
      const open = makeChallenge(userId);
      const consumed = makeChallenge(userId, { consumedAt: NOW });
      const expired = makeChallenge(userId, { expiresAt: NOW });
      const othersExpired = makeChallenge(otherUserId, { expiresAt: NOW });
      for (const challenge of [open, consumed, expired, othersExpired]) await io.insertMfaChallenge(challenge);
      assert.strictEqual(
        await io.deleteClosedMfaChallenges(userId, NOW),
        2,
        'deleteClosedMfaChallenges did not delete exactly the consumed and the expired challenge (expiresAt <= now)',
      );
      assertSame(
        await io.findMfaChallenge(open.tokenHash),
        open,
        'deleteClosedMfaChallenges deleted an open challenge',
      );
      assert.strictEqual(await io.findMfaChallenge(consumed.tokenHash), null);
      assert.strictEqual(await io.findMfaChallenge(expired.tokenHash), null);
      assertSame(
        await io.findMfaChallenge(othersExpired.tokenHash),
        othersExpired,
        "deleteClosedMfaChallenges deleted another user's challenge",
      );
    });

    it(`consumes one challenge for exactly one of ${RACERS} parallel calls`, async () => {
      const io = getIo();
      const challenge = makeChallenge(await insertUser());
      await io.insertMfaChallenge(challenge);
      const outcomes = await Promise.all(
        Array.from({ length: RACERS }, () => io.consumeMfaChallenge(challenge.tokenHash, NOW)),
      );
      assert.strictEqual(
        outcomes.filter(Boolean).length,
        1,
        `consumeMfaChallenge did not answer true to exactly one of ${RACERS} parallel calls`,
      );
    });

    it(`grants at most maxAttempts of ${RACERS} parallel attempt reservations`, async () => {
      const io = getIo();
      const challenge = makeChallenge(await insertUser());
      await io.insertMfaChallenge(challenge);
      const outcomes = await Promise.all(
        Array.from({ length: RACERS }, () => io.reserveMfaChallengeAttempt(challenge.tokenHash, 5, NOW)),
      );
      assert.strictEqual(outcomes.filter(Boolean).length, 5, 'parallel reservations passed maxAttempts');
    });
  });
}
