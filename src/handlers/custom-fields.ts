import { Err, Ok, type Result } from 'ts-results';
import type { Accounts } from '../domain/accounts';
import type { FieldEntity } from '../domain/custom-fields';
import { type AccountsError, accountsError } from '../domain/errors';

/**
 * The HTTP side of custom fields (docs/fields.md): `private` ones never cross HTTP, `readOnly` ones
 * only go out. The services take and give every field; these run at the edge, in the handlers.
 */

/**
 * Refuses a body that sets a field HTTP may not set, as an unknown field (every such field named),
 * before the service sees it: a user must not set their own plan or billing id.
 */
export function httpInput(accounts: Accounts, entity: FieldEntity, body: unknown): Result<unknown, AccountsError> {
  const settings = accounts.deps?.fields?.[entity];
  if (settings === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return Ok(body);
  const refused = Object.keys(body).filter((key) => settings.notFromHttp.has(key));
  if (refused.length === 0) return Ok(body);
  return Err(
    accountsError('VALIDATION_FAILED', {
      details: refused.map((path) => ({ path, message: 'is not a known field' })),
    }),
  );
}

/** A view without the entity's private fields. */
export function httpView<T>(accounts: Accounts, entity: FieldEntity, view: T): T {
  const hidden = accounts.deps?.fields?.[entity]?.private;
  if (hidden === undefined || hidden.size === 0 || typeof view !== 'object' || view === null) return view;
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(view)) if (!hidden.has(key)) shown[key] = value;
  return shown as T;
}

/** `httpView` over an answer: one view, a page of them, or (`at`) one nested under a key. */
export function httpAnswer<T>(
  accounts: Accounts,
  entity: FieldEntity,
  result: Result<T, AccountsError>,
  at?: string,
): Result<T, AccountsError> {
  const hidden = accounts.deps?.fields?.[entity]?.private;
  if (!result.ok || hidden === undefined || hidden.size === 0) return result;
  const value = result.val as Record<string, unknown>;
  if (at !== undefined) return Ok({ ...value, [at]: httpView(accounts, entity, value[at]) } as T);
  if (Array.isArray(value.data) && 'nextCursor' in value) {
    return Ok({ ...value, data: value.data.map((item) => httpView(accounts, entity, item)) } as T);
  }
  return Ok(httpView(accounts, entity, result.val));
}
