import { expectNoFields, isJsonContentType, parseJsonBody } from '../../src/handlers/body';

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('parseJsonBody', () => {
  it('parses a JSON object sent as application/json', () => {
    expect(parseJsonBody('{"name":"Ada"}', JSON_HEADERS).unwrap()).toEqual({ name: 'Ada' });
  });

  it('reads bytes as UTF-8', () => {
    expect(parseJsonBody(Buffer.from('{"name":"Zoë"}'), JSON_HEADERS).unwrap()).toEqual({ name: 'Zoë' });
  });

  it('treats an absent or empty body as an empty object, whatever the content type', () => {
    expect(parseJsonBody(undefined, {}).unwrap()).toEqual({});
    expect(parseJsonBody('', { 'content-type': 'text/plain' }).unwrap()).toEqual({});
    expect(parseJsonBody(new Uint8Array(0), {}).unwrap()).toEqual({});
  });

  it('refuses a body without a content type as an unsupported media type', () => {
    expect(parseJsonBody('{}', {}).val).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/jsonx'])(
    'refuses the content type %s',
    (contentType) => {
      expect(parseJsonBody('{}', { 'content-type': contentType }).val).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
      });
    },
  );

  it('refuses text that is not JSON', () => {
    expect(parseJsonBody('{"name":', JSON_HEADERS).val).toMatchObject({ code: 'INVALID_JSON' });
    expect(parseJsonBody("{'a':1}", JSON_HEADERS).val).toMatchObject({ code: 'INVALID_JSON' });
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(parseJsonBody(Uint8Array.from([0x7b, 0xff, 0x7d]), JSON_HEADERS).val).toMatchObject({
      code: 'INVALID_JSON',
    });
  });

  it('refuses nesting past 32 levels by name, and malformed deep JSON as invalid JSON', () => {
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    const refused = parseJsonBody(deep, JSON_HEADERS);
    expect(refused.err && refused.val).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: '(body)', message: 'must not nest deeper than 32 levels' }],
    });
    expect(parseJsonBody(`${'['.repeat(32)}${']'.repeat(32)}`, JSON_HEADERS).ok).toBe(true);
    const unclosed = parseJsonBody('['.repeat(50_000), JSON_HEADERS);
    expect(unclosed.err && unclosed.val.code).toBe('INVALID_JSON');
  });

  it('ignores a leading byte-order mark', () => {
    expect(parseJsonBody('\ufeff{"a":1}', JSON_HEADERS).unwrap()).toEqual({ a: 1 });
  });

  it('refuses a body over the limit, counting bytes rather than characters', () => {
    expect(parseJsonBody('"éé"', JSON_HEADERS, 5).val).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(parseJsonBody('"ab"', JSON_HEADERS, 4).unwrap()).toBe('ab');
  });
});

describe('isJsonContentType', () => {
  it.each([
    'application/json',
    'Application/JSON',
    'application/json; charset=utf-8',
    'application/json;charset="utf-8"',
  ])('accepts %s', (value) => {
    expect(isJsonContentType(value)).toBe(true);
  });

  it('accepts unrelated parameters', () => {
    expect(isJsonContentType('application/json; profile=x')).toBe(true);
  });
});

describe('expectNoFields', () => {
  it('accepts an empty object', () => {
    expect(expectNoFields({}).ok).toBe(true);
  });

  it('names each field given to a route that takes none', () => {
    expect(expectNoFields({ a: 1, b: 2 }).val).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [
        { path: 'a', message: 'is not a known field' },
        { path: 'b', message: 'is not a known field' },
      ],
    });
  });

  it('refuses a body that is not an object', () => {
    expect(expectNoFields([1]).val).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: '(body)' }] });
    expect(expectNoFields('x').val).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('parseJsonBody and NUL characters', () => {
  it('refuses U+0000 in a value or a key, which some databases cannot store', () => {
    expect(parseJsonBody('{"name":"a\\u0000b"}', JSON_HEADERS).val).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: '(body)', message: 'must not contain U+0000' }],
    });
    expect(parseJsonBody('{"a\\u0000":1}', JSON_HEADERS).val).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
