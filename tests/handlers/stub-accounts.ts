import { Ok, type Result } from 'ts-results';
import type { Accounts } from '../../src/domain/accounts';
import type { KeyRequest } from '../../src/domain/clients';
import type { CallerClient, CallerUser } from '../../src/domain/context';
import { type AccountsError, fail } from '../../src/domain/errors';

export const GOOD_TOKEN = 'good.access.token';
export const GOOD_KEY = 'ak_cli_1_secret';
export const RESTRICTED_KEY = 'ak_cli_2_secret';
export const STUB_USER: CallerUser = { id: 'usr_1', roles: ['user'], sessionId: 'ses_1' };
export const STUB_CLIENT: CallerClient = { id: 'cli_1', organizationId: 'org_1', roles: ['external'] };

type Method = (...args: never[]) => Promise<Result<unknown, AccountsError>>;

/**
 * An `Accounts`-shaped stub for testing the HTTP layer alone: credentials are checked against fixed
 * values, and each service method can be replaced by a jest mock.
 */
export function stubAccounts(methods: { [area: string]: Record<string, Method> } = {}): {
  accounts: Accounts;
  keyRequests: KeyRequest[];
} {
  const keyRequests: KeyRequest[] = [];
  const base = {
    sessions: {
      authenticate: async (token: string) => (token === GOOD_TOKEN ? Ok({ ...STUB_USER }) : fail('INVALID_TOKEN')),
    },
    clients: {
      authenticate: async (key: string, request: KeyRequest) => {
        keyRequests.push(request);
        if (key === GOOD_KEY) return Ok({ ...STUB_CLIENT });
        return key === RESTRICTED_KEY ? fail('ACCESS_RESTRICTED') : fail('INVALID_CLIENT');
      },
    },
    jwks: () => ({ keys: [] }),
  } as Record<string, unknown>;
  for (const [area, overrides] of Object.entries(methods)) {
    base[area] = { ...(base[area] as object), ...overrides };
  }
  return { accounts: base as unknown as Accounts, keyRequests };
}
