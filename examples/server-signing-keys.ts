import { type AsymmetricTokenOptions, SigningKeySet } from '../src/adapters/lib';
import { ConfigError, privateKeyPem, type ServerOptions } from './server-config';

const CURRENT = 'ACCOUNTS_JWT_PRIVATE_KEY';
const NEXT = 'ACCOUNTS_JWT_NEXT_PRIVATE_KEY';
const FROM = 'ACCOUNTS_JWT_NEXT_KEY_FROM';

/**
 * An ISO 8601 date-time with its time zone: `Z` or an offset. A zone is required because the instances
 * of one deployment may run under different `TZ` settings, and must all switch at the same instant.
 */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/**
 * The asymmetric token options of the example server: `ACCOUNTS_JWT_PRIVATE_KEY`, and during a
 * signing-key rotation `ACCOUNTS_JWT_NEXT_PRIVATE_KEY` with `ACCOUNTS_JWT_NEXT_KEY_FROM` (both keys
 * in the JWKS, the next one signing from that instant). Null when no private key is set (HS256).
 * Throws a `ConfigError` naming the variable at fault; errors of the current key alone are left to
 * the library's own check, which reports them as before.
 */
export function asymmetricTokenOptions(options: ServerOptions): AsymmetricTokenOptions | null {
  const { jwtPrivateKey, jwtNextPrivateKey, jwtNextKeyFrom } = options;
  if (jwtNextKeyFrom !== undefined && !jwtNextPrivateKey) {
    throw new ConfigError(FROM, `${FROM} is set but ${NEXT} is not: set both for a key rotation, or neither`);
  }
  if (!jwtPrivateKey) {
    if (jwtNextPrivateKey) {
      throw new ConfigError(
        NEXT,
        `${NEXT} is set but ${CURRENT} is not: a rotation goes from one private key to another (an HS256 ` +
          `secret has no JWKS to announce a next key); set ${CURRENT} to the key that signs today`,
      );
    }
    return null;
  }
  const privateKey = privateKeyPem(jwtPrivateKey);
  if (!jwtNextPrivateKey) return { privateKey };
  const tokens: AsymmetricTokenOptions = {
    privateKey,
    next: { privateKey: privateKeyPem(jwtNextPrivateKey, NEXT), signsFrom: switchInstant(jwtNextKeyFrom) },
  };
  try {
    SigningKeySet.fromOptions(tokens);
  } catch (error) {
    const { message } = error as Error;
    if (message.includes('tokens.next')) throw new ConfigError(NEXT, nextKeyProblem(message));
  }
  return tokens;
}

/** `ACCOUNTS_JWT_NEXT_KEY_FROM` as a `Date`. */
function switchInstant(value: string | undefined): Date {
  const accepted = 'an ISO 8601 date-time with a time zone, e.g. 2027-03-01T12:00:00Z or 2027-03-01T13:00:00+01:00';
  if (value === undefined) {
    throw new ConfigError(FROM, `${FROM} is needed with ${NEXT}: the instant the next key starts signing, ${accepted}`);
  }
  const parts = ISO_DATE_TIME.exec(value.trim());
  const instant = new Date(value.trim());
  if (parts === null || Number.isNaN(instant.getTime()) || !fieldsInRange(parts)) {
    throw new ConfigError(FROM, `${FROM} is not a date-time this server reads: use ${accepted}`);
  }
  return instant;
}

/** Every field within its calendar range: `Date` itself rolls 2027-02-30 over to March 2 instead of refusing it. */
function fieldsInRange(parts: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = parts
    .slice(1)
    .map((part) => Number(part ?? 0)) as [number, number, number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59
  );
}

/** The library's complaint about `tokens.next`, in the server's variables. */
function nextKeyProblem(message: string): string {
  const reason = message.replace(/^DefaultLib: /, '');
  if (reason.startsWith('tokens.next has the same kid')) {
    return `${NEXT} holds the same key as ${CURRENT}: generate a new key for the rotation`;
  }
  if (reason.startsWith('tokens.next.privateKey signs')) {
    return `${reason.replace('tokens.next.privateKey', NEXT).replace('the current key', CURRENT)}; generate the next key the way the current one was`;
  }
  return `${NEXT} cannot sign tokens: ${reason.replace(/^tokens\.next\.privateKey: /, '')}`;
}
