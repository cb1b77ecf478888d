import type { JsonWebKeySet } from '../ports/lib';
import { ClientService } from './clients';
import { PendingDeliveries } from './code-delivery';
import type { Deps } from './context';
import { EmailService } from './emails';
import { EventTrailService } from './event-trail';
import { InvitationService } from './invitations';
import { OrganizationService } from './organizations';
import { PasswordResetService } from './password-reset';
import { SessionService } from './sessions';
import { TwoFactorService } from './two-factor';
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
  readonly invitations: InvitationService;
  readonly passwordReset: PasswordResetService;
  readonly twoFactor: TwoFactorService;
  /** The event trail of organizations and users (`GET /organizations/:id/events`, `GET /users/:id/events`). */
  readonly events: EventTrailService;

  readonly deps: Deps;
  private readonly deliveries: PendingDeliveries;

  constructor(deps: Deps) {
    this.deliveries = deps.pendingDeliveries ?? new PendingDeliveries();
    this.deps = { ...deps, pendingDeliveries: this.deliveries };
    this.users = new UserService(this.deps);
    this.emails = new EmailService(this.deps);
    this.sessions = new SessionService(this.deps);
    this.organizations = new OrganizationService(this.deps);
    this.clients = new ClientService(this.deps);
    this.invitations = new InvitationService(this.deps);
    this.passwordReset = new PasswordResetService(this.deps);
    this.twoFactor = new TwoFactorService(this.deps);
    this.events = new EventTrailService(this.deps);
  }

  /**
   * Resolves once `Lib.sendCode` has finished for every code email sent after its answer (the
   * login-code and resend endpoints answer first, so their timing does not reveal whether an address
   * exists), or once `timeoutMs` has passed; true when none is left. Await it before shutting down,
   * and in tests before reading a failed delivery's event.
   */
  settled(timeoutMs?: number): Promise<boolean> {
    return this.deliveries.settled(timeoutMs);
  }

  /** How many code emails sent after their answer are still being delivered. */
  get pendingDeliveries(): number {
    return this.deliveries.pending;
  }

  /** Public keys for verifying access tokens elsewhere (`/.well-known/jwks.json`). */
  jwks(): JsonWebKeySet {
    return this.deps.lib.jwks();
  }
}
