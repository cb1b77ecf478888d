/** Review probe: every old/new disagreement that is NOT of the `::a.b.c.d` (IPv4-compatible) class. */
import * as oldIp from './old-access-restrictions.fixture';
import * as newIp from '../../src/domain/ip-addresses';
import { ipRangeContains, parseIpRange, parseRequestIp } from '../../src/domain/ip-addresses';
import { ipRestrictionAllows } from './probe-helpers';

test('disagreements other than ::a.b.c.d', () => {
  const alphabet = '0123456789abcdefABCDEFx:.%/[] -+';
  const seeds = ['1.2.3.4', '::ffff:1.2.3.4', '2001:db8::1', 'fe80::1%eth0', '1:2:3:4:5:6:7:8', '::', '10.0.0.0/8', '::ffff:0:0/96', '[::1]', '1:2:3:4:5:6:1.2.3.4'];
  let s = 99;
  const rnd = (n: number) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const seen = new Set<string>();
  const other: string[] = [];
  for (let i = 0; i < 300000; i++) {
    const chars = seeds[rnd(seeds.length)].split('');
    for (let k = 0, n = 1 + rnd(4); k < n; k++) {
      const at = rnd(chars.length + 1);
      const c = alphabet[rnd(alphabet.length)];
      const op = rnd(3);
      if (op === 0) chars.splice(at, 0, c);
      else if (op === 1) chars.splice(at, 1);
      else chars.splice(at, 1, c);
    }
    const input = chars.join('');
    if (seen.has(input)) continue;
    seen.add(input);
    for (const fn of ['parseIp', 'parseRequestIp', 'parseIpRange'] as const) {
      const a = JSON.stringify((oldIp as any)[fn](input), (_k, x) => (typeof x === 'bigint' ? String(x) : x));
      const b = JSON.stringify((newIp as any)[fn](input), (_k, x) => (typeof x === 'bigint' ? String(x) : x));
      if (a !== b && !/^\[?::(0:)*\d+\.\d+\.\d+\.\d+/.test(input)) other.push(`${fn}(${JSON.stringify(input)}) old=${a} new=${b}`);
    }
  }
  console.log(`${seen.size} inputs; other disagreements: ${other.length}\n${other.slice(0, 40).join('\n')}`);
});

test('impact: IPv4-compatible ranges widen to IPv4 ranges', () => {
  const cases: Array<[string, string]> = [
    ['::0.0.0.0/96', '203.0.113.7'],
    ['::0.0.0.0/96', '8.8.8.8'],
    ['::1.2.3.0/120', '1.2.3.99'],
    ['::10.0.0.1', '10.0.0.1'],
  ];
  for (const [restriction, caller] of cases) {
    const range = parseIpRange(restriction);
    const oldRange = oldIp.parseIpRange(restriction);
    const address = parseRequestIp(caller)!;
    console.log(
      `restriction ${restriction}: stored old=${oldRange && oldIp.formatIpRange(oldRange)} new=${range && newIp.formatIpRange(range)}; ` +
        `caller ${caller} allowed old=${oldRange !== null && oldIp.ipRangeContains(oldRange, address)} new=${range !== null && ipRangeContains(range, address)}` +
        ` via public API: ${ipRestrictionAllows(restriction, caller)}`,
    );
  }
});
