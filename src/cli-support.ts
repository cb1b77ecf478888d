import { randomBytes } from 'node:crypto';
import { DefaultLib } from './adapters/lib';
import type { AccountsError } from './domain/errors';

/**
 * The `Lib` of the operator commands (bootstrap, roles): they sign no token and send no email, so a
 * throwaway key and a silent emailer satisfy its options, and production's refusal of the console
 * emailer does not apply.
 */
export function operatorLib(options: { bcryptCost?: number } = {}): DefaultLib {
  return new DefaultLib({
    tokens: { secret: randomBytes(32) },
    passwords: options.bcryptCost === undefined ? undefined : { bcryptCost: options.bcryptCost },
    emailer: { send: async () => undefined },
  });
}

/** An `AccountsError` as one terminal line: code, message and each bad field. */
export function describeAccountsError(error: Pick<AccountsError, 'code' | 'message' | 'details'>): string {
  const details = (error.details ?? []).map((detail) => `${detail.path} ${detail.message}`).join('; ');
  return `${error.code}: ${error.message}${details ? ` (${details})` : ''}`;
}
