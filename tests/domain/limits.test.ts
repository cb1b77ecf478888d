import { ipLimitKey } from '../../src/domain/limits';
import { DEFAULT_CONFIG } from '../../src/ports/lib';

describe('ipLimitKey: what per-IP limits count (SPEC §7)', () => {
  it('counts IPv4 whole, IPv4-mapped IPv6 as its IPv4, and IPv6 by its /64', () => {
    expect(ipLimitKey(DEFAULT_CONFIG, '203.0.113.9')).toBe('203.0.113.9');
    expect(ipLimitKey(DEFAULT_CONFIG, '::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(ipLimitKey(DEFAULT_CONFIG, '::ffff:cb00:7109')).toBe('203.0.113.9');
    const one = ipLimitKey(DEFAULT_CONFIG, '2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(one).toBe('2001:db8:1:2::/64');
    expect(ipLimitKey(DEFAULT_CONFIG, '[2001:0db8:0001:0002::1]')).toBe(one);
    expect(ipLimitKey(DEFAULT_CONFIG, '2001:db8:1:3::1')).not.toBe(one);
  });

  it('takes the IPv6 prefix length from the configuration', () => {
    const config = { ...DEFAULT_CONFIG, ipv6LimitPrefixLength: 48 };
    expect(ipLimitKey(config, '2001:db8:1:2::1')).toBe(ipLimitKey(config, '2001:db8:1:ffff::1'));
    expect(ipLimitKey(config, '2001:db8:1:2::1')).toBe('2001:db8:1::/48');
    expect(ipLimitKey({ ...DEFAULT_CONFIG, ipv6LimitPrefixLength: 128 }, '2001:db8::1')).toBe('2001:db8::1/128');
  });

  it('counts an unknown or unparsable address in one shared bucket, or not at all when told to skip', () => {
    expect(ipLimitKey(DEFAULT_CONFIG, null)).toBe('unknown');
    expect(ipLimitKey(DEFAULT_CONFIG, 'not an address')).toBe('unknown');
    const skip = { ...DEFAULT_CONFIG, ipLimitsWithoutAddress: 'skip' as const };
    expect(ipLimitKey(skip, null)).toBeNull();
    expect(ipLimitKey(skip, '203.0.113.9')).toBe('203.0.113.9');
  });
});
