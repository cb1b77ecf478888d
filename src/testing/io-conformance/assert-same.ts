import assert from 'node:assert/strict';
import { isPlainObject } from '../../ports/custom-fields';

/**
 * `assert.deepStrictEqual`, except that plain objects, arrays and dates count as equal whatever
 * JavaScript realm made them. Jest runs each test file in a `vm` context, while `structuredClone` and
 * some drivers answer with objects of the outer realm; `deepStrictEqual` compares prototypes by
 * identity and so would fail an `Io` whose rows are right (Jest's own `toStrictEqual` let them pass).
 * Class instances and null-prototype objects are compared as they are, prototype included.
 */
export function assertSame(actual: unknown, expected: unknown, message: string): void {
  assert.deepStrictEqual(inThisRealm(actual), inThisRealm(expected), message);
}

function inThisRealm(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return Array.from(value, inThisRealm);
  if (Object.prototype.toString.call(value) === '[object Date]') return new Date((value as Date).getTime());
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) copy[key] = inThisRealm(field);
  return copy;
}
