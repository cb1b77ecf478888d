import type * as t from 'io-ts';

/**
 * Reads the shape of the domain's hand-made codecs (`struct`, `listOf` in src/domain/codecs.ts) by
 * running their own `validate` on probe values and reading the io-ts contexts of the failures: each
 * failure names the key or index it is about and the codec that refused it. Their fields and limits
 * live in closures, so this is the one way to derive a schema from the codec the service decodes
 * with instead of writing the fields a second time. A codec that does not answer the probes as a
 * `struct` or `listOf` does is reported as unknown, so the converter throws rather than guess.
 */

/** A value every field codec of the domain refuses (no codec takes a symbol), so each names itself. */
const PROBE = Symbol('openapi-probe');
const UNKNOWN_KEY = '__openapi_probe_unknown_field__';
/** Lists are probed up to this length; a larger limit is reported as none. */
const LONGEST_PROBE = 4096;

export interface ProbedStruct {
  fields: { key: string; codec: t.Mixed }[];
  required: string[];
  /** Whether an unknown field is refused. */
  closed: boolean;
}

export interface ProbedList {
  item: t.Mixed;
  minItems: number;
  maxItems: number | null;
}

function run(codec: t.Any, value: unknown): t.Errors {
  const result = codec.validate(value, [{ key: '', type: codec, actual: value }]);
  return result._tag === 'Left' ? result.left : [];
}

/** The context entry of a failure one level below the probed value: the field or item it is about. */
function child(error: t.ValidationError): t.ContextEntry | undefined {
  return error.context.length > 1 ? error.context[1] : undefined;
}

/**
 * An object codec's fields: an object that claims to own every key it is asked about (answering with
 * the probe value) lists the keys the codec checks, required and optional alike.
 */
export function probeStruct(codec: t.Any): ProbedStruct | null {
  const asked: string[] = [];
  let listed = false;
  const everything = new Proxy(
    {},
    {
      getOwnPropertyDescriptor: (_target, key) => {
        if (typeof key === 'string' && !asked.includes(key)) asked.push(key);
        return { value: PROBE, writable: true, enumerable: true, configurable: true };
      },
      get: () => PROBE,
      has: () => true,
      ownKeys: () => {
        listed = true;
        return [];
      },
    },
  );
  const failures = run(codec, everything);
  // An object codec that reads named fields and then looks for unknown ones: `struct`'s behaviour.
  if (asked.length === 0 || !listed) return null;

  const fields: { key: string; codec: t.Mixed }[] = [];
  for (const key of asked) {
    const entry = failures.map(child).find((found) => found?.key === key);
    if (entry === undefined) return null;
    fields.push({ key, codec: entry.type as t.Mixed });
  }
  const missing = run(codec, {}).map(child);
  const required = asked.filter((key) => missing.some((entry) => entry?.key === key));
  const closed = run(codec, { [UNKNOWN_KEY]: 1 })
    .map(child)
    .some((entry) => entry?.key === UNKNOWN_KEY);
  return { fields, required, closed };
}

/** Whether a list codec takes `length` items as a length (failing, if at all, on the items). */
function takesLength(codec: t.Any, length: number): boolean {
  return run(codec, new Array(length).fill(PROBE)).every((error) => child(error) !== undefined);
}

/** An array codec's item codec and length limits, found by probing lengths. */
export function probeList(codec: t.Any): ProbedList | null {
  if (run(codec, PROBE).length === 0) return null;
  let minItems = 0;
  while (minItems <= LONGEST_PROBE && !takesLength(codec, minItems)) minItems += 1;
  if (minItems > LONGEST_PROBE) return null;

  const itemFailure = run(codec, new Array(Math.max(1, minItems)).fill(PROBE))
    .map(child)
    .find((entry) => entry?.key === '0');
  if (itemFailure === undefined) return null;

  let maxItems: number | null = null;
  if (!takesLength(codec, LONGEST_PROBE)) {
    // Lengths from minItems up are taken until the limit: find the last one taken.
    let taken = Math.max(1, minItems);
    let refused = LONGEST_PROBE;
    while (refused - taken > 1) {
      const middle = Math.floor((taken + refused) / 2);
      if (takesLength(codec, middle)) taken = middle;
      else refused = middle;
    }
    maxItems = taken;
  }
  return { item: itemFailure.type as t.Mixed, minItems, maxItems };
}
