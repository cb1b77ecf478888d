import { isIP } from 'node:net';
import type { HttpHeaders } from './types';

/**
 * One header's value, whatever the case of its name. Repeated headers are joined with `, ` (RFC 9110
 * §5.3), so a duplicated credential header never matches a credential's format and is refused.
 */
export function headerValue(headers: HttpHeaders, name: string): string | null {
  const wanted = name.toLowerCase();
  // Every spelling counts: `Authorization` and `authorization` in one raw header map are one header
  // given twice, which must be refused like any repeated credential, not one of them picked.
  const values: string[] = [];
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const value = headers[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) values.push(...value);
    else values.push(value);
  }
  return values.length === 0 ? null : values.join(', ');
}

/**
 * The caller's address. Without a trusted proxy it is the socket's peer. With `trustProxy` (`true` for
 * one proxy, or the number of proxies in the chain) it is read from `X-Forwarded-For` counting from
 * the right, since each proxy appends the address it saw: entries further left were written by the
 * client and could name any address. Falls back to the peer when the header is absent, too short or
 * not an address. IPv4-mapped IPv6 (`::ffff:1.2.3.4`, from dual-stack sockets) is given as IPv4, so
 * limits keyed by address count one client once.
 */
export function clientAddress(
  remoteAddress: string | null | undefined,
  headers: HttpHeaders,
  trustProxy: boolean | number = false,
): string | null {
  const hops = trustProxy === true ? 1 : typeof trustProxy === 'number' ? Math.floor(trustProxy) : 0;
  const peer = normalizeAddress(remoteAddress ?? null);
  if (hops < 1) return peer;
  const forwarded = headerValue(headers, 'x-forwarded-for');
  if (forwarded === null) return peer;
  const entries = forwarded
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const candidate = entries[entries.length - hops];
  return (candidate !== undefined && normalizeAddress(candidate)) || peer;
}

/** A bare IP address, or null when the value is not one. */
export function normalizeAddress(address: string | null): string | null {
  if (address === null) return null;
  let value = address.trim();
  if (value.startsWith('[') && value.includes(']')) value = value.slice(1, value.indexOf(']'));
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(value);
  if (mapped) value = mapped[1];
  return isIP(value) === 0 ? null : value;
}
