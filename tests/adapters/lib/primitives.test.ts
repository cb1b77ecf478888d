import { DefaultLib, ID_PREFIXES, ManualClock } from '../../../src/adapters/lib';
import type { AccountsEvent } from '../../../src/ports/events';
import { DEFAULT_CONFIG, type IdKind } from '../../../src/ports/lib';
import { makeTestLib, TEST_SECRET } from './fixtures';

describe('DefaultLib ids, secrets and codes', () => {
  const { lib } = makeTestLib();

  test.each(Object.entries(ID_PREFIXES))('%s ids start with %s and have 21 alphanumerics after it', (kind, prefix) => {
    const id = lib.newId(kind as IdKind);
    expect(id).toMatch(new RegExp(`^${prefix}[0-9A-Za-z]{21}$`));
  });

  test('ids do not repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => lib.newId('session')));
    expect(ids.size).toBe(1000);
  });

  test('a client key built from an id and a secret splits back at its first three underscores', () => {
    for (let i = 0; i < 200; i++) {
      const clientId = lib.newId('client');
      const secret = lib.newSecret();
      const key = `ak_${clientId}_${secret}`;
      const [prefix, kind, body] = key.split('_', 3);
      expect(`${kind}_${body}`).toBe(clientId);
      expect(key.slice(`${prefix}_${kind}_${body}_`.length)).toBe(secret);
    }
  });

  test('secrets are 32 random bytes in base64url and differ', () => {
    const secret = lib.newSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(lib.newSecret()).not.toBe(secret);
  });

  test('codes are 6 digits, zero-padded, and vary', () => {
    const codes = Array.from({ length: 200 }, () => lib.newCode());
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(150);
  });

  test('the number of code digits is configurable from 6 up, never below', () => {
    expect(makeTestLib({ codeDigits: 8 }).lib.newCode()).toMatch(/^\d{8}$/);
    expect(() => makeTestLib({ codeDigits: 5 })).toThrow(RangeError);
  });
});

describe('DefaultLib hashing and comparison', () => {
  const { lib } = makeTestLib();

  test('hashSecret is SHA-256 hex and deterministic', () => {
    expect(lib.hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test('hashCode depends on the code id, so equal codes hash differently', () => {
    expect(lib.hashCode('cod_a', '123456')).toMatch(/^[0-9a-f]{64}$/);
    expect(lib.hashCode('cod_a', '123456')).toBe(lib.hashCode('cod_a', '123456'));
    expect(lib.hashCode('cod_a', '123456')).not.toBe(lib.hashCode('cod_b', '123456'));
    expect(lib.hashCode('cod_a', '123456')).not.toBe(lib.hashCode('cod_a', '123457'));
  });

  test('safeEqual tells equal strings from different ones, including different lengths, without throwing', () => {
    expect(lib.safeEqual('same-value', 'same-value')).toBe(true);
    expect(lib.safeEqual('same-value', 'same-valuf')).toBe(false);
    expect(lib.safeEqual('short', 'a much longer string')).toBe(false);
    expect(lib.safeEqual('', '')).toBe(true);
    expect(lib.safeEqual('', 'x')).toBe(false);
  });
});

describe('DefaultLib configuration, clock and events', () => {
  test('config is DEFAULT_CONFIG with the given overrides', () => {
    const { lib } = makeTestLib({ config: { codeMaxAttempts: 3, requireVerifiedEmail: true } });
    expect(lib.config).toEqual({ ...DEFAULT_CONFIG, codeMaxAttempts: 3, requireVerifiedEmail: true });
    expect(new DefaultLib({ tokens: { secret: TEST_SECRET } }).config).toEqual(DEFAULT_CONFIG);
  });

  test('an access-token lifetime under one second is refused', () => {
    expect(() => makeTestLib({ config: { accessTokenTtlMs: 999 } })).toThrow(RangeError);
  });

  test('a login-code lifetime over 10 minutes is refused (ASVS 6.5.5)', () => {
    expect(() => makeTestLib({ config: { loginCodeTtlMs: 10 * 60_000 + 1 } })).toThrow(RangeError);
    expect(() => makeTestLib({ config: { loginCodeTtlMs: 0 } })).toThrow(RangeError);
    expect(() => makeTestLib({ config: { loginCodeTtlMs: 10 * 60_000 } })).not.toThrow();
  });

  test('now() follows the configured clock', () => {
    const clock = new ManualClock('2030-05-01T12:00:00Z');
    const lib = new DefaultLib({ tokens: { secret: TEST_SECRET }, clock: () => clock.now() });
    expect(lib.now().toISOString()).toBe('2030-05-01T12:00:00.000Z');
    clock.advance(60_000);
    expect(lib.now().toISOString()).toBe('2030-05-01T12:01:00.000Z');
  });

  test('without a clock, now() is the system time', () => {
    const lib = new DefaultLib({ tokens: { secret: TEST_SECRET } });
    expect(Math.abs(lib.now().getTime() - Date.now())).toBeLessThan(60_000);
  });

  test('events go to the onEvent option, and nowhere without one', async () => {
    const received: AccountsEvent[] = [];
    const event: AccountsEvent = { type: 'user.registered', at: new Date(), userId: 'usr_1' };
    const { lib } = makeTestLib({ onEvent: (e) => void received.push(e) });
    await lib.onEvent(event);
    expect(received).toEqual([event]);
    expect(() => makeTestLib().lib.onEvent(event)).not.toThrow();
  });
});

describe('ManualClock', () => {
  test('starts at 2026-01-01 by default and moves only when told', () => {
    const clock = new ManualClock();
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(clock.advance(1500).toISOString()).toBe('2026-01-01T00:00:01.500Z');
    clock.set(new Date('2027-02-03T04:05:06Z'));
    expect(clock.now().toISOString()).toBe('2027-02-03T04:05:06.000Z');
  });

  test('returns a fresh Date each time, so mutating one does not move the clock', () => {
    const clock = new ManualClock();
    clock.now().setFullYear(1999);
    expect(clock.now().getUTCFullYear()).toBe(2026);
  });

  test('refuses invalid dates and steps', () => {
    expect(() => new ManualClock('not a date')).toThrow(RangeError);
    expect(() => new ManualClock().advance(Number.NaN)).toThrow(RangeError);
  });
});
