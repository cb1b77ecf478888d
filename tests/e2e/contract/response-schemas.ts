import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { type JsonSchema, openApiDocument } from '../../../src/handlers';

/**
 * Checks answers against the OpenAPI document: the schema of the route and status, with a maintained
 * JSON Schema validator (Ajv, draft 2020-12, the dialect of OpenAPI 3.1). Every reply of the contract
 * goes through it, so a handler that answers a status, a field or a code the document does not
 * describe fails the contract, on every transport it runs over.
 */
export class ResponseSchemas {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly routes: { method: string; template: string; pattern: RegExp; operation: JsonSchema }[] = [];
  private readonly definitions: JsonSchema;

  constructor(document: JsonSchema = openApiDocument()) {
    addFormats(this.ajv);
    const components = document.components as { schemas: JsonSchema };
    this.definitions = components.schemas;
    for (const [template, operations] of Object.entries(document.paths as Record<string, Record<string, JsonSchema>>)) {
      const pattern = new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const [method, operation] of Object.entries(operations)) {
        this.routes.push({ method: method.toUpperCase(), template, pattern, operation });
      }
    }
    // A literal path wins over a template that also matches it, as in the router.
    this.routes.sort((a, b) => Number(a.template.includes('{')) - Number(b.template.includes('{')));
  }

  /** What is wrong with an answer, by the document; empty when it matches. */
  problems(method: string, path: string, status: number, body: unknown): string[] {
    const bare = path.split('?')[0];
    const route = this.routes.find((entry) => entry.method === method.toUpperCase() && entry.pattern.test(bare));
    if (route === undefined) {
      // No such operation: the router's 404 / 405 (or an adapter's own refusal), always the envelope.
      if (status < 400) return [`${method} ${bare} is not in the document, yet answered ${status}`];
      return this.check('ErrorEnvelope', { $ref: '#/components/schemas/ErrorEnvelope' }, body);
    }
    const responses = route.operation.responses as Record<string, JsonSchema>;
    const response = responses[String(status)];
    const where = `${route.method} ${route.template} ${status}`;
    if (response === undefined) {
      return [`${where}: the document lists no such status (it lists ${Object.keys(responses).join(', ')})`];
    }
    const content = response.content as Record<string, { schema: JsonSchema }> | undefined;
    if (content === undefined) return body === null ? [] : [`${where}: the document says no body, got one`];
    return this.check(where, content['application/json'].schema, body);
  }

  private check(key: string, schema: JsonSchema, body: unknown): string[] {
    let validate = this.compiled.get(key);
    if (validate === undefined) {
      // Component references, rewritten to `$defs` so each schema compiles on its own.
      const local = JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '#/$defs/'));
      const defs = JSON.parse(JSON.stringify(this.definitions).replaceAll('#/components/schemas/', '#/$defs/'));
      validate = this.ajv.compile({ ...local, $defs: defs });
      this.compiled.set(key, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map((error) => `${key}: ${error.instancePath || '(body)'} ${error.message}`);
  }
}
