import * as t from 'io-ts';
import { Ok } from 'ts-results';
import type { Action, DocumentedRoute } from '../types';
import type { JsonSchema } from './codec-schema';
import { buildOpenApiDocument } from './document';

/** An OpenAPI document, as far as its own schema goes: a JSON object. */
const OpenApiDocumentView = t.record(t.string, t.unknown, 'OpenApiDocument');

/**
 * `GET /openapi.json`: the OpenAPI 3.1 document of the table the route is part of, built on the first
 * request and kept (the table does not change once built). Public, like the JWKS: it holds no data.
 */
export function openApiRoute(table: () => readonly DocumentedRoute[]): DocumentedRoute {
  // One per accounts: their custom fields (docs/fields.md) are part of the document.
  const documents = new WeakMap<object, JsonSchema>();
  const getOpenApiDocument: Action = async (accounts) => {
    let document = documents.get(accounts);
    if (document === undefined) {
      document = buildOpenApiDocument({ routes: table(), fields: accounts.deps?.fields });
      documents.set(accounts, document);
    }
    return Ok({
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'public, max-age=300',
        'x-content-type-options': 'nosniff',
      },
      body: document,
    });
  };
  return {
    method: 'GET',
    path: '/openapi.json',
    body: 'none',
    action: getOpenApiDocument,
    docs: {
      summary: 'This OpenAPI 3.1 document',
      who: 'anyone',
      callers: 'anyone',
      success: {
        status: 200,
        description: 'The OpenAPI document (bare, no `data` envelope).',
        bare: OpenApiDocumentView,
      },
    },
  };
}
