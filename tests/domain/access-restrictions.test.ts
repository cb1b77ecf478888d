import fc from 'fast-check';
import {
  formatIp,
  formatIpRange,
  hostMatches,
  type IpAddress,
  ipRangeContains,
  normalizeRestrictionValue,
  originHost,
  parseIp,
  parseIpRange,
  parseIpv4,
  parseIpv6,
  parseRequestIp,
  RestrictionInput,
  restrictionsAllow,
} from '../../src/domain/access-restrictions';
import { decode, listOf, struct } from '../../src/domain/codecs';
import type { RestrictionType } from '../../src/ports/entities';

const MAX_IPV6 = (1n << 128n) - 1n;

function normalized(type: RestrictionType, value: string): string {
  const result = normalizeRestrictionValue(type, value);
  if (typeof result !== 'string') throw new Error(`expected ${value} to be valid: ${result.error}`);
  return result;
}

function refused(type: RestrictionType, value: string): boolean {
  return typeof normalizeRestrictionValue(type, value) !== 'string';
}

function bitsOf(value: bigint, width: number): string {
  return value.toString(2).padStart(width, '0');
}

describe('IPv4 parsing', () => {
  it.each([
    ['0.0.0.0', 0n],
    ['255.255.255.255', 0xffffffffn],
    ['203.0.113.7', 0xcb007107n],
  ])('reads %s', (text, value) => {
    expect(parseIpv4(text)).toBe(value);
  });

  it.each(['010.0.0.1', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.-4', '1.2.3.4 ', 'a.b.c.d', '1..3.4', '0x7f.0.0.1'])(
    'refuses %j (leading zeros included: 010 means 8 to some parsers)',
    (text) => {
      expect(parseIpv4(text)).toBeNull();
    },
  );
});

describe('IPv6 parsing', () => {
  it.each([
    ['::', 0n],
    ['::1', 1n],
    ['1::', 1n << 112n],
    ['2001:db8::ff00:42:8329', 0x20010db8000000000000ff0000428329n],
    ['2001:0DB8:0000:0000:0000:FF00:0042:8329', 0x20010db8000000000000ff0000428329n],
    ['::ffff:192.0.2.128', 0xffffc0000280n],
    ['64:ff9b::192.0.2.33', 0x0064ff9b0000000000000000c0000221n],
    ['1:2:3:4:5:6:7::', 0x00010002000300040005000600070000n],
    ['1:2:3:4:5:6:1.2.3.4', 0x00010002000300040005000601020304n],
    // IPv4-compatible (no ffff): not IPv4-mapped, whatever ipaddr.js makes of it.
    ['::1.2.3.4', 0x01020304n],
    ['::0.0.0.0', 0n],
  ])('reads %s', (text, value) => {
    expect(parseIpv6(text)).toBe(value);
  });

  it.each([
    '',
    ':',
    ':::',
    '1:::2',
    '1::2::3',
    ':1::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '12345::',
    'g::',
    '::1.2.3',
    '::256.1.1.1',
    '1:2:3:4:5:6::1.2.3.4',
    'fe80::1%eth0',
    '[::1]',
    '1.2.3.4',
    `${'1:'.repeat(30)}1`,
  ])('refuses %j', (text) => {
    expect(parseIpv6(text)).toBeNull();
  });
});

describe('address formatting', () => {
  it.each([
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:DB8::ABCD', '2001:db8::abcd'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
  ])('writes %s as %s (RFC 5952)', (text, canonical) => {
    const address = parseIp(text);
    expect(address).not.toBeNull();
    expect(formatIp(address as IpAddress)).toBe(canonical);
  });

  it('turns an IPv4-mapped IPv6 address into IPv4', () => {
    expect(parseIp('::ffff:10.0.0.1')).toEqual({ version: 4, value: 0x0a000001n });
  });

  it('reads a server-reported address with brackets or an IPv6 zone', () => {
    expect(parseRequestIp('[2001:db8::1]')).toEqual(parseIp('2001:db8::1'));
    expect(parseRequestIp('fe80::1%eth0')).toEqual(parseIp('fe80::1'));
    expect(parseRequestIp(' 10.0.0.1 ')).toEqual(parseIp('10.0.0.1'));
    expect(parseRequestIp('not an address')).toBeNull();
  });
});

describe('ip restriction values', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['203.0.113.7/32', '203.0.113.7'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    [' 192.168.1.77/24 ', '192.168.1.0/24'],
    ['2001:DB8::1/32', '2001:db8::/32'],
    ['2001:db8::1/128', '2001:db8::1'],
    ['::/0', '::/0'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::ffff:1.2.3.4/120', '1.2.3.0/24'],
    ['::ffff:0:0/96', '0.0.0.0/0'],
    ['::ffff:0:0/95', '::fffe:0:0/95'],
    // IPv4-compatible ranges stay IPv6: `::0.0.0.0/96` is not every IPv4 address.
    ['::0.0.0.0/96', '::/96'],
    ['::1.2.3.0/120', '::102:300/120'],
    ['::10.0.0.1', '::a00:1'],
  ])('normalizes %j to %j', (value, expected) => {
    expect(normalized('ip', value)).toBe(expected);
  });

  it.each([
    '1.2.3.4/33',
    '::/129',
    '1.2.3.4/08',
    '1.2.3.4/',
    '1.2.3.4/-1',
    '1.2.3.4/8/8',
    '1.2.3/24',
    'fe80::1%eth0',
    '[::1]',
    'localhost',
    '',
  ])('refuses %j', (value) => {
    expect(refused('ip', value)).toBe(true);
  });
});

describe('host restriction values', () => {
  it.each([
    ['App.Example.COM', 'app.example.com'],
    ['*.example.com', '*.example.com'],
    ['localhost', 'localhost'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['a-b.c0.io', 'a-b.c0.io'],
  ])('normalizes %j to %j', (value, expected) => {
    expect(normalized('host', value)).toBe(expected);
  });

  it.each([
    'https://example.com',
    'example.com:443',
    'example.com/path',
    '-a.example.com',
    'a-.example.com',
    'a..example.com',
    'example.com.',
    '*',
    '*.',
    '*.*.example.com',
    'app.*.example.com',
    '1.2.3.4',
    'ex_ample.com',
    'bücher.example',
    `${'a'.repeat(64)}.com`,
    `${'abcdefghi.'.repeat(26)}com`,
    '',
  ])('refuses %j', (value) => {
    expect(refused('host', value)).toBe(true);
  });

  it('accepts a 63-character label', () => {
    expect(normalized('host', `${'a'.repeat(63)}.com`)).toBe(`${'a'.repeat(63)}.com`);
  });
});

describe('api restriction values', () => {
  it.each([
    ['accounts', 'accounts'],
    ['Billing', 'billing'],
    ['v2.orders_api-x', 'v2.orders_api-x'],
  ])('normalizes %j to %j', (value, expected) => {
    expect(normalized('api', value)).toBe(expected);
  });

  it.each(['', '-x', '.x', 'a b', 'a/b', 'a'.repeat(65)])('refuses %j', (value) => {
    expect(refused('api', value)).toBe(true);
  });

  it('refuses any value longer than 300 characters before parsing it', () => {
    expect(normalizeRestrictionValue('host', 'a'.repeat(301))).toEqual({ error: 'must be at most 300 characters' });
  });
});

describe('origins and host patterns', () => {
  it.each([
    ['https://app.example.com', 'app.example.com'],
    ['https://APP.example.com:8443', 'app.example.com'],
    ['http://example.com.', 'example.com'],
    ['https://evil.test\\@example.com', 'evil.test'],
    ['null', null],
    ['not a url', null],
    [null, null],
  ])('reads the host of the Origin %j as %j', (origin, host) => {
    expect(originHost(origin)).toBe(host);
  });

  it('matches a wildcard at any depth of subdomain but not the bare domain', () => {
    expect(hostMatches('*.example.com', 'a.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'a.b.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostMatches('*.example.com', 'badexample.com')).toBe(false);
    expect(hostMatches('*.example.com', 'example.com.evil.test')).toBe(false);
  });

  it('matches an exact pattern only exactly', () => {
    expect(hostMatches('app.example.com', 'app.example.com')).toBe(true);
    expect(hostMatches('app.example.com', 'x.app.example.com')).toBe(false);
  });
});

describe('restrictionsAllow', () => {
  const request = { ip: '203.0.113.7', origin: 'https://app.example.com', api: 'accounts' };
  const ip = (value: string) => ({ type: 'ip' as const, value });
  const host = (value: string) => ({ type: 'host' as const, value });
  const api = (value: string) => ({ type: 'api' as const, value });

  it('lets everything through when there are no restrictions', () => {
    expect(restrictionsAllow([], { ip: null, origin: null, api: 'anything' })).toBe(true);
  });

  it('ORs restrictions of one type', () => {
    expect(restrictionsAllow([ip('198.51.100.1'), ip('203.0.113.7')], request)).toBe(true);
    expect(restrictionsAllow([ip('198.51.100.1'), ip('198.51.100.2')], request)).toBe(false);
    expect(restrictionsAllow([host('other.example.com'), host('app.example.com')], request)).toBe(true);
    expect(restrictionsAllow([host('other.example.com'), host('*.example.org')], request)).toBe(false);
    expect(restrictionsAllow([api('billing'), api('accounts')], request)).toBe(true);
    expect(restrictionsAllow([api('billing'), api('reports')], request)).toBe(false);
  });

  it('ANDs restrictions of different types', () => {
    expect(restrictionsAllow([ip('203.0.113.0/24'), host('app.example.com')], request)).toBe(true);
    expect(restrictionsAllow([ip('203.0.113.0/24'), host('other.example.com')], request)).toBe(false);
    expect(restrictionsAllow([ip('198.51.100.0/24'), host('app.example.com')], request)).toBe(false);
  });

  it('fails a host restriction for a request without an Origin', () => {
    expect(restrictionsAllow([host('app.example.com')], { ...request, origin: null })).toBe(false);
  });

  it('fails an ip restriction when the caller address is unknown', () => {
    expect(restrictionsAllow([ip('0.0.0.0/0')], { ...request, ip: null })).toBe(false);
  });

  it('matches IPv4 and IPv6 CIDR ranges', () => {
    expect(restrictionsAllow([ip('203.0.112.0/23')], request)).toBe(true);
    expect(restrictionsAllow([ip('2001:db8::/32')], { ...request, ip: '2001:db8:ffff::1' })).toBe(true);
    expect(restrictionsAllow([ip('2001:db8::/32')], { ...request, ip: '2001:db9::1' })).toBe(false);
  });

  it('matches an IPv4 range against an IPv4-mapped socket address', () => {
    expect(restrictionsAllow([ip('1.2.3.0/24')], { ...request, ip: '::ffff:1.2.3.9' })).toBe(true);
  });

  it('never matches IPv4 against an IPv6 range or the reverse', () => {
    expect(restrictionsAllow([ip('::/0')], request)).toBe(false);
    expect(restrictionsAllow([ip('0.0.0.0/0')], { ...request, ip: '2001:db8::1' })).toBe(false);
  });

  it('matches the API name case-insensitively', () => {
    expect(restrictionsAllow([api('accounts')], { ...request, api: 'Accounts' })).toBe(true);
    expect(restrictionsAllow([api('billing')], request)).toBe(false);
  });

  it('fails closed on a stored value that does not parse', () => {
    expect(restrictionsAllow([ip('not-an-ip')], request)).toBe(false);
  });
});

describe('RestrictionInput codec', () => {
  const Body = struct('Body', { restrictions: listOf(RestrictionInput, 1, 10) });

  it('normalizes each value for its type', () => {
    const result = decode(Body, {
      restrictions: [
        { type: 'ip', value: '10.9.9.9/8' },
        { type: 'host', value: 'APP.example.com' },
      ],
    });
    expect(result.ok && result.val.restrictions).toEqual([
      { type: 'ip', value: '10.0.0.0/8' },
      { type: 'host', value: 'app.example.com' },
    ]);
    expect(RestrictionInput.is({ type: 'ip', value: '1.2.3.4' })).toBe(true);
  });

  it('reports every bad entry at its own path', () => {
    const result = decode(Body, {
      restrictions: [
        { type: 'ip', value: '300.1.1.1' },
        { type: 'host', value: 'ok.example.com' },
        { type: 'host', value: 'https://x' },
        { type: 'colour', value: 'red' },
        { type: 'api', value: 7 },
      ],
    });
    expect(result.err && result.val.details?.map((detail) => detail.path)).toEqual([
      'restrictions.0.value',
      'restrictions.2.value',
      'restrictions.3.type',
      'restrictions.4.value',
    ]);
  });
});

describe('properties', () => {
  const ipv4Text = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((octets) => octets.join('.'));
  const ipv6Value = fc.bigInt({ min: 0n, max: MAX_IPV6 }).filter((value) => value >> 32n !== 0xffffn);

  it('every IPv4 address round-trips through parse and format', () => {
    fc.assert(
      fc.property(ipv4Text, (text) => {
        const address = parseIp(text);
        return address !== null && address.version === 4 && formatIp(address) === text;
      }),
    );
  });

  it('every IPv6 value round-trips through format and parse', () => {
    fc.assert(
      fc.property(ipv6Value, (value) => {
        const text = formatIp({ version: 6, value });
        return text === text.toLowerCase() && parseIp(text)?.value === value;
      }),
    );
  });

  it('every textual IPv6 form parses, and its canonical form means the same address', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const address = parseIp(text);
        if (address === null) return false;
        const canonical = parseIp(formatIp(address));
        return canonical !== null && canonical.value === address.value && canonical.version === address.version;
      }),
    );
  });

  it('an address lies inside its own /32 or /128', () => {
    fc.assert(
      fc.property(ipv4Text, (text) => {
        const range = parseIpRange(`${text}/32`);
        return range !== null && ipRangeContains(range, parseIp(text) as IpAddress);
      }),
    );
    fc.assert(
      fc.property(ipv6Value, (value) => {
        const text = formatIp({ version: 6, value });
        const range = parseIpRange(`${text}/128`);
        return range !== null && formatIpRange(range) === text && ipRangeContains(range, { version: 6, value });
      }),
    );
  });

  it('IPv4 CIDR containment agrees with comparing the leading bits', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.integer({ min: 0, max: 32 }), (net, addr, prefix) => {
        const range = parseIpRange(`${formatIp({ version: 4, value: BigInt(net) })}/${prefix}`);
        const inside = bitsOf(BigInt(net), 32).slice(0, prefix) === bitsOf(BigInt(addr), 32).slice(0, prefix);
        return range !== null && ipRangeContains(range, { version: 4, value: BigInt(addr) }) === inside;
      }),
    );
  });

  it('IPv6 CIDR containment agrees with comparing the leading bits', () => {
    fc.assert(
      fc.property(ipv6Value, ipv6Value, fc.integer({ min: 0, max: 128 }), (net, addr, prefix) => {
        const range = parseIpRange(`${formatIp({ version: 6, value: net })}/${prefix}`);
        const inside = bitsOf(net, 128).slice(0, prefix) === bitsOf(addr, 128).slice(0, prefix);
        return range !== null && ipRangeContains(range, { version: 6, value: addr }) === inside;
      }),
    );
  });

  it('normalizing a normalized ip value changes nothing', () => {
    fc.assert(
      fc.property(ipv6Value, fc.integer({ min: 0, max: 128 }), (value, prefix) => {
        const once = normalized('ip', `${formatIp({ version: 6, value })}/${prefix}`);
        return normalized('ip', once) === once;
      }),
    );
  });
});
