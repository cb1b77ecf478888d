import * as t from 'io-ts';
import type { AccessRestriction, RestrictionType } from '../../src/ports/entities';
import { RestrictionTypeCodec, struct } from '../../src/domain/codecs';

/**
 * Access restrictions of client keys (SPEC §5): parsing, normalizing and matching `ip`, `host` and
 * `api` values. Pure code (no I/O, no `node:` modules) so it runs wherever the domain runs.
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

export type IpVersion = 4 | 6;

/** An IP address as a number: 32 bits for IPv4, 128 bits for IPv6. */
export interface IpAddress {
  version: IpVersion;
  value: bigint;
}

/** A CIDR range: `network` has every bit past `prefix` cleared. A single address has a full prefix. */
export interface IpRange {
  version: IpVersion;
  network: bigint;
  prefix: number;
}

const BITS: Record<IpVersion, number> = { 4: 32, 6: 128 };
const IPV4_MAPPED_PREFIX = 0xffffn;
const DECIMAL_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;
const PREFIX_LENGTH = /^(0|[1-9][0-9]{0,2})$/;
const MAX_VALUE_LENGTH = 300;

/** Parses a dotted-quad IPv4 address; leading zeros are refused (`010` means 8 to some parsers). */
export function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!DECIMAL_OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

/** Parses an IPv6 address in any RFC 4291 text form (`::`, a dotted IPv4 tail); no zone, no brackets. */
export function parseIpv6(text: string): bigint | null {
  if (text.length > 45) return null;
  let hexPart = text;
  let ipv4Tail = 0n;
  const lastColon = text.lastIndexOf(':');
  if (lastColon === -1) return null;
  if (text.includes('.', lastColon)) {
    const tail = parseIpv4(text.slice(lastColon + 1));
    if (tail === null) return null;
    ipv4Tail = tail;
    // The dotted tail stands for the last two groups.
    hexPart = `${text.slice(0, lastColon + 1)}0:0`;
  }

  const compression = hexPart.indexOf('::');
  if (compression !== hexPart.lastIndexOf('::')) return null;
  let groups: number[] | null;
  if (compression === -1) {
    groups = parseHexGroups(hexPart);
    if (groups === null || groups.length !== 8) return null;
  } else {
    const left = parseHexGroups(hexPart.slice(0, compression));
    const right = parseHexGroups(hexPart.slice(compression + 2));
    if (left === null || right === null || left.length + right.length > 7) return null;
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }

  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return value | ipv4Tail;
}

function parseHexGroups(text: string): number[] | null {
  if (text === '') return [];
  const groups: number[] = [];
  for (const group of text.split(':')) {
    if (!HEX_GROUP.test(group)) return null;
    groups.push(Number.parseInt(group, 16));
  }
  return groups;
}

/** Parses an address as written, IPv4 or IPv6, without turning IPv4-mapped IPv6 into IPv4. */
function parseIpLiteral(text: string): IpAddress | null {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === null ? null : { version: 6, value };
  }
  const value = parseIpv4(text);
  return value === null ? null : { version: 4, value };
}

function isIpv4Mapped(address: IpAddress): boolean {
  return address.version === 6 && address.value >> 32n === IPV4_MAPPED_PREFIX;
}

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) comes back as IPv4. */
export function parseIp(text: string): IpAddress | null {
  const address = parseIpLiteral(text);
  if (address === null) return null;
  return isIpv4Mapped(address) ? { version: 4, value: address.value & 0xffffffffn } : address;
}

/**
 * Parses the caller's address as a server reports it: also accepts `[…]` brackets and an IPv6 zone
 * (`fe80::1%eth0`), which play no part in matching.
 */
export function parseRequestIp(text: string): IpAddress | null {
  let address = text.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const zone = address.indexOf('%');
  if (zone !== -1 && address.includes(':')) address = address.slice(0, zone);
  return parseIp(address);
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(address: IpAddress): string {
  if (address.version === 4) {
    const value = address.value;
    return [24n, 16n, 8n, 0n].map((shift) => Number((value >> shift) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((address.value >> shift) & 0xffffn));

  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < groups.length; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < groups.length && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  // RFC 5952 §4.2.2: a lone zero group is not compressed.
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function networkMask(version: IpVersion, prefix: number): bigint {
  const bits = BigInt(BITS[version]);
  const all = (1n << bits) - 1n;
  return all ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

/**
 * Parses an address or CIDR range. Host bits are cleared (`10.1.2.3/8` → `10.0.0.0/8`), and a range
 * inside `::ffff:0:0/96` becomes the IPv4 range it stands for.
 */
export function parseIpRange(text: string): IpRange | null {
  const parts = text.split('/');
  if (parts.length > 2) return null;
  const address = parseIpLiteral(parts[0]);
  if (address === null) return null;
  let prefix = BITS[address.version];
  if (parts.length === 2) {
    if (!PREFIX_LENGTH.test(parts[1])) return null;
    prefix = Number(parts[1]);
    if (prefix > BITS[address.version]) return null;
  }
  if (isIpv4Mapped(address) && prefix >= 96) {
    return ipRange({ version: 4, value: address.value & 0xffffffffn }, prefix - 96);
  }
  return ipRange(address, prefix);
}

function ipRange(address: IpAddress, prefix: number): IpRange {
  return { version: address.version, network: address.value & networkMask(address.version, prefix), prefix };
}

/** Canonical text of a range; a single address is written without its prefix. */
export function formatIpRange(range: IpRange): string {
  const address = formatIp({ version: range.version, value: range.network });
  return range.prefix === BITS[range.version] ? address : `${address}/${range.prefix}`;
}

/** Whether the range holds the address. IPv4 and IPv6 never match each other (mapped IPv6 is IPv4). */
export function ipRangeContains(range: IpRange, address: IpAddress): boolean {
  return (
    range.version === address.version && (address.value & networkMask(range.version, range.prefix)) === range.network
  );
}

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
export const RestrictionInput = new t.Type<{ type: RestrictionType; value: string }, unknown>(
  'RestrictionInput',
  (u): u is { type: RestrictionType; value: string } => RestrictionFields.is(u),
  (u, c) => {
    const fields = RestrictionFields.validate(u, c);
    if (fields._tag === 'Left') return fields;
    const { type, value } = fields.right;
    const normalized = normalizeRestrictionValue(type, value);
    if (typeof normalized === 'string') return t.success({ type, value: normalized });
    return t.failure(value, t.appendContext(c, 'value', t.string, value), normalized.error);
  },
  t.identity,
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
