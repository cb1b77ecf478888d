import ipaddr from 'ipaddr.js';

/**
 * IP addresses and CIDR ranges for `ip` access restrictions and per-IP limits, parsed by ipaddr.js
 * (what Express's `proxy-addr` uses) with stricter input rules on top: a value an operator stores,
 * or an address a proxy reports, must mean one thing to every parser that later reads it.
 *
 * - IPv4 only as a dotted quad of decimal numbers without leading zeros: ipaddr.js (like
 *   `inet_aton`) also reads `127.1`, `0x7f.0.0.1` and `010.0.0.1` (octal 8), which other software
 *   reads differently.
 * - IPv6 in any RFC 4291 text form, with the same strict dotted IPv4 tail, and no zone (`%eth0`).
 * - IPv4-mapped IPv6 (`::ffff:1.2.3.4`, and ranges inside `::ffff:0:0/96`) becomes IPv4.
 * - Output: dotted quad, or RFC 5952 IPv6 (lower case, the longest run of zero groups as `::`).
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
const PREFIX_LENGTH = /^(0|[1-9][0-9]{0,2})$/;
/** The longest IPv6 text form (eight full groups, or six and a dotted IPv4 tail). */
const MAX_IPV6_LENGTH = 45;

function toBigint(bytes: readonly number[]): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function toBytes(version: IpVersion, value: bigint): number[] {
  const length = BITS[version] / 8;
  return Array.from({ length }, (_, index) => Number((value >> BigInt(8 * (length - 1 - index))) & 0xffn));
}

/** Parses a dotted-quad IPv4 address; leading zeros and the short or hex forms are refused. */
export function parseIpv4(text: string): bigint | null {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
  return toBigint(ipaddr.IPv4.parse(text).toByteArray());
}

/** Parses an IPv6 address in any RFC 4291 text form (`::`, a dotted IPv4 tail); no zone, no brackets. */
export function parseIpv6(text: string): bigint | null {
  if (text.length > MAX_IPV6_LENGTH || text.includes('%')) return null;
  // A dotted tail is written as its two hex groups first: ipaddr.js reads `::1.2.3.4` (IPv4-compatible,
  // RFC 4291 §2.5.5.1) as IPv4-mapped `::ffff:1.2.3.4`, which would widen a restriction like
  // `::1.2.3.0/120` to the IPv4 range `1.2.3.0/24`.
  let hex = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const tail = parseIpv4(text.slice(lastColon + 1));
    if (tail === null) return null;
    hex = `${text.slice(0, lastColon + 1)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
  }
  if (!ipaddr.IPv6.isValid(hex)) return null;
  return toBigint(ipaddr.IPv6.parse(hex).toByteArray());
}

/** Parses an address as written, IPv4 or IPv6, without turning IPv4-mapped IPv6 into IPv4. */
function parseIpLiteral(text: string): IpAddress | null {
  const value = text.includes(':') ? parseIpv6(text) : parseIpv4(text);
  if (value === null) return null;
  return { version: text.includes(':') ? 6 : 4, value };
}

function isIpv4Mapped(address: IpAddress): boolean {
  return address.version === 6 && address.value >> 32n === 0xffffn;
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

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6. */
export function formatIp(address: IpAddress): string {
  const bytes = toBytes(address.version, address.value);
  return address.version === 4
    ? ipaddr.fromByteArray(bytes).toString()
    : (ipaddr.fromByteArray(bytes) as ipaddr.IPv6).toRFC5952String();
}

function networkMask(version: IpVersion, prefix: number): bigint {
  const bits = BigInt(BITS[version]);
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

/**
 * Parses an address or CIDR range. Host bits are cleared (`10.1.2.3/8` → `10.0.0.0/8`), and a range
 * inside `::ffff:0:0/96` becomes the IPv4 range it stands for.
 */
export function parseIpRange(text: string): IpRange | null {
  const parts = text.split('/');
  if (parts.length > 2) return null;
  const address = parseIpLiteral(parts[0]!);
  if (address === null) return null;
  let prefix = BITS[address.version];
  if (parts.length === 2) {
    if (!PREFIX_LENGTH.test(parts[1]!)) return null;
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

/**
 * The part of an address per-IP limits count: an IPv4 address whole, an IPv6 address as its network
 * of `ipv6PrefixLength` bits (`2001:db8:1:2::/64`). Null when the address does not parse.
 */
export function limitNetwork(ip: string, ipv6PrefixLength: number): string | null {
  const address = parseRequestIp(ip);
  if (address === null) return null;
  if (address.version === 4) return formatIp(address);
  const prefix = Math.min(128, Math.max(0, Math.floor(ipv6PrefixLength)));
  return `${formatIp({ version: 6, value: address.value & networkMask(6, prefix) })}/${prefix}`;
}
