import { dictionary } from '@zxcvbn-ts/language-common';
import bcrypt from 'bcryptjs';
import { BCRYPT_MAX_INPUT_BYTES, COMMON_PASSWORD_COUNT, DefaultLib } from '../../../src/adapters/lib';
import { makeTestLib, TEST_SECRET } from './fixtures';

const ranked = dictionary['passwords-common'];
const longEnough = (entry: string) => [...entry].length >= 12;
const reasons = (lib: DefaultLib, password: string, context = {}) =>
  lib.checkPassword(password, context).map((problem) => problem.reason);

describe('DefaultLib password rules', () => {
  const { lib } = makeTestLib();

  test('a password of 12 characters is accepted and one of 11 is too short', () => {
    expect(reasons(lib, 'correct hors')).toEqual([]);
    expect(reasons(lib, 'correct hor')).toEqual(['too_short']);
  });

  test('length counts code points, so 12 emoji (24 UTF-16 units) pass and 11 do not', () => {
    expect(reasons(lib, '🔐'.repeat(12))).toEqual([]);
    expect(reasons(lib, '🔐'.repeat(11))).toEqual(['too_short']);
  });

  test('any script is accepted and no composition rule applies', () => {
    expect(reasons(lib, 'пароль длинный')).toEqual([]);
    expect(reasons(lib, 'すごくながいあいことば')).toEqual(['too_short']);
    expect(reasons(lib, 'すごくながいあいことばだよ')).toEqual([]);
    expect(reasons(lib, 'aaaaaaaaaaaaaaaaaaaaaaaaa')).toEqual([]);
  });

  test('passwords up to 1024 characters are accepted by default, longer ones are too long', () => {
    expect(reasons(lib, 'x'.repeat(1024))).toEqual([]);
    expect(reasons(lib, 'x'.repeat(1025))).toEqual(['too_long']);
  });

  test('the configured minimum length applies', () => {
    const lenient = makeTestLib({ passwords: { minLength: 8, bcryptCost: 4 } }).lib;
    expect(reasons(lenient, 'abcdefgh')).toEqual([]);
    expect(reasons(lenient, 'abcdefg')).toEqual(['too_short']);
  });

  test('passwords among the 10,000 most common are refused, ignoring case', () => {
    const common = ranked.slice(0, COMMON_PASSWORD_COUNT).filter(longEnough);
    expect(common.length).toBeGreaterThan(5);
    for (const password of common) expect(reasons(lib, password)).toEqual(['too_common']);
    expect(reasons(lib, common[0]!.toUpperCase())).toEqual(['too_common']);
  });

  test('a listed password ranked below the first 10,000 is not refused as common', () => {
    const top = new Set(ranked.slice(0, COMMON_PASSWORD_COUNT));
    const rarer = ranked.slice(COMMON_PASSWORD_COUNT).find((entry) => longEnough(entry) && !top.has(entry));
    expect(rarer).toBeDefined();
    expect(reasons(lib, rarer!)).toEqual([]);
  });

  test('a password equal to the email address or its local part is refused, ignoring case', () => {
    const email = 'Jonathan.Livingston@example.com';
    expect(reasons(lib, 'jonathan.livingston@example.com', { email })).toEqual(['matches_email']);
    expect(reasons(lib, 'JONATHAN.LIVINGSTON', { email })).toEqual(['matches_email']);
    expect(reasons(lib, 'jonathan.livingston!', { email })).toEqual([]);
  });

  test('a password equal to the name is refused, ignoring case', () => {
    expect(reasons(lib, 'jonathan livingston', { name: 'Jonathan Livingston' })).toEqual(['matches_name']);
    expect(reasons(lib, 'jonathan livingston', { name: '' })).toEqual([]);
  });

  test('every problem found is reported, each with a message', () => {
    const problems = lib.checkPassword('bob', { name: 'Bob', email: 'bob@example.com' });
    expect(problems.map((problem) => problem.reason).sort()).toEqual(['matches_email', 'matches_name', 'too_short']);
    for (const problem of problems) expect(problem.message).not.toBe('');
  });

  test('the rules apply to the NFKC form', () => {
    // 'ﬁ' (one code point) becomes 'fi' (two): 11 code points typed, 12 after normalization.
    expect(reasons(lib, 'ﬁrewood-tea')).toEqual([]);
  });
});

describe('DefaultLib password options', () => {
  const withPasswords = (passwords: object) => () =>
    new DefaultLib({ tokens: { secret: TEST_SECRET }, passwords: passwords as never });

  test('a minimum length below 8 is refused at construction', () => {
    expect(withPasswords({ minLength: 7 })).toThrow(RangeError);
  });

  test('a maximum length below 256 is refused at construction', () => {
    expect(withPasswords({ maxLength: 255 })).toThrow(RangeError);
    expect(withPasswords({ maxLength: 256 })).not.toThrow();
  });

  test('a bcrypt cost outside 4..31 is refused at construction', () => {
    expect(withPasswords({ bcryptCost: 3 })).toThrow(RangeError);
    expect(withPasswords({ bcryptCost: 32 })).toThrow(RangeError);
    expect(withPasswords({ bcryptCost: 4 })).not.toThrow();
  });
});

describe('DefaultLib password hashing', () => {
  const { lib } = makeTestLib();

  test('a hashed password verifies and a different one does not', async () => {
    const hash = await lib.hashPassword('correct horse battery');
    await expect(lib.verifyPassword('correct horse battery', hash)).resolves.toBe(true);
    await expect(lib.verifyPassword('correct horse batterz', hash)).resolves.toBe(false);
  });

  test('a 100-character password is not truncated: one sharing its first 72 bytes fails', async () => {
    const shared = 'a'.repeat(BCRYPT_MAX_INPUT_BYTES);
    const password = shared + 'b'.repeat(28);
    const other = shared + 'c'.repeat(28);
    const hash = await lib.hashPassword(password);
    await expect(lib.verifyPassword(password, hash)).resolves.toBe(true);
    await expect(lib.verifyPassword(other, hash)).resolves.toBe(false);
    // Plain bcrypt would have accepted it: that is the truncation being avoided.
    const plain = await bcrypt.hash(password, 4);
    await expect(bcrypt.compare(other, plain)).resolves.toBe(true);
  });

  test('an 80-byte multibyte password is not truncated: one sharing its first 72 bytes fails', async () => {
    const shared = 'é'.repeat(36); // 72 bytes
    const password = shared + 'éééé'; // 80 bytes
    const other = shared + 'èèèè';
    expect(Buffer.byteLength(password)).toBe(80);
    const hash = await lib.hashPassword(password);
    await expect(lib.verifyPassword(password, hash)).resolves.toBe(true);
    await expect(lib.verifyPassword(other, hash)).resolves.toBe(false);
  });

  test('a password of at most 72 bytes is plain bcrypt, so existing bcrypt hashes keep verifying', async () => {
    const password = 'p'.repeat(BCRYPT_MAX_INPUT_BYTES);
    const legacy = await bcrypt.hash(password, 4);
    await expect(lib.verifyPassword(password, legacy)).resolves.toBe(true);
    await expect(bcrypt.compare(password, await lib.hashPassword(password))).resolves.toBe(true);
  });

  test('passwords are NFKC-normalized: the ligature ﬁ and the letters fi verify alike', async () => {
    const hash = await lib.hashPassword('ﬁrewood and tea');
    await expect(lib.verifyPassword('firewood and tea', hash)).resolves.toBe(true);
    const longHash = await lib.hashPassword(`ﬁ${'z'.repeat(100)}`);
    await expect(lib.verifyPassword(`fi${'z'.repeat(100)}`, longHash)).resolves.toBe(true);
  });

  test('a malformed stored hash never verifies', async () => {
    await expect(lib.verifyPassword('anything at all', 'not-a-hash')).resolves.toBe(false);
    await expect(lib.verifyPassword('anything at all', '')).resolves.toBe(false);
  });

  test('a hash of a lower cost than configured needs rehashing, one of the configured cost does not', async () => {
    const cost5 = makeTestLib({ passwords: { bcryptCost: 5 } }).lib;
    const cheap = await lib.hashPassword('correct horse battery');
    expect(cost5.passwordNeedsRehash(cheap)).toBe(true);
    expect(lib.passwordNeedsRehash(cheap)).toBe(false);
    const current = await cost5.hashPassword('correct horse battery');
    expect(bcrypt.getRounds(current)).toBe(5);
    expect(cost5.passwordNeedsRehash(current)).toBe(false);
    await expect(cost5.verifyPassword('correct horse battery', cheap)).resolves.toBe(true);
  });

  test('anything that is not a bcrypt hash needs rehashing', () => {
    expect(lib.passwordNeedsRehash('sha1$abc')).toBe(true);
  });

  test('the dummy hash is a bcrypt hash at the configured cost, computed once', async () => {
    const first = await lib.dummyPasswordHash();
    expect(bcrypt.getRounds(first)).toBe(4);
    expect(lib.passwordNeedsRehash(first)).toBe(false);
    await expect(lib.dummyPasswordHash()).resolves.toBe(first);
    await expect(lib.verifyPassword('', first)).resolves.toBe(false);
  });
});
