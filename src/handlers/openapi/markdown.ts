import type { JsonSchema } from './codec-schema';

/** The lines around the generated routes table in a Markdown page (docs/http.md). */
export const ROUTES_TABLE_BEGIN =
  '<!-- routes:begin: generated from the OpenAPI document by `npx tsx scripts/http-routes.ts`; do not edit -->';
export const ROUTES_TABLE_END = '<!-- routes:end -->';

type Operation = {
  summary: string;
  description: string;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
};

/**
 * The routes of an OpenAPI document as a Markdown table: method, path, who may call, body fields
 * (optional ones with `?`), success, and what the route does. Generated so the page cannot list a
 * route the handlers do not serve, or miss one.
 */
export function routesMarkdownTable(document: JsonSchema): string {
  const schemas = (document.components as { schemas: Record<string, JsonSchema> }).schemas;
  const rows = ['| method | path | who | body | success | what it does |', '|---|---|---|---|---|---|'];
  for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(operations)) {
      const request = operation.requestBody?.content['application/json'].schema;
      const [status] = Object.keys(operation.responses).filter((code) => code.startsWith('2'));
      const success = operation.responses[status].content?.['application/json'].schema;
      const cells = [
        method.toUpperCase(),
        path.replace(/\{([^}]+)\}/g, ':$1'),
        operation.description.replace(/^Who: (.*)\.$/, '$1'),
        request ? `\`${fieldsOf(resolve(request, schemas))}\`` : '',
        success ? `${status} ${successShape(success)}` : status,
        operation.summary,
      ];
      rows.push(`| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`);
    }
  }
  return rows.join('\n');
}

/** Replaces the table between the markers of `page` (which must hold both, once each). */
export function replaceRoutesTable(page: string, table: string): string {
  const begin = page.indexOf(ROUTES_TABLE_BEGIN);
  const end = page.indexOf(ROUTES_TABLE_END);
  if (begin < 0 || end < begin)
    throw new Error('replaceRoutesTable: the page lacks the routes:begin / routes:end markers');
  return `${page.slice(0, begin + ROUTES_TABLE_BEGIN.length)}\n${table}\n${page.slice(end)}`;
}

function resolve(schema: JsonSchema, schemas: Record<string, JsonSchema>): JsonSchema {
  const ref = schema.$ref as string | undefined;
  return ref ? schemas[ref.replace('#/components/schemas/', '')] : schema;
}

function fieldsOf(schema: JsonSchema): string {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const keys = Object.keys((schema.properties as JsonSchema | undefined) ?? {});
  return `{ ${keys.map((key) => (required.has(key) ? key : `${key}?`)).join(', ')} }`;
}

function refName(schema: JsonSchema): string {
  if (typeof schema.$ref === 'string') return schema.$ref.replace('#/components/schemas/', '');
  if (schema.type === 'array') return `${refName(schema.items as JsonSchema)}[]`;
  if (schema.type === 'null') return 'null';
  return 'object';
}

function successShape(schema: JsonSchema): string {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  const data = properties?.data;
  if (!data || schema.$ref !== undefined) return `${refName(schema)} (bare)`;
  // A page of a list carries its cursor beside `data`.
  const cursor = properties?.nextCursor ? ', nextCursor' : '';
  return `\`{ data: ${refName(data)}${cursor} }\``;
}
