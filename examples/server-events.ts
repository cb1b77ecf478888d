import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { SqlEventOutbox } from '../src/adapters/sql';
import { parseRetention } from '../src/cli/prune-events';
import { EventRelay, type EventSink, onEventSink, WebhookSink } from '../src/events';
import type { Lib } from '../src/ports/lib';
import { ConfigError } from './server-config';

/** How often the server deletes events past `ACCOUNTS_EVENTS_RETENTION`. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

export interface ServerEventOptions {
  knex: Knex;
  lib: Lib;
  logger: Logger;
  /** `ACCOUNTS_WEBHOOK_URL` and `ACCOUNTS_WEBHOOK_SECRET`: signed webhooks beside `Lib.onEvent`. */
  webhook?: { url: string; secret: string };
  /** `ACCOUNTS_EVENTS_RETENTION` (`90d`, `12h`): delivered events older than this are deleted hourly. */
  retention?: string;
}

/** The event delivery of one server: its relay, and the retention job when one is set. */
export interface ServerEvents {
  relay: EventRelay;
  /** Stops the relay (after the batch in hand) and the retention job. */
  close(): Promise<void>;
}

/**
 * Starts the relay that delivers the outbox's events (docs/events.md) to `Lib.onEvent` (the metrics
 * counter, the integrator's hook) and, when configured, to a signed webhook. Several servers on
 * MariaDB/MySQL or PostgreSQL share the work (`SKIP LOCKED`); on SQLite run one. The domain wakes
 * the relay after each commit (`createAccounts({ events: { delivery: 'relay', onCommitted } })`), so
 * events go out within a moment; the poll picks up what other instances or a restart left.
 */
export function startServerEvents(options: ServerEventOptions): ServerEvents {
  const { knex, lib, logger, webhook } = options;
  const retentionMs = options.retention === undefined ? undefined : retentionFrom(options.retention);
  const sinks: EventSink[] = [onEventSink((event) => lib.onEvent(event))];
  if (webhook) sinks.push(new WebhookSink(webhook));
  const outbox = new SqlEventOutbox(knex);
  const relay = new EventRelay({
    outbox,
    sinks,
    onError: (error, event) => {
      // Never the payload: the event's id and type say which one, the table holds the rest.
      const where = event ? { eventId: event.id, type: event.type, attempts: event.attempts } : {};
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn({ source: 'events', ...where }, `event delivery failed: ${reason}`);
    },
  });
  relay.start();
  let timer: NodeJS.Timeout | undefined;
  if (retentionMs !== undefined) {
    const prune = () => {
      outbox.prune(new Date(Date.now() - retentionMs)).then(
        (pruned) => {
          if (pruned > 0) logger.info({ source: 'events', pruned }, `pruned ${pruned} events past retention`);
        },
        (error: unknown) => logger.warn({ source: 'events' }, `pruning events failed: ${String(error)}`),
      );
    };
    prune();
    timer = setInterval(prune, PRUNE_INTERVAL_MS);
    timer.unref();
  }
  return {
    relay,
    close: async () => {
      clearInterval(timer);
      await relay.stop();
    },
  };
}

function retentionFrom(raw: string): number {
  try {
    return parseRetention(raw);
  } catch (error) {
    const reason = (error as Error).message.replace('--older-than', 'ACCOUNTS_EVENTS_RETENTION');
    throw new ConfigError('ACCOUNTS_EVENTS_RETENTION', reason);
  }
}
