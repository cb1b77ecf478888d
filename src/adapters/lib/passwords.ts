import { createHmac } from 'node:crypto';
import { dictionary } from '@zxcvbn-ts/language-common';

/** bcrypt reads at most this many bytes of its input and silently ignores the rest. */
export const BCRYPT_MAX_INPUT_BYTES = 72;

/**
 * HMAC key of the pre-hash applied to passwords longer than `BCRYPT_MAX_INPUT_BYTES`. It is not a
 * secret (it only separates this use of SHA-256 from any other); changing it invalidates every stored
 * hash of a long password, hence the version suffix.
 */
export const PASSWORD_PREHASH_KEY = 'accounts-module/bcrypt-prehash/v1';

/** How many of the most common passwords are refused (docs/security-rules.md §8). */
export const COMMON_PASSWORD_COUNT = 10_000;

/** Unicode NFKC, so the same password typed on different keyboards or systems hashes the same. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * The string actually given to bcrypt for a normalized password. Up to 72 UTF-8 bytes: the password
 * itself, so hashes made by plain bcrypt elsewhere keep verifying. Longer: base64 of
 * HMAC-SHA-256(`PASSWORD_PREHASH_KEY`, password) (44 bytes), so every byte counts instead of being
 * silently truncated by bcrypt.
 */
export function bcryptInput(normalizedPassword: string): string {
  if (Buffer.byteLength(normalizedPassword, 'utf8') <= BCRYPT_MAX_INPUT_BYTES) return normalizedPassword;
  return createHmac('sha256', PASSWORD_PREHASH_KEY).update(normalizedPassword, 'utf8').digest('base64');
}

let commonPasswords: ReadonlySet<string> | undefined;

/**
 * The `COMMON_PASSWORD_COUNT` most common passwords, lower-cased. The zxcvbn-ts list is ranked by
 * frequency, so its head is the top of the list. Built on first use and shared by every instance.
 */
export function commonPasswordSet(): ReadonlySet<string> {
  commonPasswords ??= new Set(
    dictionary['passwords-common'].slice(0, COMMON_PASSWORD_COUNT).map((entry) => entry.toLowerCase()),
  );
  return commonPasswords;
}

/** Number of Unicode code points: what a user counts as characters, unlike UTF-16 `length`. */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
