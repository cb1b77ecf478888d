import type { JsonWebKeySet } from '../ports/lib';
import { ClientService } from './clients';
import type { Deps } from './context';
import { EmailService } from './emails';
import { OrganizationService } from './organizations';
import { SessionService } from './sessions';
import { UserService } from './users';

/**
 * The accounts system: one service per area over the same ports. Every operation returns
 * `Promise<Result<T, AccountsError>>`; build it with `createAccounts` (or `new Accounts(deps)` when
 * supplying every port yourself).
 */
export class Accounts {
  readonly users: UserService;
  readonly emails: EmailService;
  readonly sessions: SessionService;
  readonly organizations: OrganizationService;
  readonly clients: ClientService;

  constructor(readonly deps: Deps) {
    this.users = new UserService(deps);
    this.emails = new EmailService(deps);
    this.sessions = new SessionService(deps);
    this.organizations = new OrganizationService(deps);
    this.clients = new ClientService(deps);
  }

  /** Public keys for verifying access tokens elsewhere (`/.well-known/jwks.json`). */
  jwks(): JsonWebKeySet {
    return this.deps.lib.jwks();
  }
}
