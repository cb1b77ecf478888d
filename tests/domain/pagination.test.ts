import {
  DEFAULT_PAGE_LIMIT,
  decodeCursor,
  decodePageRequest,
  encodeCursor,
  MAX_PAGE_LIMIT,
  toPage,
} from '../../src/domain/pagination';
import { ok } from '../support/setup';

const KEY = { createdAt: new Date('2030-01-01T12:00:00.123Z'), id: 'mem_abc' };
const rows = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ createdAt: new Date(index), id: `row_${index}` }));
const keyOf = (row: { createdAt: Date; id: string }) => ({ createdAt: row.createdAt, id: row.id });

describe('page requests', () => {
  it('defaults to the first page of 50 rows', () => {
    expect(ok(decodePageRequest(undefined))).toEqual({ limit: DEFAULT_PAGE_LIMIT });
    expect(ok(decodePageRequest({}))).toEqual({ limit: 50 });
  });

  it('takes a limit from 1 to 200, as a number or the decimal string of a query', () => {
    expect(ok(decodePageRequest({ limit: '1' }))).toEqual({ limit: 1 });
    expect(ok(decodePageRequest({ limit: 200 }))).toEqual({ limit: MAX_PAGE_LIMIT });
  });

  it.each([['0'], ['201'], ['abc'], ['1.5'], [''], ['-1'], ['1e2'], [' 5'], [0], [1.5], [['1', '2']], [null]])(
    'refuses the limit %j, naming limit',
    (limit) => {
      const result = decodePageRequest({ limit } as never);
      expect(result.err && result.val).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ path: 'limit', message: 'must be an integer from 1 to 200' }],
      });
    },
  );

  it('resumes after the key a cursor holds', () => {
    expect(ok(decodePageRequest({ limit: '2', cursor: encodeCursor(KEY) }))).toEqual({ limit: 2, after: KEY });
  });

  it('refuses an unknown field', () => {
    expect(decodePageRequest({ offset: 10 } as never).val).toMatchObject({ details: [{ path: 'offset' }] });
  });
});

describe('cursors', () => {
  it('round-trip the key of a row, as base64url text', () => {
    const cursor = encodeCursor(KEY);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(KEY);
  });

  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  it.each([
    ['not base64url', 'not a cursor!'],
    ['not JSON', Buffer.from('{nope').toString('base64url')],
    ['another version', encode({ v: 2, t: 0, i: 'mem_abc' })],
    ['no version', encode({ t: 0, i: 'mem_abc' })],
    ['a string time', encode({ v: 1, t: '0', i: 'mem_abc' })],
    ['an impossible time', encode({ v: 1, t: 9e15, i: 'mem_abc' })],
    ['a fractional time', encode({ v: 1, t: 1.5, i: 'mem_abc' })],
    ['an empty id', encode({ v: 1, t: 0, i: '' })],
    ['a number id', encode({ v: 1, t: 0, i: 7 })],
    ['an extra field', encode({ v: 1, t: 0, i: 'mem_abc', x: 1 })],
    ['an array', encode([1, 0, 'mem_abc'])],
    ['padding', `${encodeCursor(KEY)}=`],
    ['too long', 'A'.repeat(513)],
    ['empty', ''],
  ])('refuse %s, naming cursor', (_, cursor) => {
    expect(decodeCursor(cursor)).toBeNull();
    expect(decodePageRequest({ cursor }).val).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: 'cursor' }],
    });
  });
});

describe('pages', () => {
  it('shows limit rows and a cursor after the last of them when the Io found one more', () => {
    const page = toPage(rows(3), { limit: 2 }, keyOf, (row) => row.id);
    expect(page.data).toEqual(['row_0', 'row_1']);
    expect(decodeCursor(page.nextCursor ?? '')).toEqual(keyOf(rows(3)[1]!));
  });

  it('ends with a null cursor when no row is beyond the page', () => {
    expect(toPage(rows(2), { limit: 2 }, keyOf, (row) => row.id)).toEqual({
      data: ['row_0', 'row_1'],
      nextCursor: null,
    });
    expect(toPage([], { limit: 2 }, keyOf, (row) => row)).toEqual({ data: [], nextCursor: null });
  });
});
