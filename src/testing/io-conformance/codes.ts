import assert from 'node:assert/strict';
import type { VerificationCode } from '../../ports/entities';
import type { Io } from '../../ports/io';
import { fixtureTime, MINUTE_MS, makeVerificationCode, uniqueAddress, uniqueId } from '../fixtures';
import type { SuiteRunner } from '../test-functions';
import { assertSame } from './assert-same';

const MAX_ATTEMPTS = 5;
/** A moment when codes made with the default fixture times are alive (they expire at +10 min). */
const NOW = fixtureTime(MINUTE_MS);

export function describeVerificationCodes({ describe, it }: SuiteRunner, getIo: () => Io): void {
  async function insertCodes(...codes: VerificationCode[]): Promise<void> {
    for (const code of codes) await getIo().insertVerificationCode(code);
  }

  describe('verification codes', () => {
    it('round-trips login and verify-email codes through findUsableCode', async () => {
      const io = getIo();
      const login = makeVerificationCode({ purpose: 'login', attempts: 2, expiresAt: fixtureTime(MINUTE_MS + 1) });
      const verify = makeVerificationCode({ purpose: 'verify-email', address: login.address });
      await insertCodes(login, verify);
      const usableLogin = await io.findUsableCode({ purpose: 'login', state: login.state!, maxAttempts: 5 }, NOW);
      assertSame(usableLogin, login, 'findUsableCode did not return a login code exactly as inserted');
      const usableVerify = await io.findUsableCode(
        { purpose: 'verify-email', address: login.address, maxAttempts: 5 },
        NOW,
      );
      assertSame(usableVerify, verify, 'findUsableCode did not return a verify-email code exactly as inserted');
      assert.strictEqual(verify.state, null, 'the fixture of a verify-email code has a state');
      assert.strictEqual(
        await io.findUsableCode({ purpose: 'login', state: 'no-such-state-here', maxAttempts: 5 }, NOW),
        null,
        'findUsableCode of an unknown state is not null',
      );
    });

    it('finds only the newest usable code, however many match', async () => {
      const address = uniqueAddress();
      const codes = [1, 3, 2].map((minute) =>
        makeVerificationCode({ purpose: 'verify-email', address, createdAt: fixtureTime(minute) }),
      );
      await insertCodes(...codes);
      const found = await getIo().findUsableCode({ purpose: 'verify-email', address, maxAttempts: MAX_ATTEMPTS }, NOW);
      assert.strictEqual(found?.id, codes[1]!.id, 'findUsableCode did not return the newest of several usable codes');
    });

    it('leaves out codes of another purpose, address or state', async () => {
      const io = getIo();
      const address = uniqueAddress();
      const state = `state-${uniqueId('st')}`;
      const wanted = makeVerificationCode({ purpose: 'login', address, state });
      const otherState = makeVerificationCode({ purpose: 'login', address, state: `${state}-other` });
      const otherAddress = makeVerificationCode({ purpose: 'login', state });
      const otherPurpose = makeVerificationCode({ purpose: 'verify-email', address });
      await insertCodes(wanted, otherState, otherAddress, otherPurpose);
      const found = async (filter: { address?: string; state?: string }) =>
        (await io.findUsableCode({ purpose: 'login', maxAttempts: MAX_ATTEMPTS, ...filter }, NOW))?.id;
      assert.strictEqual(
        await found({ address, state }),
        wanted.id,
        'findUsableCode by address and state missed the code',
      );
      assert.strictEqual(
        await found({ address: uniqueAddress(), state }),
        undefined,
        'findUsableCode by address and state returned a code of another address',
      );
      assert.strictEqual(
        await found({ address, state: `${state}-none` }),
        undefined,
        'findUsableCode by address and state returned a code of another state',
      );
      assert.strictEqual(
        await found({ address: otherAddress.address }),
        otherAddress.id,
        'findUsableCode by address alone missed the code, or returned one of another purpose',
      );
      assert.strictEqual(
        await found({ state: otherState.state! }),
        otherState.id,
        'findUsableCode by state alone missed the code',
      );
    });

    it('leaves out expired, consumed, invalidated and exhausted codes', async () => {
      const address = uniqueAddress();
      const make = (fields: Partial<VerificationCode>) =>
        makeVerificationCode({ purpose: 'verify-email', address, ...fields });
      const usable = make({ attempts: MAX_ATTEMPTS - 1, expiresAt: fixtureTime(MINUTE_MS + 1) });
      const expiringNow = make({ expiresAt: NOW });
      const consumed = make({ consumedAt: fixtureTime(1) });
      const invalidated = make({ invalidatedAt: fixtureTime(1) });
      const exhausted = make({ attempts: MAX_ATTEMPTS });
      await insertCodes(usable, expiringNow, consumed, invalidated, exhausted);
      const found = await getIo().findUsableCode({ purpose: 'verify-email', address, maxAttempts: MAX_ATTEMPTS }, NOW);
      assertSame(
        found,
        usable,
        'findUsableCode returned a code expiring now, consumed, invalidated or out of attempts, or missed the usable one',
      );
    });

    it('grants attempts on a code up to maxAttempts and counts each one', async () => {
      const io = getIo();
      const code = makeVerificationCode();
      await insertCodes(code);
      const granted: boolean[] = [];
      for (let attempt = 0; attempt < 4; attempt++) granted.push(await io.reserveCodeAttempt(code.id, 3, NOW));
      assertSame(
        granted,
        [true, true, true, false],
        'reserveCodeAttempt with maxAttempts 3 did not grant exactly the first three attempts',
      );
      const found = await io.findUsableCode({ purpose: 'login', state: code.state!, maxAttempts: 10 }, NOW);
      assert.strictEqual(found?.attempts, 3, 'reserveCodeAttempt did not count the granted attempts');
    });

    it('grants no attempt on an expired, consumed, invalidated or unknown code', async () => {
      const io = getIo();
      const expired = makeVerificationCode({ expiresAt: NOW });
      const consumed = makeVerificationCode({ consumedAt: fixtureTime(1) });
      const invalidated = makeVerificationCode({ invalidatedAt: fixtureTime(1) });
      await insertCodes(expired, consumed, invalidated);
      const cases = {
        expired: expired.id,
        consumed: consumed.id,
        invalidated: invalidated.id,
        unknown: uniqueId('cod'),
      };
      for (const [kind, id] of Object.entries(cases)) {
        assert.strictEqual(
          await io.reserveCodeAttempt(id, MAX_ATTEMPTS, NOW),
          false,
          `reserveCodeAttempt granted an attempt on a code that is ${kind}`,
        );
      }
    });

    it('consumes a code once, after which it is no longer usable', async () => {
      const io = getIo();
      const code = makeVerificationCode();
      await insertCodes(code);
      assert.strictEqual(await io.consumeCode(code.id, NOW), true, 'consumeCode of a usable code did not answer true');
      assert.strictEqual(await io.consumeCode(code.id, NOW), false, 'consumeCode answered true twice for one code');
      assert.strictEqual(
        await io.reserveCodeAttempt(code.id, MAX_ATTEMPTS, NOW),
        false,
        'reserveCodeAttempt granted an attempt on a consumed code',
      );
      assert.strictEqual(
        await io.findUsableCode({ purpose: 'login', state: code.state!, maxAttempts: MAX_ATTEMPTS }, NOW),
        null,
        'findUsableCode returned a consumed code',
      );
    });

    it('does not consume an invalidated or unknown code', async () => {
      const io = getIo();
      const invalidated = makeVerificationCode({ invalidatedAt: fixtureTime(1) });
      await insertCodes(invalidated);
      assert.strictEqual(await io.consumeCode(invalidated.id, NOW), false, 'consumeCode consumed an invalidated code');
      assert.strictEqual(
        await io.consumeCode(uniqueId('cod'), NOW),
        false,
        'consumeCode of an unknown id did not answer false',
      );
    });

    it('invalidates the unconsumed codes of one purpose and address, expired ones included, and counts them', async () => {
      // Decision: expiry is not a filter of invalidateCodes; the port says "every unconsumed, not yet invalidated code".
      const io = getIo();
      const address = uniqueAddress();
      const usable = makeVerificationCode({ purpose: 'login', address });
      const expired = makeVerificationCode({ purpose: 'login', address, expiresAt: fixtureTime(1) });
      const consumed = makeVerificationCode({ purpose: 'login', address, consumedAt: fixtureTime(1) });
      const invalidated = makeVerificationCode({ purpose: 'login', address, invalidatedAt: fixtureTime(1) });
      const otherPurpose = makeVerificationCode({ purpose: 'verify-email', address });
      const otherAddress = makeVerificationCode({ purpose: 'login' });
      await insertCodes(usable, expired, consumed, invalidated, otherPurpose, otherAddress);

      assert.strictEqual(
        await io.invalidateCodes({ purpose: 'login', address }, NOW),
        2,
        'invalidateCodes did not count exactly the usable and the expired code of the address',
      );
      assert.strictEqual(
        await io.findUsableCode({ purpose: 'login', address, maxAttempts: MAX_ATTEMPTS }, NOW),
        null,
        'findUsableCode returned an invalidated code',
      );
      assert.strictEqual(await io.consumeCode(usable.id, NOW), false, 'consumeCode consumed an invalidated code');
      assertSame(
        await io.findUsableCode({ purpose: 'verify-email', address, maxAttempts: MAX_ATTEMPTS }, NOW),
        otherPurpose,
        'invalidateCodes invalidated a code of another purpose',
      );
      assertSame(
        await io.findUsableCode({ purpose: 'login', address: otherAddress.address, maxAttempts: 5 }, NOW),
        otherAddress,
        'invalidateCodes invalidated a code of another address',
      );
      assert.strictEqual(
        await io.invalidateCodes({ purpose: 'login', address }, NOW),
        0,
        'invalidateCodes counted codes that were already invalidated',
      );
    });

    it('invalidates by state whatever the address, or by address and state together', async () => {
      const io = getIo();
      const state = `state-${uniqueId('st')}`;
      const first = makeVerificationCode({ purpose: 'login', state });
      const second = makeVerificationCode({ purpose: 'login', state });
      const sameAddressOtherState = makeVerificationCode({
        purpose: 'login',
        address: first.address,
        state: `${state}-2`,
      });
      await insertCodes(first, second, sameAddressOtherState);

      assert.strictEqual(
        await io.invalidateCodes({ purpose: 'login', address: second.address, state: `${state}-x` }, NOW),
        0,
        'invalidateCodes by address and state invalidated a code of another state',
      );
      assert.strictEqual(
        await io.invalidateCodes({ purpose: 'verify-email', state }, NOW),
        0,
        'invalidateCodes invalidated a code of another purpose',
      );
      assert.strictEqual(
        await io.invalidateCodes({ purpose: 'login', state }, NOW),
        2,
        'invalidateCodes by state did not count the two codes of the state, whatever their address',
      );
      assert.strictEqual(await io.consumeCode(first.id, NOW), false, 'a code invalidated by state could be consumed');
      assert.strictEqual(await io.consumeCode(second.id, NOW), false, 'a code invalidated by state could be consumed');
      assert.strictEqual(
        await io.consumeCode(sameAddressOtherState.id, NOW),
        true,
        'invalidateCodes by state invalidated a code of another state with the same address',
      );
    });

    it('matches only codes stored without a state when the state asked for is null, in lookups and invalidation', async () => {
      const io = getIo();
      const address = uniqueAddress();
      const stateless = makeVerificationCode({ purpose: 'password-reset', address, createdAt: fixtureTime(1) });
      const bound = makeVerificationCode({
        purpose: 'password-reset',
        address,
        state: `state-${uniqueId('st')}`,
        createdAt: fixtureTime(2),
      });
      await insertCodes(stateless, bound);
      const lookup = { purpose: 'password-reset' as const, address, maxAttempts: MAX_ATTEMPTS };
      assertSame(
        await io.findUsableCode({ ...lookup, state: null }, NOW),
        stateless,
        'findUsableCode with state null did not return the stateless code (the newer one has a state)',
      );
      assert.strictEqual(
        await io.invalidateCodes({ purpose: 'password-reset', address, state: null }, NOW),
        1,
        'invalidateCodes with state null did not invalidate exactly the stateless code',
      );
      assertSame(
        await io.findUsableCode({ ...lookup, state: bound.state }, NOW),
        bound,
        'invalidateCodes with state null invalidated a code bound to a state',
      );
      assert.strictEqual(await io.findUsableCode({ ...lookup, state: null }, NOW), null);
    });

    it('counts the codes of every purpose created for an address at or after a moment', async () => {
      const io = getIo();
      const address = uniqueAddress();
      const since = fixtureTime(10 * MINUTE_MS);
      await insertCodes(
        makeVerificationCode({ purpose: 'login', address, createdAt: fixtureTime(10 * MINUTE_MS - 1) }),
        makeVerificationCode({ purpose: 'login', address, createdAt: since }),
        makeVerificationCode({ purpose: 'verify-email', address, createdAt: fixtureTime(11 * MINUTE_MS) }),
        makeVerificationCode({ purpose: 'login', address, createdAt: fixtureTime(12 * MINUTE_MS), consumedAt: NOW }),
        makeVerificationCode({ purpose: 'login', address, createdAt: fixtureTime(13 * MINUTE_MS), invalidatedAt: NOW }),
        makeVerificationCode({ purpose: 'login', createdAt: since }),
      );
      assert.strictEqual(
        await io.countCodesSentSince(address, since),
        4,
        'countCodesSentSince did not count exactly the codes of the address created at or after the moment, of any purpose and state',
      );
      assert.strictEqual(
        await io.countCodesSentSince(uniqueAddress(), since),
        0,
        'countCodesSentSince of an unknown address did not answer 0',
      );
    });
  });
}
