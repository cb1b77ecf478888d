import { clientAddress, headerValue, normalizeAddress } from '../../src/handlers/request';

describe('headerValue', () => {
  it('finds a header whatever the case of its name', () => {
    expect(headerValue({ 'Content-Type': 'application/json' }, 'content-type')).toBe('application/json');
  });

  it('joins a repeated header, so a duplicated credential never looks valid', () => {
    expect(headerValue({ authorization: ['Bearer a', 'Bearer b'] }, 'Authorization')).toBe('Bearer a, Bearer b');
  });

  it('answers null for a missing header', () => {
    expect(headerValue({}, 'origin')).toBeNull();
  });
});

describe('clientAddress', () => {
  const forwarded = { 'x-forwarded-for': '198.51.100.1, 192.0.2.10, 10.0.0.5' };

  it('is the socket address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('10.0.0.1', forwarded)).toBe('10.0.0.1');
    expect(clientAddress('10.0.0.1', forwarded, false)).toBe('10.0.0.1');
  });

  it('with one trusted proxy, is the entry that proxy appended (the right-most)', () => {
    expect(clientAddress('10.0.0.1', forwarded, true)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.1', forwarded, 1)).toBe('10.0.0.5');
  });

  it('with a chain of trusted proxies, counts that many entries from the right', () => {
    expect(clientAddress('10.0.0.1', forwarded, 2)).toBe('192.0.2.10');
    expect(clientAddress('10.0.0.1', forwarded, 3)).toBe('198.51.100.1');
  });

  it('falls back to the socket when the header is missing, too short or not an address', () => {
    expect(clientAddress('10.0.0.1', {}, true)).toBe('10.0.0.1');
    expect(clientAddress('10.0.0.1', forwarded, 4)).toBe('10.0.0.1');
    expect(clientAddress('10.0.0.1', { 'x-forwarded-for': 'evil' }, true)).toBe('10.0.0.1');
  });

  it('gives IPv4-mapped IPv6 socket addresses as IPv4', () => {
    expect(clientAddress('::ffff:127.0.0.1', {})).toBe('127.0.0.1');
  });

  it('is null when the socket address is unknown', () => {
    expect(clientAddress(undefined, {})).toBeNull();
  });
});

describe('normalizeAddress', () => {
  it('keeps IPv6, strips brackets, and refuses non-addresses', () => {
    expect(normalizeAddress('2001:db8::1')).toBe('2001:db8::1');
    expect(normalizeAddress('[2001:db8::1]')).toBe('2001:db8::1');
    expect(normalizeAddress('localhost')).toBeNull();
  });
});
