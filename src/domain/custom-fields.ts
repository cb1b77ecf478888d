import * as t from 'io-ts';
import { Err, Ok, type Result } from 'ts-results';
import { customFieldsToJson, InvalidCustomFieldsError, MAX_CUSTOM_FIELDS_BYTES } from '../ports/custom-fields';
import type { CustomFields } from '../ports/entities';
import { type StructType, struct } from './codecs';
import { type AccountsError, accountsError } from './errors';

/**
 * Caller-defined fields (docs/fields.md): an application gives, per extensible entity, an io-ts codec
 * of its own fields, `createAccounts({ fields: { user: t.type({ plan: t.string }) } })`. They are
 * validated with the entity's own input (every bad field reported, unknown fields still refused),
 * stored by the `Io` as one JSON object (`fields`), and returned flat beside the library's fields.
 */

/**
 * The codecs `fields` accepts: objects of named properties (`t.type`, `t.partial`, `t.exact` or
 * `t.strict` of them, `t.intersection`s of those), so each property can be checked and listed.
 * Checked when `createAccounts` runs (io-ts's generic types do not nest into one union tsc can match).
 */
// biome-ignore lint/suspicious/noExplicitAny: io-ts codecs are checked structurally here
export type FieldsCodec = t.Type<any, object, unknown>;

/**
 * One entity's fields: a codec, or a codec with the properties HTTP must not touch.
 * - `private`: stored and returned by the services, never accepted nor returned over HTTP (an
 *   external billing id).
 * - `readOnly`: returned over HTTP, never accepted from it: set by the application's own code
 *   through the services (a plan the billing system decides, which users must not set themselves).
 * Both must be optional properties (`t.partial`): HTTP creates the entity without them.
 */
export type EntityFieldsOption<C extends FieldsCodec = FieldsCodec> =
  | C
  | { codec: C; private?: readonly string[]; readOnly?: readonly string[] };

/** The extensible entities. */
export const FIELD_ENTITIES = ['user', 'organization', 'membership', 'client'] as const;
export type FieldEntity = (typeof FIELD_ENTITIES)[number];

/** `createAccounts`'s `fields` option. */
export type FieldsOptions = Partial<Record<FieldEntity, EntityFieldsOption>>;

/** The codec inside an option. */
export type CodecOf<O> = O extends { codec: infer C } ? C : O;

/**
 * The type of an entity's fields under `FieldsOptions` (`{}` when it has none): what its codec
 * encodes to, as stored and shown (`t.TypeOf` for codecs of JSON values).
 */
export type FieldsOf<Options, E extends FieldEntity> = Options extends { [K in E]: infer O }
  ? CodecOf<O> extends t.Any
    ? t.OutputOf<CodecOf<O>>
    : Record<never, never>
  : Record<never, never>;

/** What the domain knows of one entity's fields. */
export interface EntityFieldsSettings {
  required: t.Props;
  optional: t.Props;
  /** Never over HTTP, in or out. */
  private: ReadonlySet<string>;
  /** Never accepted over HTTP (private ones included). */
  notFromHttp: ReadonlySet<string>;
}

export type FieldSettings = Partial<Record<FieldEntity, EntityFieldsSettings>>;

/**
 * Checks the `fields` option once, at `createAccounts`: a codec the library cannot list the properties
 * of, a property that would shadow one of the entity's own, or a private or read-only property that
 * is not optional is a programmer error, thrown with what to change.
 */
export function fieldSettings(
  options: FieldsOptions | undefined,
  reserved: Record<FieldEntity, readonly string[]>,
): FieldSettings {
  const settings: FieldSettings = {};
  for (const entity of FIELD_ENTITIES) {
    const option = options?.[entity];
    if (option === undefined) continue;
    const codec = 'codec' in option && !(option instanceof t.Type) ? option.codec : (option as FieldsCodec);
    const props = propsOf(codec, `fields.${entity}`);
    const names = [...Object.keys(props.required), ...Object.keys(props.optional)];
    for (const name of names) {
      if (reserved[entity].includes(name) || name === 'fields') {
        throw new TypeError(
          `accounts-module: fields.${entity}.${name} would shadow the ${entity}'s own field ${name}: rename it`,
        );
      }
    }
    const extra: { private?: readonly string[]; readOnly?: readonly string[] } =
      'codec' in option && !(option instanceof t.Type) ? option : {};
    const hidden = new Set<string>(extra.private ?? []);
    const notFromHttp = new Set<string>([...hidden, ...(extra.readOnly ?? [])]);
    for (const name of notFromHttp) {
      if (!Object.hasOwn(props.optional, name)) {
        throw new TypeError(
          `accounts-module: fields.${entity}.${name} is private or read-only, so HTTP creates the ${entity} without it: declare it in a t.partial`,
        );
      }
    }
    settings[entity] = { ...props, private: hidden, notFromHttp };
  }
  return settings;
}

function propsOf(codec: unknown, where: string): { required: t.Props; optional: t.Props } {
  if (codec instanceof t.InterfaceType) return { required: { ...codec.props }, optional: {} };
  if (codec instanceof t.PartialType) return { required: {}, optional: { ...codec.props } };
  if (codec instanceof t.ExactType) return propsOf(codec.type, where);
  if (codec instanceof t.IntersectionType) {
    const parts = (codec.types as unknown[]).map((part) => propsOf(part, where));
    return {
      required: Object.assign({}, ...parts.map((part) => part.required)),
      optional: Object.assign({}, ...parts.map((part) => part.optional)),
    };
  }
  throw new TypeError(`accounts-module: ${where} must be a t.type, t.partial, t.exact or t.intersection of them`);
}

/**
 * The entity's input codec with its fields: `create` takes the fields as declared, `patch` every one
 * optional. Every problem, of the entity's own fields or of the custom ones, is reported at once.
 */
export function withFields<R extends t.Props, O extends t.Props>(
  base: StructType<R, O>,
  fields: EntityFieldsSettings | undefined,
  mode: 'create' | 'patch',
): StructType<R, O> {
  if (fields === undefined) return base;
  const required = mode === 'create' ? fields.required : {};
  const optional = mode === 'create' ? fields.optional : { ...fields.required, ...fields.optional };
  return struct(
    base.name,
    { ...base.required, ...required },
    { ...base.optional, ...optional },
  ) as unknown as StructType<R, O>;
}

/** Splits decoded input into the entity's own part and its custom fields (encoded, as stored). */
export function splitFields<T extends object>(
  decoded: T,
  fields: EntityFieldsSettings | undefined,
): { own: T; custom: CustomFields | undefined } {
  if (fields === undefined) return { own: decoded, custom: undefined };
  const own: Record<string, unknown> = {};
  const custom: CustomFields = {};
  let any = false;
  for (const [key, value] of Object.entries(decoded)) {
    const codec = Object.hasOwn(fields.required, key)
      ? fields.required[key]
      : Object.hasOwn(fields.optional, key)
        ? fields.optional[key]
        : undefined;
    if (codec === undefined) {
      own[key] = value;
    } else if (value !== undefined) {
      custom[key] = codec.encode(value);
      any = true;
    }
  }
  return { own: own as T, custom: any ? custom : undefined };
}

/**
 * A view with the entity's custom fields beside its own (the entity's own win a clash, which
 * `fieldSettings` refuses anyway). Fields are shown as stored: the JSON their codec encoded them to
 * (`t.OutputOf`, the same as `t.TypeOf` for the usual JSON codecs).
 */
export function withCustomFields<V extends object>(view: V, stored: CustomFields | undefined): V {
  if (stored === undefined) return view;
  const shown: Record<string, unknown> = { ...(view as Record<string, unknown>) };
  for (const [key, value] of Object.entries(stored)) {
    if (!Object.hasOwn(view, key)) shown[key] = value;
  }
  return shown as V;
}

/**
 * The fields as they will be stored, or VALIDATION_FAILED when the store would refuse them (more than
 * `MAX_CUSTOM_FIELDS_BYTES` of JSON once merged): a bad request, never a 500. The fields HTTP may
 * write get half of that budget, so a user who fills theirs never leaves the application without room
 * for its read-only and private ones.
 */
export function storable(
  entity: FieldEntity,
  fields: CustomFields,
  settings: EntityFieldsSettings | undefined,
): Result<CustomFields, AccountsError> {
  if (settings !== undefined && settings.notFromHttp.size > 0) {
    const writable = Object.fromEntries(Object.entries(fields).filter(([key]) => !settings.notFromHttp.has(key)));
    const bytes = Buffer.byteLength(JSON.stringify(writable), 'utf8');
    if (bytes > MAX_CUSTOM_FIELDS_BYTES / 2) {
      const path = Object.keys(writable)[0] ?? '(body)';
      const message = `the fields a request may set take at most ${MAX_CUSTOM_FIELDS_BYTES / 2} bytes of JSON together`;
      return Err(accountsError('VALIDATION_FAILED', { details: [{ path, message }] }));
    }
  }
  try {
    customFieldsToJson(fields, entity);
    return Ok(fields);
  } catch (error) {
    if (!(error instanceof InvalidCustomFieldsError)) throw error;
    const path = error.path.replace(/^fields\.?/, '') || Object.keys(fields)[0] || '(body)';
    return Err(accountsError('VALIDATION_FAILED', { details: [{ path, message: `is ${error.found}` }] }));
  }
}
