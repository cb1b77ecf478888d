import { normalizeIpRestriction, restrictionsAllow } from '../../src/domain/access-restrictions';

/** Stores `restriction` as the service would (normalized) and checks a caller address against it. */
export function ipRestrictionAllows(restriction: string, caller: string): string {
  const stored = normalizeIpRestriction(restriction);
  if (typeof stored !== 'string') return `refused (${stored.error})`;
  return `stored as ${stored}, allows=${restrictionsAllow([{ type: 'ip', value: stored }], { ip: caller, origin: null, api: 'accounts' })}`;
}
