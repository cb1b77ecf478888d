import type * as t from 'io-ts';
import type { CheckedType, ListType, StructType } from '../../domain/codecs';

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1), as a plain JSON value. */
export type JsonSchema = { [keyword: string]: unknown };

/** A codec the converter cannot describe: the document is not built rather than left vague. */
export class UnconvertibleCodecError extends Error {
  constructor(codec: t.Any, why: string) {
    super(`openApiDocument: cannot describe codec "${codec.name}" as JSON Schema: ${why}`);
    this.name = 'UnconvertibleCodecError';
  }
}

/**
 * Options of `CodecSchemas`:
 * - `leaves`: schemas of codecs whose checks are code (a refined string, a custom enum), which no
 *   converter can read: the schema states what that code checks.
 * - `named`: codecs to describe once under `#/components/schemas/<name>` and reference elsewhere.
 */
export interface CodecSchemasOptions {
  leaves: ReadonlyMap<t.Any, JsonSchema>;
  named?: ReadonlyMap<t.Any, string>;
}

/**
 * io-ts codecs to JSON Schema, for the wire form of a value (`t.OutputOf`). Covers the combinators
 * the library's codecs use: `t.type`, `t.partial`, `t.exact` / `t.strict` (no other properties),
 * `t.intersection` of objects (merged, so `additionalProperties: false` still holds), `t.union`,
 * `t.literal`, `t.keyof`, `t.array`, `t.record`, `t.string`, `t.number`, `t.boolean`, `t.null`,
 * `t.unknown`, refinements and brands (their base type), the domain's `struct` and `listOf` codecs
 * (`StructType`, `ListType`: their fields and limits are properties) and the given leaves. Anything
 * else throws.
 */
export class CodecSchemas {
  /** The named schemas met so far, for `components.schemas`. */
  readonly components: Record<string, JsonSchema> = {};

  constructor(private readonly options: CodecSchemasOptions) {}

  /** The schema of a codec, as a `$ref` when the codec is named. */
  schemaOf(codec: t.Any): JsonSchema {
    const name = this.options.named?.get(codec);
    if (name === undefined) return this.describe(codec);
    if (!(name in this.components)) {
      this.components[name] = {}; // reserved first, so a recursive codec refers to itself instead of looping
      this.components[name] = this.describe(codec);
    }
    return { $ref: `#/components/schemas/${name}` };
  }

  private describe(codec: t.Any): JsonSchema {
    const leaf = this.options.leaves.get(codec);
    if (leaf !== undefined) return structuredClone(leaf);
    const tagged = codec as t.Any & { _tag?: string };
    switch (tagged._tag) {
      case 'StringType':
        return { type: 'string' };
      case 'NumberType':
        return { type: 'number' };
      case 'BooleanType':
        return { type: 'boolean' };
      case 'NullType':
        return { type: 'null' };
      case 'UnknownType':
        return {};
      case 'LiteralType':
        return { const: (codec as t.LiteralC<string | number | boolean>).value };
      case 'KeyofType':
        return { type: 'string', enum: Object.keys((codec as t.KeyofC<Record<string, unknown>>).keys) };
      case 'ArrayType':
        return { type: 'array', items: this.schemaOf((codec as t.ArrayC<t.Mixed>).type) };
      case 'DictionaryType': {
        const dictionary = codec as t.RecordC<t.Mixed, t.Mixed>;
        if ((dictionary.domain as { _tag?: string })._tag !== 'StringType') {
          throw new UnconvertibleCodecError(codec, 'records are described only with string keys');
        }
        return { type: 'object', additionalProperties: this.schemaOf(dictionary.codomain) };
      }
      case 'InterfaceType':
        return this.object((codec as t.TypeC<t.Props>).props, true, false);
      case 'PartialType':
        return this.object((codec as t.PartialC<t.Props>).props, false, false);
      case 'ExactType':
        return { ...this.describe((codec as t.ExactC<t.HasProps>).type), additionalProperties: false };
      case 'IntersectionType':
        return this.intersection(codec, (codec as t.IntersectionC<[t.Mixed, t.Mixed]>).types);
      case 'UnionType':
        return this.union((codec as t.UnionC<[t.Mixed, t.Mixed]>).types);
      case 'RefinementType':
        // The predicate is code; the base type is what can be said of it.
        return this.describe((codec as t.RefinementC<t.Mixed>).type);
      case 'StructType':
        return this.structSchema(codec as StructType<t.Props, t.Props>);
      case 'ListType':
        return this.listSchema(codec as ListType<t.Mixed>);
      case 'CheckedType':
        // As with a refinement, the check is code; the base is what can be said of it.
        return this.describe((codec as CheckedType<t.Mixed, unknown>).base);
      default:
        throw new UnconvertibleCodecError(codec, 'not a known combinator, leaf, object or list codec');
    }
  }

  private object(props: t.Props, required: boolean, closed: boolean): JsonSchema {
    const properties = Object.fromEntries(Object.entries(props).map(([key, codec]) => [key, this.schemaOf(codec)]));
    const schema: JsonSchema = { type: 'object', properties };
    if (required && Object.keys(props).length > 0) schema.required = Object.keys(props);
    if (closed) schema.additionalProperties = false;
    return schema;
  }

  private intersection(codec: t.Any, parts: readonly t.Mixed[]): JsonSchema {
    const schemas = parts.map((part) => this.describe(part));
    if (!schemas.every((schema) => schema.type === 'object' && schema.properties !== undefined)) {
      throw new UnconvertibleCodecError(codec, 'only intersections of object codecs are described');
    }
    // Merged rather than `allOf`: in JSON Schema each closed part would refuse the other's fields.
    const merged: JsonSchema = { type: 'object', properties: {} };
    const required: string[] = [];
    for (const schema of schemas) {
      Object.assign(merged.properties as JsonSchema, schema.properties);
      required.push(...((schema.required as string[] | undefined) ?? []));
    }
    if (required.length > 0) merged.required = required;
    if (schemas.every((schema) => schema.additionalProperties === false)) merged.additionalProperties = false;
    return merged;
  }

  private union(members: readonly t.Mixed[]): JsonSchema {
    const schemas = members.map((member) => this.schemaOf(member));
    const constants = schemas.map((schema) => schema.const);
    if (schemas.every((schema, index) => Object.keys(schema).length === 1 && constants[index] !== undefined)) {
      return constants.every((value) => typeof value === 'string')
        ? { type: 'string', enum: constants }
        : { enum: constants };
    }
    const [first, second] = schemas;
    if (schemas.length === 2 && second.type === 'null' && typeof first.type === 'string' && !('$ref' in first)) {
      return { ...first, type: [first.type, 'null'] };
    }
    return { anyOf: schemas };
  }

  private structSchema(codec: StructType<t.Props, t.Props>): JsonSchema {
    const fields = { ...codec.required, ...codec.optional };
    const properties = Object.fromEntries(Object.entries(fields).map(([key, field]) => [key, this.schemaOf(field)]));
    const schema: JsonSchema = { type: 'object', properties, additionalProperties: false };
    const required = Object.keys(codec.required);
    if (required.length > 0) schema.required = required;
    return schema;
  }

  private listSchema(codec: ListType<t.Mixed>): JsonSchema {
    const schema: JsonSchema = { type: 'array', items: this.schemaOf(codec.item) };
    if (codec.min > 0) schema.minItems = codec.min;
    if (Number.isFinite(codec.max)) schema.maxItems = codec.max;
    return schema;
  }
}
