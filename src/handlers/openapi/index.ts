import { ROUTE_DEFINITIONS } from '../create-handlers';
import type { JsonSchema } from './codec-schema';
import { buildOpenApiDocument, type OpenApiOptions } from './document';

export { CodecSchemas, type CodecSchemasOptions, type JsonSchema, UnconvertibleCodecError } from './codec-schema';
export {
  buildOpenApiDocument,
  errorEnvelopeSchema,
  type OpenApiOptions,
  openApiPath,
  RESPONSE_ERROR_CODES,
  routeErrors,
} from './document';
export { DOMAIN_LEAF_SCHEMAS } from './leaf-schemas';
export { ROUTES_TABLE_BEGIN, ROUTES_TABLE_END, replaceRoutesTable, routesMarkdownTable } from './markdown';
export { openApiRoute } from './route';

/**
 * The OpenAPI 3.1 document of the shipped route table (what `GET /openapi.json` serves), generated from
 * the routes' `docs` and the io-ts codecs. Pass `routes` to describe a table with routes of your own
 * (each a `DocumentedRoute`), `servers` to say where it is mounted.
 */
export function openApiDocument(options: Partial<OpenApiOptions> = {}): JsonSchema {
  return buildOpenApiDocument({ ...options, routes: options.routes ?? ROUTE_DEFINITIONS });
}
