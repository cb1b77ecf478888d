import * as t from 'io-ts';
import type { AccessRestriction, RestrictionType } from '../ports/entities';
import { CheckedType, RestrictionTypeCodec, struct } from './codecs';
import { formatIpRange, ipRangeContains, parseIpRange, parseRequestIp } from './ip-addresses';

export * from './ip-addresses';

/**
 * Access restrictions of client keys (docs/security-rules.md §5): parsing, normalizing and matching `ip`, `host` and
 * `api` values. Pure code (no I/O, no `node:` modules) so it runs wherever the domain runs; addresses
 * are parsed by ipaddr.js (see `ip-addresses.ts`).
 *
 * Normal forms, chosen so that equal restrictions are stored as equal strings:
 * - `ip`: an address (`203.0.113.7`, `2001:db8::1`) or a CIDR range whose host bits are cleared
 *   (`10.1.2.3/8` is stored as `10.0.0.0/8`); a full-length prefix (`/32`, `/128`) is stored as the bare
 *   address. IPv6 is written as RFC 5952 says (lower case, zeros compressed). IPv4-mapped IPv6
 *   (`::ffff:1.2.3.4`, and ranges inside `::ffff:0:0/96`) becomes IPv4, both in values and in the
 *   caller's address, so a dual-stack socket reporting `::ffff:1.2.3.9` matches `1.2.3.0/24`.
 * - `host`: a lower-cased DNS name (`app.example.com`) or `*.` and a DNS name; `*.example.com` matches
 *   subdomains at any depth (`a.example.com`, `a.b.example.com`) but not `example.com` itself.
 * - `api`: a lower-cased API name.
 */

const MAX_VALUE_LENGTH = 300;

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why a lower-cased name is not a DNS host name, or null when it is one. */
function hostNameProblem(name: string): string | null {
  if (name.length === 0 || name.length > 253) return 'must be a host name of 1 to 253 characters';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the point: anything but ASCII
  if (/[^\x00-\x7f]/.test(name)) return 'must be ASCII: write internationalized names in punycode (xn--…)';
  const labels = name.split('.');
  if (!labels.every((label) => DNS_LABEL.test(label))) {
    return 'must be a host name (letters, digits and inner hyphens, dot-separated), without scheme, port or path';
  }
  // An all-numeric last label would make an IP address look like a host name.
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return 'must be a host name, not an IP address';
  return null;
}

/** Normalizes a `host` restriction value: `app.example.com` or `*.example.com`, lower-cased. */
export function normalizeHostPattern(raw: string): string | { error: string } {
  const pattern = raw.trim().toLowerCase();
  const name = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
  const problem = hostNameProblem(name);
  return problem === null ? pattern : { error: problem };
}

/** Whether a host pattern matches a host name (both lower case). `*.a.b` matches `x.a.b`, not `a.b`. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}

/**
 * The host name of an `Origin` header value (`https://app.example.com:8443` → `app.example.com`), or
 * null for an absent, opaque (`null`) or unparsable origin. URL parsing is what browsers do, so
 * tricks like `https://evil.test\@example.com` resolve to the host the browser actually used.
 */
export function originHost(origin: string | null): string | null {
  if (origin === null) return null;
  try {
    const host = new URL(origin.trim()).hostname.toLowerCase();
    const withoutRootDot = host.endsWith('.') ? host.slice(0, -1) : host;
    return withoutRootDot === '' ? null : withoutRootDot;
  } catch {
    return null;
  }
}

const API_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Normalizes an `api` restriction value (or the API name of a request): lower-cased. */
export function normalizeApiName(raw: string): string | { error: string } {
  const name = raw.trim().toLowerCase();
  return API_NAME.test(name)
    ? name
    : { error: 'must be an API name: 1 to 64 of a-z, 0-9, ".", "_", "-", starting with a letter or digit' };
}

/** Normalizes an `ip` restriction value: a canonical address or CIDR range. */
export function normalizeIpRestriction(raw: string): string | { error: string } {
  const range = parseIpRange(raw.trim());
  return range === null
    ? { error: 'must be an IPv4 or IPv6 address or CIDR range (e.g. 203.0.113.0/24, 2001:db8::/32)' }
    : formatIpRange(range);
}

/** Validates and normalizes a restriction value for its type; `{ error }` says what is wrong. */
export function normalizeRestrictionValue(type: RestrictionType, raw: string): string | { error: string } {
  if (raw.length > MAX_VALUE_LENGTH) return { error: `must be at most ${MAX_VALUE_LENGTH} characters` };
  switch (type) {
    case 'ip':
      return normalizeIpRestriction(raw);
    case 'host':
      return normalizeHostPattern(raw);
    case 'api':
      return normalizeApiName(raw);
  }
}

const RestrictionFields = struct('RestrictionInput', { type: RestrictionTypeCodec, value: t.string });

/** One `{ type, value }`; the value is checked for its type and normalized (see `normalizeRestrictionValue`). */
export const RestrictionInput = new CheckedType<typeof RestrictionFields, { type: RestrictionType; value: string }>(
  'RestrictionInput',
  RestrictionFields,
  ({ type, value }) => {
    const normalized = normalizeRestrictionValue(type, value);
    return typeof normalized === 'string'
      ? { ok: { type, value: normalized } }
      : { error: normalized.error, path: 'value', value };
  },
);

/** What a key's restrictions are checked against. */
export interface RestrictedRequest {
  /** The caller's address (from the socket, or a trusted proxy's header); null when unknown. */
  ip: string | null;
  /** The request's `Origin` header; null when absent. */
  origin: string | null;
  /** The API the request is for, as named by the integrator mounting the handlers. */
  api: string;
}

/**
 * Whether a request satisfies a key's restrictions: within one type any restriction may match (OR),
 * every type present must be satisfied (AND), no restrictions means unrestricted. A stored value that
 * no longer parses never matches, so a corrupt restriction fails closed.
 */
export function restrictionsAllow(
  restrictions: readonly Pick<AccessRestriction, 'type' | 'value'>[],
  request: RestrictedRequest,
): boolean {
  const valuesByType = new Map<RestrictionType, string[]>();
  for (const { type, value } of restrictions) valuesByType.set(type, [...(valuesByType.get(type) ?? []), value]);

  for (const [type, values] of valuesByType) {
    const satisfied =
      type === 'ip'
        ? matchesIp(values, request.ip)
        : type === 'host'
          ? matchesHost(values, request.origin)
          : matchesApi(values, request.api);
    if (!satisfied) return false;
  }
  return true;
}

function matchesIp(values: string[], ip: string | null): boolean {
  const address = ip === null ? null : parseRequestIp(ip);
  if (address === null) return false;
  return values.some((value) => {
    const range = parseIpRange(value);
    return range !== null && ipRangeContains(range, address);
  });
}

function matchesHost(values: string[], origin: string | null): boolean {
  const host = originHost(origin);
  if (host === null) return false;
  return values.some((pattern) => hostMatches(pattern.toLowerCase(), host));
}

function matchesApi(values: string[], api: string): boolean {
  const name = api.trim().toLowerCase();
  return values.some((value) => value.toLowerCase() === name);
}
