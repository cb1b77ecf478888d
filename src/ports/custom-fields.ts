import type { CustomFields } from './entities';

/**
 * The most an entity's custom fields may take as JSON text, in UTF-8 bytes: what a MySQL/MariaDB
 * `TEXT` column holds. The shipped `Io`s refuse more on every database, so that fields accepted on
 * SQLite or PostgreSQL are never refused (or, outside strict mode, cut short) by MySQL.
 */
export const MAX_CUSTOM_FIELDS_BYTES = 65_535;

/**
 * Custom fields that JSON cannot carry exactly, refused by the shipped `Io`s before anything is
 * written: a programmer error (the domain stores only what a codec encoded), never a database one.
 * Allowed are plain objects (an object literal's, `JSON.parse`'s) and arrays without holes, holding
 * strings, finite numbers, booleans and null, nested to any depth. Refused are `undefined`, functions,
 * symbols, bigints, `NaN` and infinities, class instances (a `Date`, a `Map`, a `Buffer`),
 * objects with a null prototype, symbol or non-enumerable keys, arrays with holes or extra
 * properties, circular references, and more than `MAX_CUSTOM_FIELDS_BYTES` of JSON: each would read
 * back as something else, or not at all. The one value stored differently is `-0`, which reads back
 * as `0` (JSON has no negative zero).
 *
 * The message names the entity and the path of the offending value (`fields.prefs[2]`), never a
 * value: custom fields may hold personal data.
 */
export class InvalidCustomFieldsError extends TypeError {
  override readonly name = 'InvalidCustomFieldsError';

  constructor(
    /** The entity whose fields were refused: `user`, `organization`, `membership` or `client`. */
    readonly entity: string,
    /** Where the offending value sits, from `fields` down. */
    readonly path: string,
    /** What it is, e.g. `a Date`, `undefined`, `NaN`. */
    readonly found: string,
  ) {
    super(`accounts-module: the custom fields of a ${entity} cannot be stored: ${path} is ${found}, not JSON`);
  }
}

const utf8 = new TextEncoder();

/**
 * The JSON text of an entity's custom fields, as the SQL `Io` stores them; throws an
 * `InvalidCustomFieldsError` for fields JSON cannot carry exactly. For `Io`s of your own that keep
 * fields as text, with `customFieldsFromJson` to read them back.
 */
export function customFieldsToJson(fields: unknown, entity: string): string {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new InvalidCustomFieldsError(entity, 'fields', describe(fields));
  }
  checkJson(fields, 'fields', [], entity);
  const json = JSON.stringify(fields);
  const bytes = utf8.encode(json).byteLength;
  if (bytes > MAX_CUSTOM_FIELDS_BYTES) {
    throw new InvalidCustomFieldsError(entity, 'fields', `${bytes} bytes of JSON (at most ${MAX_CUSTOM_FIELDS_BYTES})`);
  }
  return json;
}

/** Custom fields from their stored JSON text; a stored null (a row older than the fields) is `{}`. */
export function customFieldsFromJson(json: string | null): CustomFields {
  if (json === null) return {};
  const fields: unknown = JSON.parse(json);
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new TypeError('accounts-module: stored custom fields are not a JSON object');
  }
  return fields as CustomFields;
}

function checkJson(value: unknown, path: string, ancestors: object[], entity: string): void {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidCustomFieldsError(entity, path, String(value));
    return;
  }
  if (typeof value !== 'object') throw new InvalidCustomFieldsError(entity, path, describe(value));
  if (ancestors.includes(value)) throw new InvalidCustomFieldsError(entity, path, 'a circular reference');
  ancestors.push(value);
  if (Array.isArray(value)) {
    // Holes read back as null, extra properties not at all.
    if (Object.keys(value).length !== value.length) {
      throw new InvalidCustomFieldsError(entity, path, 'an array with holes or extra properties');
    }
    for (const [index, item] of value.entries()) checkJson(item, `${path}[${index}]`, ancestors, entity);
  } else {
    if (!isPlainObject(value)) throw new InvalidCustomFieldsError(entity, path, describe(value));
    if (
      Object.getOwnPropertySymbols(value).length > 0 ||
      Object.getOwnPropertyNames(value).length !== Object.keys(value).length
    ) {
      throw new InvalidCustomFieldsError(entity, path, 'an object with symbol or non-enumerable keys');
    }
    for (const [key, item] of Object.entries(value)) checkJson(item, pathOf(path, key), ancestors, entity);
  }
  ancestors.pop();
}

/** Made by an object literal or `JSON.parse` in any realm: its prototype is that realm's `Object.prototype`. */
export function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return (
    prototype !== null &&
    Object.getPrototypeOf(prototype) === null &&
    Object.prototype.toString.call(value) === '[object Object]'
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'undefined') return 'undefined';
  if (typeof value !== 'object') return `a ${typeof value}`;
  if (Array.isArray(value)) return 'an array';
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === null) return 'an object with a null prototype';
  const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'not a plain object';
}

function pathOf(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}
