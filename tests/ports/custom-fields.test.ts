import {
  type CustomFields,
  customFieldsFromJson,
  customFieldsToJson,
  type EntityFields,
  InvalidCustomFieldsError,
  type Io,
  MAX_CUSTOM_FIELDS_BYTES,
  type User,
} from '../../src';

/** What an application's codecs would give (`t.TypeOf` of `t.type({ … })` is a type literal like these). */
type AppFields = {
  user: { plan: 'free' | 'pro'; seats: number };
  organization: { region: string };
  membership: { title: string | null };
  client: { team: string };
};

describe('custom fields as JSON', () => {
  it('lets an Io of typed fields stand for an Io, never the other way round (checked by the typecheck)', () => {
    const typedIsAnIo = (typed: Io<AppFields>): Io => typed;
    // @ts-expect-error an Io's fields are opaque JSON objects, not the application's
    const plainIsNotTyped = (plain: Io): Io<AppFields> => plain;
    const typedSpeaksItsFields = async (io: Io<AppFields>, user: User<AppFields['user']>) => {
      await io.insertUser(user);
      // @ts-expect-error the plan is 'free' or 'pro'
      await io.updateUser(user.id, { fields: { plan: 'gold', seats: 1 }, updatedAt: new Date() });
      // @ts-expect-error a membership's fields are its own
      await io.updateMembershipFields('mem_1', { team: 'x' });
      const found = await io.findUserByEmail('ada@example.com');
      return found?.user.fields.plan;
    };
    const anyShape: EntityFields = { user: {}, organization: {}, membership: {}, client: {} };
    expect([typedIsAnIo, plainIsNotTyped, typedSpeaksItsFields, anyShape]).toHaveLength(4);
  });

  const rich: CustomFields = {
    text: 'Grüße 👋🏽 "quoted" \\ \n \u0000 \ud83d',
    numbers: [0, -1, 0.1 + 0.2, 5e-324, Number.MAX_VALUE],
    flags: [true, false, null],
    nested: { deeper: { deepest: [[{}], []] } },
    '': 'empty key',
  };

  it('writes a plain JSON object that reads back deep-equal', () => {
    expect(customFieldsFromJson(customFieldsToJson(rich, 'user'))).toStrictEqual(rich);
  });

  it('reads a stored null (a row older than custom fields) as {}', () => {
    expect(customFieldsFromJson(null)).toStrictEqual({});
  });

  it('refuses stored JSON that is not an object', () => {
    for (const json of ['null', '[]', '"text"', '1']) expect(() => customFieldsFromJson(json)).toThrow(TypeError);
  });

  class Plan {
    name = 'pro';
  }
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const holes: number[] = [];
  holes[0] = 1;
  holes[2] = 3;
  const extra = Object.assign([1, 2], { note: 'dropped by JSON' });
  const hidden = Object.defineProperty({ a: 1 }, 'b', { value: 2, enumerable: false });

  it.each<[string, unknown, string, string]>([
    ['not an object', 'pro', 'fields', 'a string'],
    ['null', null, 'fields', 'null'],
    ['an array', [1], 'fields', 'an array'],
    ['a Date', new Date(0), 'fields', 'a Date'],
    ['undefined inside', { a: { b: undefined } }, 'fields.a.b', 'undefined'],
    ['a function', { onChange: () => undefined }, 'fields.onChange', 'a function'],
    ['a symbol', { s: Symbol('s') }, 'fields.s', 'a symbol'],
    ['a bigint', { n: 1n }, 'fields.n', 'a bigint'],
    ['NaN', { score: Number.NaN }, 'fields.score', 'NaN'],
    ['Infinity', { list: [1, Number.POSITIVE_INFINITY] }, 'fields.list[1]', 'Infinity'],
    ['a nested Date', { since: new Date(0) }, 'fields.since', 'a Date'],
    ['a Map', { m: new Map() }, 'fields.m', 'a Map'],
    ['a class instance', { plan: new Plan() }, 'fields.plan', 'a Plan'],
    ['a null prototype', { bare: Object.create(null) }, 'fields.bare', 'an object with a null prototype'],
    ['symbol keys', { tagged: { [Symbol('k')]: 1 } }, 'fields.tagged', 'an object with symbol or non-enumerable keys'],
    ['non-enumerable keys', { hidden }, 'fields.hidden', 'an object with symbol or non-enumerable keys'],
    ['an array with holes', { holes }, 'fields.holes', 'an array with holes or extra properties'],
    ['an array with extra properties', { extra }, 'fields.extra', 'an array with holes or extra properties'],
    ['a circular reference', { loop: circular }, 'fields.loop.self', 'a circular reference'],
    ['an odd key', { 'two words': { x: undefined } }, 'fields["two words"].x', 'undefined'],
  ])('refuses %s, naming the path and never the value', (_case, fields, path, found) => {
    const attempt = () => customFieldsToJson(fields, 'membership');
    expect(attempt).toThrow(InvalidCustomFieldsError);
    expect(attempt).toThrow(`the custom fields of a membership cannot be stored: ${path} is ${found}, not JSON`);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ entity: 'membership', path, found });
    }
  });

  it('refuses more JSON than a MySQL TEXT column holds, counting UTF-8 bytes', () => {
    const fits = { a: 'x'.repeat(MAX_CUSTOM_FIELDS_BYTES - '{"a":""}'.length) };
    expect(customFieldsToJson(fits, 'user')).toHaveLength(MAX_CUSTOM_FIELDS_BYTES);
    const emoji = { a: '👋'.repeat(MAX_CUSTOM_FIELDS_BYTES / 4) };
    expect(() => customFieldsToJson(emoji, 'user')).toThrow(/is \d+ bytes of JSON \(at most 65535\)/);
  });

  it('stores -0 as 0, the one number JSON cannot tell apart', () => {
    expect(customFieldsFromJson(customFieldsToJson({ zero: -0 }, 'user'))).toStrictEqual({ zero: 0 });
  });
});
