import { fromDbTime, toDbTime } from '../../../src/adapters/sql/dialect';

describe('timestamps as MySQL/MariaDB DATETIME(3) strings', () => {
  it.each([
    '1970-01-01 00:00:00.000',
    '2026-12-02 07:41:02.123',
    '2024-02-29 23:59:59.999',
    '9999-12-31 23:59:59.999',
    '2026-12-02 07:41:02',
  ])('reads %s as that instant in UTC', (text) => {
    expect(fromDbTime(text).toISOString()).toBe(`${text.replace(' ', 'T')}${text.length === 19 ? '.000' : ''}Z`);
  });

  it('round-trips every millisecond of a day boundary through toDbTime', () => {
    for (const iso of ['2026-12-31T23:59:59.999Z', '2027-01-01T00:00:00.000Z', '2026-06-15T12:34:56.007Z']) {
      const date = new Date(iso);
      expect(fromDbTime(toDbTime('mysql', date))).toEqual(date);
    }
  });

  it('reads the other stored forms as before: ISO with a zone, epoch milliseconds, Date', () => {
    expect(fromDbTime('2026-12-02T07:41:02.123+01:00').toISOString()).toBe('2026-12-02T06:41:02.123Z');
    expect(fromDbTime('1764661262123').getTime()).toBe(1764661262123);
    expect(fromDbTime(1764661262123).getTime()).toBe(1764661262123);
    expect(fromDbTime(new Date(5)).getTime()).toBe(5);
  });

  it('gives an invalid date for a malformed string rather than a wrong instant', () => {
    expect(Number.isNaN(fromDbTime('2026-12-0x 07:41:02.123').getTime())).toBe(true);
    expect(Number.isNaN(fromDbTime('not a time').getTime())).toBe(true);
  });
});
