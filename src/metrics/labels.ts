/** The `route` label of a request no route matched: one series for every unknown path a scanner tries. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The `method` label of a method outside `KNOWN_METHODS`. */
export const OTHER_METHOD = 'OTHER';

/**
 * Methods kept as they are in labels. Anything else becomes `OTHER`: adapters over the Fetch API pass
 * whatever token a client sends, and each distinct one would otherwise be a new series.
 */
const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The `method` label of a request method: one of `KNOWN_METHODS`, else `OTHER`. */
export function methodLabel(method: string): string {
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : OTHER_METHOD;
}

/** The `route` label: the route pattern (bounded by the route table), or `unmatched`. */
export function routeLabel(route: string | null): string {
  return route ?? UNMATCHED_ROUTE;
}
