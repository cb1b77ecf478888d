import type * as t from 'io-ts';
import type { FieldSettings } from '../../domain/custom-fields';
import { ERRORS, type ErrorCode } from '../../domain/errors';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../../domain/pagination';
import {
  AccessRestrictionView,
  ClientWithKeyView,
  EventView,
  JsonWebKeySetView,
  LoginEmailView,
  MembershipView,
  OrganizationView,
  PublicClientView,
  PublicSessionView,
  PublicUserView,
  TokensView,
} from '../../domain/views';
import { HTTP_ERRORS, httpStatusOf, type ResponseErrorCode } from '../errors';
import type { DocumentedRoute, RouteCallers } from '../types';
import { CodecSchemas, type JsonSchema } from './codec-schema';
import { addCustomFields } from './custom-fields';
import { DOMAIN_LEAF_SCHEMAS } from './leaf-schemas';

/** Options of `openApiDocument`. */
export interface OpenApiOptions {
  /** The routes to describe. */
  routes: readonly DocumentedRoute[];
  /** `info.title`. Default `accounts-module`. */
  title?: string;
  /** `info.version`: the version of your API. Default `1.0.0`. */
  version?: string;
  /** `servers`, e.g. `[{ url: 'https://api.example.com/accounts' }]`. Default: none (paths as mounted). */
  servers?: { url: string; description?: string }[];
  /** The application's own fields (`accounts.deps.fields`): added to the entities' schemas as HTTP treats them. */
  fields?: FieldSettings;
}

/** Every code an error envelope may carry, in the order of `ERRORS`, then `HTTP_ERRORS`. */
export const RESPONSE_ERROR_CODES: readonly ResponseErrorCode[] = [
  ...Object.values(ERRORS),
  ...Object.values(HTTP_ERRORS),
];

/**
 * What any route may answer, whatever it does: a present but bad credential, a key over its
 * restrictions or rate, a body that is too large, not JSON or of another type, fields that fail
 * validation (or any field on a route without input), and a 500.
 */
const EVERY_ROUTE: readonly ResponseErrorCode[] = [
  'VALIDATION_FAILED',
  'INVALID_JSON',
  'INVALID_TOKEN',
  'INVALID_CLIENT',
  'ACCESS_RESTRICTED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'INTERNAL',
];
const WITH_CALLER: readonly ErrorCode[] = ['UNAUTHENTICATED', 'FORBIDDEN'];
/** A path parameter that matches nothing (or that the caller may not see). */
const WITH_PARAMETER: readonly ErrorCode[] = ['NOT_FOUND'];
/** The routes of one organization, which its two-factor requirement guards (`checkOrganizationMfa`). */
const ORGANIZATION_ROUTE = /^\/(organizations\/:id|clients\/:id|memberships\/:id|invitations\/(:id$|accept$))/;

/** Views described once under `components.schemas`, by their codec names. */
const NAMED_VIEWS: readonly t.Any[] = [
  PublicUserView,
  LoginEmailView,
  PublicSessionView,
  TokensView,
  OrganizationView,
  MembershipView,
  PublicClientView,
  ClientWithKeyView,
  AccessRestrictionView,
  JsonWebKeySetView,
  EventView,
];

/** The query parameters of every list route (docs/http.md, "Pagination"). */
const PAGE_PARAMETERS: readonly JsonSchema[] = [
  {
    name: 'limit',
    in: 'query',
    required: false,
    description: `The page size: ${DEFAULT_PAGE_LIMIT} by default, at most ${MAX_PAGE_LIMIT}.`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT },
  },
  {
    name: 'cursor',
    in: 'query',
    required: false,
    description: 'The `nextCursor` of the previous page, as it came (opaque); absent for the first page.',
    schema: { type: 'string', maxLength: 512 },
  },
];

const SECURITY: Record<RouteCallers, Record<string, string[]>[]> = {
  anyone: [{}, { bearerAuth: [] }, { apiKey: [] }],
  user: [{ bearerAuth: [] }, { bearerAuth: [], apiKey: [] }],
  caller: [{ bearerAuth: [] }, { apiKey: [] }, { bearerAuth: [], apiKey: [] }],
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthenticated: no or a bad credential',
  403: 'Forbidden',
  404: 'Not found (or not visible to the caller)',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal error',
};

/** `/users/:id` → `/users/{id}`, the OpenAPI form of a path template. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The error codes a route can answer, each with the status it answers it with there. */
export function routeErrors(route: DocumentedRoute): Map<ResponseErrorCode, number> {
  const codes = new Set<ResponseErrorCode>(EVERY_ROUTE);
  if (route.docs.callers !== 'anyone') for (const code of WITH_CALLER) codes.add(code);
  if (route.path.includes(':')) for (const code of WITH_PARAMETER) codes.add(code);
  if (ORGANIZATION_ROUTE.test(route.path)) codes.add('MFA_REQUIRED_BY_ORGANIZATION');
  for (const code of route.docs.errors ?? []) codes.add(code);
  const overrides: Partial<Record<ResponseErrorCode, number>> = route.statusOverrides ?? {};
  return new Map([...codes].map((code) => [code, overrides[code] ?? httpStatusOf(code)]));
}

/** The error envelope, with `code` limited to the given codes. */
export function errorEnvelopeSchema(codes: readonly ResponseErrorCode[]): JsonSchema {
  return {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', enum: [...codes] },
          message: { type: 'string' },
          details: { type: 'array', items: { $ref: '#/components/schemas/FieldProblem' } },
          challenge: {
            type: 'string',
            description:
              'Only with `MFA_REQUIRED`: the single-use token (5 minutes) that `POST /authn/mfa` completes the login with.',
          },
        },
      },
    },
  };
}

const FIELD_PROBLEM: JsonSchema = {
  type: 'object',
  required: ['path', 'message'],
  additionalProperties: false,
  properties: {
    path: { type: 'string', description: 'The dotted path of the field (`restrictions.0.value`), or `(body)`.' },
    message: { type: 'string' },
  },
};

/**
 * The OpenAPI 3.1 document of a route table, generated from each route's `docs`: request bodies from
 * the codecs the services decode with, responses from the view codecs and the error codes, security
 * from who may call. Throws `UnconvertibleCodecError` if a codec cannot be described, so a route
 * cannot be documented vaguely by accident.
 */
export function buildOpenApiDocument(options: OpenApiOptions): JsonSchema {
  const named = new Map<t.Any, string>(NAMED_VIEWS.map((codec) => [codec, codec.name]));
  for (const { docs } of options.routes) {
    for (const codec of [docs.request, docs.success.bare]) if (codec) named.set(codec, codec.name);
  }
  const schemas = new CodecSchemas({ leaves: DOMAIN_LEAF_SCHEMAS, named });

  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of options.routes) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, schemas);
  }
  addCustomFields(schemas.components, options.fields, schemas);

  const document: JsonSchema = {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'accounts-module',
      version: options.version ?? '1.0.0',
      description:
        'Users, login emails verified by codes, organizations, API clients and sessions. Successes are ' +
        '`{ "data": … }`, failures `{ "error": { "code", "message", "details"? } }` (`MFA_REQUIRED` also carries `challenge`); ' +
        'unknown body fields are refused.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas: {
        ...schemas.components,
        FieldProblem: FIELD_PROBLEM,
        ErrorEnvelope: errorEnvelopeSchema(RESPONSE_ERROR_CODES),
      },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A user access token.' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'An API client key.' },
      },
    },
  };
  if (options.servers) document.servers = options.servers;
  return document;
}

function operation(route: DocumentedRoute, schemas: CodecSchemas): JsonSchema {
  const { docs } = route;
  const parameters = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string', maxLength: 256 },
    ...(route.path.startsWith('/users/:') && name === 'id' ? { description: 'A user id, or `me`.' } : {}),
  }));
  const result: JsonSchema = {
    operationId: route.action.name || `${route.method.toLowerCase()}${route.path}`,
    summary: docs.summary,
    description: `Who: ${docs.who}.`,
    tags: [route.path.split('/')[1]],
    security: SECURITY[docs.callers],
  };
  const all: JsonSchema[] = [
    ...parameters,
    ...queryParameters(route, schemas),
    ...(docs.success.page ? PAGE_PARAMETERS : []),
  ];
  if (all.length > 0) result.parameters = all;
  if (docs.request) {
    const media: JsonSchema = { schema: schemas.schemaOf(docs.request) };
    if (docs.example !== undefined) media.example = docs.example;
    result.requestBody = { required: true, content: { 'application/json': media } };
  }
  result.responses = {
    [String(docs.success.status)]: successResponse(docs.success, schemas),
    ...errorResponses(route),
  };
  return result;
}

/** A route's own query parameters (`docs.query`), optional, arrays comma-separated (`?type=a,b`). */
function queryParameters(route: DocumentedRoute, schemas: CodecSchemas): JsonSchema[] {
  return Object.entries(route.docs.query ?? {}).map(([name, { codec, description }]) => {
    const schema = schemas.schemaOf(codec);
    const parameter: JsonSchema = { name, in: 'query', required: false, description, schema };
    if (schema.type === 'array') Object.assign(parameter, { style: 'form', explode: false });
    return parameter;
  });
}

function successResponse(success: DocumentedRoute['docs']['success'], schemas: CodecSchemas): JsonSchema {
  if (success.status === 204) return { description: success.description };
  let schema: JsonSchema;
  if (success.bare) schema = schemas.schemaOf(success.bare);
  else if (success.page) schema = schemas.schemaOf(success.page);
  else {
    const data = success.data ? schemas.schemaOf(success.data) : { type: 'null' };
    schema = { type: 'object', required: ['data'], additionalProperties: false, properties: { data } };
  }
  return { description: success.description, content: { 'application/json': { schema } } };
}

function errorResponses(route: DocumentedRoute): Record<string, JsonSchema> {
  const byStatus = new Map<number, ResponseErrorCode[]>();
  for (const [code, status] of routeErrors(route)) byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  const responses: Record<string, JsonSchema> = {};
  for (const status of [...byStatus.keys()].sort()) {
    const codes = byStatus.get(status) ?? [];
    const response: JsonSchema = {
      description: `${STATUS_TEXT[status] ?? 'Error'}: ${codes.map((code) => `\`${code}\``).join(', ')}`,
      content: { 'application/json': { schema: errorEnvelopeSchema(codes) } },
    };
    if (status === 429) {
      response.headers = {
        'Retry-After': { description: 'Seconds until the limit lifts.', schema: { type: 'integer', minimum: 1 } },
      };
    }
    responses[String(status)] = response;
  }
  return responses;
}
