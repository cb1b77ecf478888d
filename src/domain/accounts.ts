import type { JsonWebKeySet } from '../ports/lib';
import { ClientService } from './clients';
import { PendingDeliveries } from './codes';
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

  readonly deps: Deps;
  private readonly pendingDeliveries: PendingDeliveries;

  constructor(deps: Deps) {
    this.pendingDeliveries = deps.pendingDeliveries ?? new PendingDeliveries();
    this.deps = { ...deps, pendingDeliveries: this.pendingDeliveries };
    this.users = new UserService(this.deps);
    this.emails = new EmailService(this.deps);
    this.sessions = new SessionService(this.deps);
    this.organizations = new OrganizationService(this.deps);
    this.clients = new ClientService(this.deps);
  }

  /**
   * Resolves once every code email sent after its answer has been handed to `Lib.sendCode` (the
   * login-code and resend endpoints answer first, so their timing does not reveal whether an address
   * exists). Await it before shutting down, and in tests before reading a failed delivery's event.
   */
  settled(): Promise<void> {
    return this.pendingDeliveries.settled();
  }

  /** Public keys for verifying access tokens elsewhere (`/.well-known/jwks.json`). */
  jwks(): JsonWebKeySet {
    return this.deps.lib.jwks();
  }
}
