import type { AccountsEvent } from '../ports/events';
import type { Lib } from '../ports/lib';

/**
 * Delivers an event to the integrator's hook. A hook that throws or rejects never breaks the
 * operation (docs/security-rules.md §9), so both are swallowed here.
 */
export function emit(lib: Lib, event: AccountsEvent): void {
  try {
    const pending = lib.onEvent(event);
    if (pending && typeof (pending as Promise<void>).catch === 'function') {
      (pending as Promise<void>).catch(() => undefined);
    }
  } catch {
    // deliberately ignored: see above
  }
}
