/// <reference types="jest" />
import type { VerificationCode } from '../../ports/entities';
import type { Io } from '../../ports/io';
import { fixtureTime, MINUTE_MS, makeVerificationCode, uniqueAddress, uniqueId } from '../fixtures';

const MAX_ATTEMPTS = 5;
/** A moment when codes made with the default fixture times are alive (they expire at +10 min). */
const NOW = fixtureTime(MINUTE_MS);

export function describeVerificationCodes(getIo: () => Io): void {
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
      expect(usableLogin).toStrictEqual(login);
      const usableVerify = await io.findUsableCode(
        { purpose: 'verify-email', address: login.address, maxAttempts: 5 },
        NOW,
      );
      expect(usableVerify).toStrictEqual(verify);
      expect(verify.state).toBeNull();
      expect(
        await io.findUsableCode({ purpose: 'login', state: 'no-such-state-here', maxAttempts: 5 }, NOW),
      ).toBeNull();
    });

    it('finds only the newest usable code, however many match', async () => {
      const address = uniqueAddress();
      const codes = [1, 3, 2].map((minute) =>
        makeVerificationCode({ purpose: 'verify-email', address, createdAt: fixtureTime(minute) }),
      );
      await insertCodes(...codes);
      const found = await getIo().findUsableCode({ purpose: 'verify-email', address, maxAttempts: MAX_ATTEMPTS }, NOW);
      expect(found?.id).toBe(codes[1]!.id);
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
      expect(await found({ address, state })).toBe(wanted.id);
      expect(await found({ address: uniqueAddress(), state })).toBeUndefined();
      expect(await found({ address, state: `${state}-none` })).toBeUndefined();
      expect(await found({ address: otherAddress.address })).toBe(otherAddress.id);
      expect(await found({ state: otherState.state! })).toBe(otherState.id);
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
      expect(found).toStrictEqual(usable);
    });

    it('grants attempts on a code up to maxAttempts and counts each one', async () => {
      const io = getIo();
      const code = makeVerificationCode();
      await insertCodes(code);
      const granted: boolean[] = [];
      for (let attempt = 0; attempt < 4; attempt++) granted.push(await io.reserveCodeAttempt(code.id, 3, NOW));
      expect(granted).toEqual([true, true, true, false]);
      const found = await io.findUsableCode({ purpose: 'login', state: code.state!, maxAttempts: 10 }, NOW);
      expect(found?.attempts).toBe(3);
    });

    it('grants no attempt on an expired, consumed, invalidated or unknown code', async () => {
      const io = getIo();
      const expired = makeVerificationCode({ expiresAt: NOW });
      const consumed = makeVerificationCode({ consumedAt: fixtureTime(1) });
      const invalidated = makeVerificationCode({ invalidatedAt: fixtureTime(1) });
      await insertCodes(expired, consumed, invalidated);
      for (const id of [expired.id, consumed.id, invalidated.id, uniqueId('cod')]) {
        expect(await io.reserveCodeAttempt(id, MAX_ATTEMPTS, NOW)).toBe(false);
      }
    });

    it('consumes a code once, after which it is no longer usable', async () => {
      const io = getIo();
      const code = makeVerificationCode();
      await insertCodes(code);
      expect(await io.consumeCode(code.id, NOW)).toBe(true);
      expect(await io.consumeCode(code.id, NOW)).toBe(false);
      expect(await io.reserveCodeAttempt(code.id, MAX_ATTEMPTS, NOW)).toBe(false);
      expect(
        await io.findUsableCode({ purpose: 'login', state: code.state!, maxAttempts: MAX_ATTEMPTS }, NOW),
      ).toBeNull();
    });

    it('does not consume an invalidated or unknown code', async () => {
      const io = getIo();
      const invalidated = makeVerificationCode({ invalidatedAt: fixtureTime(1) });
      await insertCodes(invalidated);
      expect(await io.consumeCode(invalidated.id, NOW)).toBe(false);
      expect(await io.consumeCode(uniqueId('cod'), NOW)).toBe(false);
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

      expect(await io.invalidateCodes({ purpose: 'login', address }, NOW)).toBe(2);
      expect(await io.findUsableCode({ purpose: 'login', address, maxAttempts: MAX_ATTEMPTS }, NOW)).toBeNull();
      expect(await io.consumeCode(usable.id, NOW)).toBe(false);
      expect(
        await io.findUsableCode({ purpose: 'verify-email', address, maxAttempts: MAX_ATTEMPTS }, NOW),
      ).toStrictEqual(otherPurpose);
      expect(
        await io.findUsableCode({ purpose: 'login', address: otherAddress.address, maxAttempts: 5 }, NOW),
      ).toStrictEqual(otherAddress);
      expect(await io.invalidateCodes({ purpose: 'login', address }, NOW)).toBe(0);
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

      expect(await io.invalidateCodes({ purpose: 'login', address: second.address, state: `${state}-x` }, NOW)).toBe(0);
      expect(await io.invalidateCodes({ purpose: 'verify-email', state }, NOW)).toBe(0);
      expect(await io.invalidateCodes({ purpose: 'login', state }, NOW)).toBe(2);
      expect(await io.consumeCode(first.id, NOW)).toBe(false);
      expect(await io.consumeCode(second.id, NOW)).toBe(false);
      expect(await io.consumeCode(sameAddressOtherState.id, NOW)).toBe(true);
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
      expect(await io.countCodesSentSince(address, since)).toBe(4);
      expect(await io.countCodesSentSince(uniqueAddress(), since)).toBe(0);
    });
  });
}
