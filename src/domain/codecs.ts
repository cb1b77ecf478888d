import * as t from 'io-ts';
import { Err, Ok, type Result } from 'ts-results';
import {
  CLIENT_ROLES,
  MEMBERSHIP_ROLES,
  RESTRICTION_TYPES,
  UNLIMITED_REQS_PER_SEC,
  USER_ROLES,
} from '../ports/entities';
import { type AccountsError, accountsError, type FieldProblem } from './errors';

/**
 * Input codecs. Each is the single source of its type (`t.TypeOf`). Object codecs are built with
 * `struct`, which refuses unknown fields (a typo never passes silently) and reports every bad field,
 * not only the first.
 */

/** A codec that checks a string and may normalize it (the decoded value is the normalized one). */
function refinedString(name: string, check: (value: string) => string | { error: string }): t.Type<string, string> {
  return new t.Type<string, string>(
    name,
    (u): u is string => typeof u === 'string',
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c, 'must be a string');
      // NUL is refused everywhere: PostgreSQL cannot store it and C libraries end strings at it.
      if (u.includes('\u0000')) return t.failure(u, c, 'must not contain NUL characters');
      // A lone surrogate is not text: every database would store it as U+FFFD, changing it silently.
      if (/\p{Cs}/u.test(u)) return t.failure(u, c, 'must be valid Unicode text (no lone surrogates)');
      const checked = check(u);
      return typeof checked === 'string' ? t.success(checked) : t.failure(u, c, checked.error);
    },
    t.identity,
  );
}

/**
 * An addr-spec as mail software delivers it, and nothing a mailer could read as another address: a
 * dot-atom local part (RFC 5322 atext, or any non-ASCII character for internationalized addresses),
 * `@`, and dot-separated domain labels of letters, digits and inner hyphens. No quoted local parts,
 * comments, brackets, commas, semicolons or colons: `x<a@evil.io>`, `root,a@evil.io` or `g:a@evil.io;`
 * would be stored as one address and delivered to another, so one mailbox could verify many of them.
 */
const ATOM = "(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]|[^\\x00-\\x7f])+";
const LABEL = '[a-z0-9\\u0080-\\uffff](?:[a-z0-9\\u0080-\\uffff-]*[a-z0-9\\u0080-\\uffff])?';
const EMAIL_PATTERN = new RegExp(`^${ATOM}(?:\\.${ATOM})*@${LABEL}(?:\\.${LABEL})+$`, 'u');
/** Control, format and separator characters: invisible, or read differently by different software. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Z}]/u;

/** Normalizes an email address the way every lookup does: trimmed and lower-cased. */
export function normalizeEmail(address: string): string {
  return address.trim().toLowerCase();
}

/** An email address, normalized (trimmed, lower-cased). */
export const Email = refinedString('Email', (raw) => {
  const address = normalizeEmail(raw);
  if (address.length === 0) return { error: 'is required' };
  const invalid = address.length > 254 || INVISIBLE.test(address) || !EMAIL_PATTERN.test(address);
  if (invalid || address.split('@')[0].length > 64) {
    return { error: 'must be a valid email address' };
  }
  return address;
});

/** A display name: trimmed, 1 to 200 characters. */
export const Name = refinedString('Name', (raw) => {
  const name = raw.trim();
  if (name.length === 0) return { error: 'must not be empty' };
  if (/\p{Cc}/u.test(name)) return { error: 'must not contain control characters' };
  if ([...name].length > 200) return { error: 'must be at most 200 characters' };
  return name;
});

/**
 * A password as received. Only the type and a generous upper bound are checked here (so a megabyte
 * body cannot cost a hash); the policy itself is `Lib.checkPassword`.
 */
export const PasswordInput = refinedString('Password', (raw) =>
  raw.length > 4096 ? { error: 'must be at most 4096 characters' } : raw,
);

/** The caller-chosen state a login code is bound to: 16–128 printable ASCII characters. */
export const LoginState = refinedString('LoginState', (raw) =>
  /^[\x20-\x7e]{16,128}$/.test(raw) ? raw : { error: 'must be 16 to 128 printable ASCII characters' },
);

/** A verification code as typed by a person: surrounding spaces are forgiven. */
export const CodeInput = refinedString('Code', (raw) => {
  const code = raw.trim();
  return code.length > 0 && code.length <= 64 ? code : { error: 'must be a non-empty code' };
});

/** An opaque token or id sent back by a client. */
export const Opaque = refinedString('Opaque', (raw) =>
  raw.length > 0 && raw.length <= 512 ? raw : { error: 'must be a non-empty string' },
);

/** `reqsPerSec`: an integer ≥ 1, or -1 for unlimited. */
export const ReqsPerSec = new t.Type<number, number>(
  'ReqsPerSec',
  (u): u is number => typeof u === 'number',
  (u, c) =>
    typeof u === 'number' && Number.isInteger(u) && (u === UNLIMITED_REQS_PER_SEC || (u >= 1 && u <= 1_000_000))
      ? t.success(u)
      : t.failure(u, c, 'must be -1 (unlimited) or an integer from 1 to 1000000'),
  t.identity,
);

function keyof<T extends readonly string[]>(values: T, name: string): t.Type<T[number], T[number]> {
  return new t.Type<T[number], T[number]>(
    name,
    (u): u is T[number] => typeof u === 'string' && values.includes(u),
    (u, c) =>
      typeof u === 'string' && values.includes(u)
        ? t.success(u)
        : t.failure(u, c, `must be one of: ${values.join(', ')}`),
    t.identity,
  );
}

export const UserRoleCodec = keyof(USER_ROLES, 'UserRole');
export const ClientRoleCodec = keyof(CLIENT_ROLES, 'ClientRole');
export const MembershipRoleCodec = keyof(MEMBERSHIP_ROLES, 'MembershipRole');
export const RestrictionTypeCodec = keyof(RESTRICTION_TYPES, 'RestrictionType');

/**
 * An array with a length between `min` and `max`, every element checked. Its item codec and limits
 * stay readable (`item`, `min`, `max`), so the OpenAPI document is derived from the codec itself.
 */
export class ListType<C extends t.Mixed> extends t.Type<t.TypeOf<C>[], t.OutputOf<C>[]> {
  readonly _tag = 'ListType' as const;

  constructor(
    readonly item: C,
    readonly min: number,
    readonly max: number,
  ) {
    const array = t.array(item);
    super(
      `List<${item.name}>`,
      array.is,
      (u, c) => {
        if (!Array.isArray(u)) return t.failure(u, c, 'must be an array');
        if (u.length < min) return t.failure(u, c, min === 1 ? 'must not be empty' : `must have at least ${min} items`);
        if (u.length > max) return t.failure(u, c, `must have at most ${max} items`);
        return array.validate(u, c);
      },
      array.encode,
    );
  }
}

export function listOf<C extends t.Mixed>(item: C, min: number, max: number): ListType<C> {
  return new ListType(item, min, max);
}

type Decoded<P extends t.Props> = { [K in keyof P]: t.TypeOf<P[K]> };

/**
 * An object codec with required and optional fields that refuses unknown fields and reports every
 * bad one. Optional fields may be absent or `undefined`; `null` is refused like any wrong type. The
 * fields stay readable (`required`, `optional`), so the OpenAPI document is derived from the codec.
 */
export class StructType<R extends t.Props, O extends t.Props> extends t.Type<
  Decoded<R> & Partial<Decoded<O>>,
  unknown
> {
  readonly _tag = 'StructType' as const;

  constructor(
    name: string,
    readonly required: R,
    readonly optional: O,
  ) {
    super(
      name,
      (u): u is Decoded<R> & Partial<Decoded<O>> => typeof u === 'object' && u !== null,
      (u, c) => {
        if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, 'must be an object');
        const input = u as Record<string, unknown>;
        const output: Record<string, unknown> = {};
        const errors: t.Errors = [];
        const field = (key: string): unknown => (Object.hasOwn(input, key) ? input[key] : undefined);
        const check = (key: string, codec: t.Mixed) => {
          const value = field(key);
          const result = codec.validate(value, t.appendContext(c, key, codec, value));
          if (result._tag === 'Left') errors.push(...result.left);
          else output[key] = result.right;
        };
        for (const [key, codec] of Object.entries(required)) {
          if (field(key) === undefined)
            errors.push({
              value: undefined,
              context: t.appendContext(c, key, codec, undefined),
              message: 'is required',
            });
          else check(key, codec);
        }
        for (const [key, codec] of Object.entries(optional)) {
          if (field(key) !== undefined) check(key, codec);
        }
        for (const key of Object.keys(input)) {
          // Own properties only: `in` would find `constructor`, `toString`, `__proto__`… on every object.
          if (!Object.hasOwn(required, key) && !Object.hasOwn(optional, key)) {
            errors.push({
              value: input[key],
              context: t.appendContext(c, key, t.unknown, input[key]),
              message: 'is not a known field',
            });
          }
        }
        return errors.length > 0 ? t.failures(errors) : t.success(output as Decoded<R> & Partial<Decoded<O>>);
      },
      t.identity,
    );
  }
}

export function struct<R extends t.Props, O extends t.Props = Record<never, never>>(
  name: string,
  required: R,
  optional?: O,
): StructType<R, O> {
  return new StructType(name, required, (optional ?? {}) as O);
}

/**
 * A codec that decodes with `base`, then checks or normalizes the decoded value (`refine` returns the
 * value to keep, or the message for the failing field at `path` below it). The base stays readable,
 * so the OpenAPI document describes it (the check itself is code).
 */
export class CheckedType<B extends t.Mixed, A> extends t.Type<A, unknown> {
  readonly _tag = 'CheckedType' as const;

  constructor(
    name: string,
    readonly base: B,
    refine: (decoded: t.TypeOf<B>) => { ok: A } | { error: string; path?: string; value?: unknown },
  ) {
    super(
      name,
      (u): u is A => base.is(u),
      (u, c) => {
        const decoded = base.validate(u, c);
        if (decoded._tag === 'Left') return decoded;
        const checked = refine(decoded.right);
        if ('ok' in checked) return t.success(checked.ok);
        const context = checked.path === undefined ? c : t.appendContext(c, checked.path, t.unknown, checked.value);
        return t.failure(checked.value ?? u, context, checked.error);
      },
      t.identity,
    );
  }
}

/** Decodes input with a codec; a failure is `VALIDATION_FAILED` with one detail per bad field. */
export function decode<A, O>(codec: t.Type<A, O, unknown>, input: unknown): Result<A, AccountsError> {
  const result = codec.validate(input, [{ key: '', type: codec, actual: input }]);
  if (result._tag === 'Right') return Ok(result.right);
  return Err(accountsError('VALIDATION_FAILED', { details: toFieldProblems(result.left) }));
}

/**
 * At most this many problems are listed, then one entry says how many more there were: a body of
 * thousands of unknown keys must not earn an answer hundreds of times its size.
 */
export const MAX_FIELD_PROBLEMS = 50;

function toFieldProblems(errors: t.Errors): FieldProblem[] {
  const problems = new Map<string, string>();
  for (const error of errors) {
    const path = error.context
      .map((entry) => entry.key)
      .filter((key) => key !== '')
      .join('.');
    const key = path === '' ? '(body)' : path;
    if (!problems.has(key)) problems.set(key, error.message ?? 'is invalid');
  }
  const listed = [...problems].slice(0, MAX_FIELD_PROBLEMS).map(([path, message]) => ({ path, message }));
  const more = problems.size - listed.length;
  if (more > 0) listed.push({ path: '(more)', message: `and ${more} more problems` });
  return listed;
}

/** Turns password-policy problems into a `WEAK_PASSWORD` error on the given field. */
export function weakPassword(field: string, problems: { message: string }[]): AccountsError {
  return accountsError('WEAK_PASSWORD', { details: problems.map((p) => ({ path: field, message: p.message })) });
}
