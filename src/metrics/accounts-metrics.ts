import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Emailer, EmailMessage } from '../adapters/lib/emailers';
import type { RequestFinishedInfo } from '../handlers/types';
import type { AccountsEvent } from '../ports/events';
import { methodLabel, routeLabel } from './labels';

/**
 * Request-duration buckets in seconds: from a cached token check (a few milliseconds) to bcrypt
 * logins under load (hundreds of milliseconds) and slow databases (seconds).
 */
export const DEFAULT_DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** How to build `AccountsMetrics`. */
export interface AccountsMetricsOptions {
  /**
   * Where the metrics are registered. Default: a new registry of their own, not prom-client's global
   * one, so that two instances (tests, two mounts) never collide over a name. Pass your own to serve
   * the accounts metrics beside your application's; one `AccountsMetrics` per registry.
   */
  registry?: Registry;
  /** Also register prom-client's default process metrics (CPU, memory, event loop, GC) in the registry. Default false. */
  defaultMetrics?: boolean;
  /** Upper bounds (seconds) of the request-duration histogram. Default `DEFAULT_DURATION_BUCKETS_SECONDS`. */
  durationBucketsSeconds?: readonly number[];
}

/**
 * Prometheus metrics of an accounts system, through prom-client. Feed it from the two hooks the
 * library has, and serve `registry` (e.g. `await registry.metrics()`, content type
 * `registry.contentType`) where only your monitoring can reach it:
 * - `onEvent`: the domain events (`DefaultLib`'s `onEvent` option, or your `Lib.onEvent`);
 * - `onRequestFinished`: the handlers' `HandlersOptions.onRequestFinished`;
 * - `countingEmailer(emailer)`: the emails sent, wrapping `DefaultLib`'s `emailer`.
 *
 * Every label has a bounded set of values (route patterns, methods, statuses, the events' own
 * enumerations): never a user id, address, IP or raw path, which would leak personal data into the
 * monitoring system and let a scanner create series without end. The metric names are in the README
 * ("Metrics"). The three hooks are bound: pass them around without `bind`.
 */
export class AccountsMetrics {
  /** The registry holding the metrics; serve it as it is. */
  readonly registry: Registry;

  private readonly logins: Counter<'method' | 'outcome' | 'reason'>;
  private readonly refreshTokenReuses: Counter;
  private readonly events: Counter<'type'>;
  private readonly deliveryFailures: Counter<'purpose'>;
  private readonly emailsSent: Counter<'kind'>;
  private readonly rateLimited: Counter<'method' | 'route'>;
  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(options: AccountsMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    this.logins = new Counter({
      name: 'accounts_logins_total',
      help: 'Logins by method (password, code, mfa) and outcome (succeeded, failed); reason is the failure reason, "none" on success.',
      labelNames: ['method', 'outcome', 'reason'],
      registers,
    });
    this.refreshTokenReuses = new Counter({
      name: 'accounts_refresh_token_reuses_total',
      help: 'Refresh tokens presented again after rotation: each revoked its session (possible token theft).',
      registers,
    });
    this.events = new Counter({
      name: 'accounts_events_total',
      help: 'Domain events by type (user.registered, session.revoked, ...).',
      labelNames: ['type'],
      registers,
    });
    this.deliveryFailures = new Counter({
      name: 'accounts_email_delivery_failures_total',
      help: 'Code and invitation emails the emailer failed to deliver, by purpose.',
      labelNames: ['purpose'],
      registers,
    });
    this.emailsSent = new Counter({
      name: 'accounts_emails_sent_total',
      help: 'Code and invitation emails handed to the emailer without error, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'accounts_rate_limited_total',
      help: 'Requests refused with 429 (a rate limit passed), by method and route pattern.',
      labelNames: ['method', 'route'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'accounts_http_request_duration_seconds',
      help: 'Time the handlers took to answer, by method, route pattern ("unmatched" for unknown paths) and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [...(options.durationBucketsSeconds ?? DEFAULT_DURATION_BUCKETS_SECONDS)],
      registers,
    });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Counts a domain event. Chain it into the `Lib`'s hook: `onEvent: metrics.onEvent`, or
   * `onEvent: (event) => { metrics.onEvent(event); return audit(event); }` beside a hook of your own.
   */
  readonly onEvent = (event: AccountsEvent): void => {
    this.events.inc({ type: event.type });
    switch (event.type) {
      case 'login.succeeded':
        this.logins.inc({ method: event.method, outcome: 'succeeded', reason: 'none' });
        break;
      case 'login.failed':
        this.logins.inc({ method: event.method, outcome: 'failed', reason: event.reason });
        break;
      case 'refresh_token.reused':
        this.refreshTokenReuses.inc();
        break;
      case 'email.delivery_failed':
        this.deliveryFailures.inc({ purpose: event.purpose });
        break;
    }
  };

  /** Records one answered request: `createHandlers(accounts, { onRequestFinished: metrics.onRequestFinished })`. */
  readonly onRequestFinished = (info: RequestFinishedInfo): void => {
    const method = methodLabel(info.method);
    const route = routeLabel(info.route);
    this.requestDuration.observe({ method, route, status: String(info.status) }, info.durationMs / 1000);
    // RATE_LIMITED is the only error the handlers answer with 429 (its limit's key names a user or
    // address, so the route is the label, not the limit).
    if (info.status === 429) this.rateLimited.inc({ method, route });
  };

  /**
   * `emailer`, counting each email it sends without error by kind (`verify-email`, `login`,
   * `password-reset`, `invitation`). Failures are counted from the `email.delivery_failed` event.
   */
  countingEmailer(emailer: Emailer): Emailer {
    return {
      send: async (message: EmailMessage) => {
        await emailer.send(message);
        this.emailsSent.inc({ kind: message.kind });
      },
    };
  }
}
