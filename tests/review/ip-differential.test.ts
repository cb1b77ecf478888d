/**
 * Review probe: old hand-written IP parsing (5cb8e4c) against the ipaddr.js-based one, on a corpus of
 * tricky inputs plus random mutations. Prints every input where they disagree.
 */
import * as oldIp from './old-access-restrictions.fixture';
import * as newIp from '../../src/domain/ip-addresses';
import { limitNetwork } from '../../src/domain/ip-addresses';

const corpus = [
  '1.2.3.4', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3.04', '0x7f.0.0.1', '127.1', '127.0.1',
  '1.2.3.4.', '.1.2.3.4', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4\n', '\t1.2.3.4', '1..2.3',
  '+1.2.3.4', '1.2.3.-4', '1e1.2.3.4', '١.2.3.4', '1.2.3.4/24', '00.0.0.0', '0.0.0.00', '4294967295', '0',
  '::', '::1', '::ffff:1.2.3.4', '::FFFF:1.2.3.4', '::ffff:01.2.3.4', '::ffff:1.2.3', '::ffff:0102:0304',
  '0:0:0:0:0:ffff:1.2.3.4', '::ffff:0:1.2.3.4', '::1.2.3.4', '64:ff9b::1.2.3.4', 'fe80::1%eth0', 'fe80::1%',
  '2001:db8::1', '2001:DB8::1', '2001:db8:0:0:0:0:0:1', '2001:db8::0:1', '2001:0db8::1', '2001:00db8::1',
  '2001:db8:::1', '2001:db8::1::', ':::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::',
  '::2:3:4:5:6:7:8', '1::3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4',
  '[::1]', '::1/128', '::ffff:1.2.3.4/120', 'fe80::/10', '::/0', 'g::1', '0x1::1', '::-1', ':1::', '1::',
  '1:', ':1', '1:2:3:4:5:6:7:8%25', '::1%25eth0', '::ffff:255.255.255.256', '::ffff:1.2.3.4%eth0',
  '2001:db8::1.2.3.04', '2001:db8::01.2.3.4', '::ffff:1.2.3.4.5', '1.2.3.4::', '::1.2.3.4:1',
  '0000:0000:0000:0000:0000:0000:0000:0001', '00000::1', '1:2:3:4:5:6:7:8/64', '::ffff:a.b.c.d',
  '2001:db8::', '2001:db8::%1', '::ffff:0.0.0.0', '::ffff:ffff:ffff', '::0:ffff:1.2.3.4', 'ffff::1.2.3.4',
];

function mutations(seed: string[]): string[] {
  const alphabet = '0123456789abcdefABCDEFx:.%/[] -+';
  const out: string[] = [];
  let s = 12345;
  const rnd = (n: number) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  for (let i = 0; i < 200000; i++) {
    const base = seed[rnd(seed.length)];
    const chars = base.split('');
    for (let k = 0, n = 1 + rnd(3); k < n; k++) {
    const op = rnd(3);
    const at = rnd(chars.length + 1);
    const c = alphabet[rnd(alphabet.length)];
    if (op === 0) chars.splice(at, 0, c);
    else if (op === 1) chars.splice(at, 1);
    else chars.splice(at, 1, c);
    }
    out.push(chars.join(''));
  }
  return out;
}

const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString(16) : x));

test('old and new IP parsing agree', () => {
  const inputs = [...new Set([...corpus, ...mutations(corpus)])];
  const disagreements: string[] = [];
  for (const input of inputs) {
    for (const fn of ['parseIp', 'parseRequestIp', 'parseIpRange'] as const) {
      const a = show((oldIp as never as Record<string, (x: string) => unknown>)[fn](input));
      const b = show((newIp as never as Record<string, (x: string) => unknown>)[fn](input));
      if (a !== b) disagreements.push(`${fn}(${JSON.stringify(input)}): old=${a} new=${b}`);
    }
    const pa = oldIp.parseIp(input);
    if (pa) {
      const fa = oldIp.formatIp(pa);
      const fb = newIp.formatIp(pa);
      if (fa !== fb) disagreements.push(`formatIp(${JSON.stringify(input)}): old=${fa} new=${fb}`);
    }
  }
  console.log(`${inputs.length} inputs, ${disagreements.length} disagreements\n${disagreements.slice(0, 60).join('\n')}`);
  expect(disagreements).toEqual([]);
});

test('limitNetwork on odd forms', () => {
  const rows = ['::ffff:1.2.3.4', '[::ffff:1.2.3.4]', 'fe80::1%eth0', '2001:db8:1:2:3:4:5:6', '1.2.3.4', '01.2.3.4', '127.1'].map(
    (ip) => `${ip} -> ${limitNetwork(ip, 64)}`,
  );
  console.log(rows.join('\n'));
});
