import { validate } from '@readme/openapi-parser';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import * as t from 'io-ts';
import { decode, listOf, Opaque, struct } from '../../src/domain/codecs';
import {
  CodecSchemas,
  createHandlers,
  DOMAIN_LEAF_SCHEMAS,
  type JsonSchema,
  openApiDocument,
  openApiPath,
  ROUTE_DEFINITIONS,
  UnconvertibleCodecError,
} from '../../src/handlers';
import { ResponseSchemas } from '../e2e/contract/response-schemas';
import { stubAccounts } from './stub-accounts';

const document = openApiDocument();
const paths = document.paths as Record<string, Record<string, JsonSchema>>;
const schemas = (document.components as { schemas: Record<string, JsonSchema> }).schemas;

/** A request body schema as Ajv compiles it on its own: component references become `$defs`. */
function requestValidator(route: (typeof ROUTE_DEFINITIONS)[number]) {
  const operation = paths[openApiPath(route.path)][route.method.toLowerCase()];
  const body = operation.requestBody as { content: Record<string, { schema: JsonSchema }> };
  const toDefs = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll('#/components/schemas/', '#/$defs/'));
  const ajv = new Ajv2020({ strict: true, strictTypes: false });
  addFormats(ajv);
  return ajv.compile({ ...toDefs(body.content['application/json'].schema), $defs: toDefs(schemas) });
}

describe('openApiDocument', () => {
  it('is a valid OpenAPI 3.1 document by @readme/openapi-parser', async () => {
    const result = await validate(structuredClone(document) as Parameters<typeof validate>[0]);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.specification).toBe('OpenAPI');
    expect(document.openapi).toBe('3.1.0');
  });

  it('has every route of the table, and nothing else', () => {
    const documented = Object.entries(paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const table = ROUTE_DEFINITIONS.map((route) => `${route.method} ${openApiPath(route.path)}`);
    expect(documented.sort()).toEqual([...table].sort());
    expect(table).toContain('GET /openapi.json');
  });

  it('gives every list route the limit and cursor query parameters and a { data, nextCursor } answer', () => {
    const listed = ROUTE_DEFINITIONS.filter((route) => route.docs.success.page).map(
      (route) => `${route.method} ${route.path}`,
    );
    expect(listed.sort()).toEqual(
      [
        'GET /clients/:id/access-restrictions',
        'GET /organizations/:id/clients',
        'GET /organizations/:id/events',
        'GET /organizations/:id/invitations',
        'GET /organizations/:id/memberships',
        'GET /users/:id/events',
        'GET /users/:id/invitations',
        'GET /users/:id/login-emails',
        'GET /users/:id/sessions',
      ].sort(),
    );
    // The event routes' filters come before the page parameters, each optional and described.
    const filters = [
      expect.objectContaining({
        name: 'type',
        required: false,
        explode: false,
        schema: expect.objectContaining({ type: 'array' }),
      }),
      expect.objectContaining({
        name: 'from',
        required: false,
        schema: expect.objectContaining({ format: 'date-time' }),
      }),
      expect.objectContaining({
        name: 'to',
        required: false,
        schema: expect.objectContaining({ format: 'date-time' }),
      }),
    ];
    for (const route of ROUTE_DEFINITIONS) {
      const operation = paths[openApiPath(route.path)][route.method.toLowerCase()];
      const query = ((operation.parameters ?? []) as JsonSchema[]).filter((parameter) => parameter.in === 'query');
      if (!route.docs.success.page) {
        expect({ route: route.path, query }).toEqual({ route: route.path, query: [] });
        continue;
      }
      expect(query).toEqual([
        ...(route.path.endsWith('/events') ? filters : []),
        expect.objectContaining({ name: 'limit', required: false, schema: expect.objectContaining({ maximum: 200 }) }),
        expect.objectContaining({
          name: 'cursor',
          required: false,
          schema: expect.objectContaining({ type: 'string' }),
        }),
      ]);
      const responses = operation.responses as Record<string, { content: Record<string, { schema: JsonSchema }> }>;
      expect(responses['200'].content['application/json'].schema).toMatchObject({
        required: ['data', 'nextCursor'],
        additionalProperties: false,
        properties: { data: { type: 'array' }, nextCursor: { type: ['string', 'null'] } },
      });
    }
  });

  it('names both credentials as security schemes, and asks for a user on logout', () => {
    const { securitySchemes } = document.components as { securitySchemes: Record<string, JsonSchema> };
    expect(securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Api-Key' });
    expect(paths['/sessions/logout'].post.security).not.toContainEqual({});
    expect(paths['/users'].post.security).toContainEqual({});
  });

  it('gives each route its error statuses, with the codes of each (INVALID_CODE is 401 on a login)', () => {
    const codesAt = (path: string, method: string, status: number) => {
      const response = (paths[path][method].responses as Record<string, JsonSchema>)[String(status)];
      const { schema } = (response.content as Record<string, { schema: JsonSchema }>)['application/json'];
      return (schema as { properties: { error: { properties: { code: { enum: string[] } } } } }).properties.error
        .properties.code.enum;
    };
    expect(codesAt('/authn/code', 'post', 401)).toContain('INVALID_CODE');
    expect(codesAt('/emails/verify', 'post', 400)).toContain('INVALID_CODE');
    expect(codesAt('/users/{id}/login-emails', 'delete', 409)).toEqual(['LAST_EMAIL']);
    expect(Object.keys(paths['/users'].post.responses as object)).not.toContain('404');
  });

  describe.each(
    ROUTE_DEFINITIONS.filter((route) => route.body === 'json').map((route) => [`${route.method} ${route.path}`, route]),
  )('%s request body', (_name, route) => {
    const codec = route.docs.request;

    it('is described by the codec its service decodes with, with an example', () => {
      expect(codec).toBeDefined();
      expect(route.docs.example).toBeDefined();
    });

    it('accepts the example, as the codec does', () => {
      if (!codec) throw new Error('no request codec');
      expect(decode(codec, route.docs.example).ok).toBe(true);
      const check = requestValidator(route);
      expect(check.errors ?? check(route.docs.example)).toBe(true);
    });

    it('refuses an unknown field, as the codec does', () => {
      if (!codec) throw new Error('no request codec');
      const withTypo = { ...(route.docs.example as object), emial: 'x' };
      expect(decode(codec, withTypo).ok).toBe(false);
      expect(requestValidator(route)(withTypo)).toBe(false);
    });
  });

  it('describes a list body with the limits its codec enforces', () => {
    expect(schemas.AddRestrictionsInput).toMatchObject({
      required: ['restrictions'],
      additionalProperties: false,
      properties: {
        restrictions: {
          type: 'array',
          minItems: 1,
          maxItems: 100,
          items: {
            required: ['type', 'value'],
            additionalProperties: false,
            properties: { type: { enum: ['ip', 'host', 'api'] }, value: { type: 'string' } },
          },
        },
      },
    });
  });

  it('is what GET /openapi.json serves, cacheable and bare', async () => {
    const handlers = createHandlers(stubAccounts().accounts);
    const response = await handlers.dispatch({ method: 'GET', path: '/openapi.json', headers: {} });
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    expect(JSON.parse(JSON.stringify(response.body))).toEqual(document);
  });
});

describe('CodecSchemas', () => {
  const convert = (codec: t.Any) => new CodecSchemas({ leaves: DOMAIN_LEAF_SCHEMAS }).schemaOf(codec);

  it('reads required, optional and closed fields out of a struct codec', () => {
    const codec = struct('Probe', { id: Opaque, flag: t.boolean }, { note: t.string, items: listOf(Opaque, 2, 7) });
    expect(convert(codec)).toEqual({
      type: 'object',
      properties: {
        id: { type: 'string', minLength: 1, maxLength: 512 },
        flag: { type: 'boolean' },
        note: { type: 'string' },
        items: { type: 'array', minItems: 2, maxItems: 7, items: { type: 'string', minLength: 1, maxLength: 512 } },
      },
      required: ['id', 'flag'],
      additionalProperties: false,
    });
  });

  it('merges an intersection of strict objects and keeps it closed', () => {
    const codec = t.intersection([t.strict({ a: t.string }), t.exact(t.partial({ b: t.union([t.number, t.null]) }))]);
    expect(convert(codec)).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: ['number', 'null'] } },
      required: ['a'],
      additionalProperties: false,
    });
  });

  it('throws for a codec it cannot describe, rather than emit an empty schema', () => {
    const opaque = new t.Type<string, string>(
      'Opaque',
      (u): u is string => typeof u === 'string',
      (u, c) => (typeof u === 'string' ? t.success(u) : t.failure(u, c)),
      t.identity,
    );
    expect(() => convert(opaque)).toThrow(UnconvertibleCodecError);
    expect(() => convert(t.record(t.number, t.string))).toThrow(/string keys/);
  });
});

describe('ResponseSchemas (the contract’s check of every reply)', () => {
  const responses = new ResponseSchemas(document);

  it('refuses a field the view does not name, such as a hash', () => {
    const user = {
      id: 'usr_1',
      name: 'Ada',
      roles: ['user'],
      hasPassword: true,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      bannedAt: null,
    };
    expect(responses.problems('GET', '/users/me', 200, { data: user })).toEqual([]);
    expect(responses.problems('GET', '/users/me', 200, { data: { ...user, passwordHash: 'x' } })).toEqual([
      'GET /users/{id} 200: /data must NOT have additional properties',
    ]);
  });

  it('refuses a status or an error code the route does not document', () => {
    expect(responses.problems('GET', '/users/me', 409, { error: { code: 'LAST_EMAIL', message: 'm' } })).toEqual([
      expect.stringContaining('lists no such status'),
    ]);
    expect(
      responses.problems('POST', '/emails/verify', 401, { error: { code: 'INVALID_CODE', message: 'm' } }),
    ).toEqual(['POST /emails/verify 401: /error/code must be equal to one of the allowed values']);
  });

  it('holds answers to unknown routes to the error envelope', () => {
    expect(responses.problems('GET', '/nowhere', 404, { error: { code: 'NOT_FOUND', message: 'm' } })).toEqual([]);
    expect(responses.problems('GET', '/nowhere', 404, '<html>')).not.toEqual([]);
  });
});
