import type { Knex } from 'knex';
import { SqlIo } from '../adapters/sql';
import { chooseDatabase, openDatabase, parseFlags } from './support';
import { type CliCommand, CliUsageError } from './types';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/** What `--older-than` takes, for its messages. */
const DURATION_FORMS = 'a whole number followed by d (days), h (hours) or m (minutes), such as 90d, 12h or 30m';

/**
 * `--older-than`: a positive whole number and a unit, `d`, `h` or `m` (`90d`), in milliseconds.
 * Nothing else, not even `90` or `1.5d`: a misread retention period deletes an audit trail for good.
 */
export function parseRetention(raw: string): number {
  const match = /^([0-9]{1,6})([dhm])$/.exec(raw.trim());
  const amount = match ? Number(match[1]) : 0;
  if (!match || amount < 1) {
    throw new CliUsageError(`--older-than is "${raw}": it must be ${DURATION_FORMS}`);
  }
  return amount * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/**
 * Deletes the events that were delivered (or given up on) and happened before `olderThan`; an event
 * still waiting for delivery is kept, however old (docs/events.md). Returns how many went.
 */
export async function pruneEvents(knex: Knex, olderThan: Date): Promise<number> {
  if (!(await knex.schema.hasTable('events'))) {
    throw new Error('the database has no events table: run `accounts-module migrate` first');
  }
  return new SqlIo(knex).pruneEvents(olderThan);
}

/** `accounts-module prune-events --older-than 90d`: the retention job for the event trail. */
export const pruneEventsCommand: CliCommand = {
  summary: 'delete delivered events older than a duration (e.g. --older-than 90d)',
  usage: 'prune-events --older-than <duration> [--url <database URL>]',
  details: [
    `--older-than <duration>  ${DURATION_FORMS};`,
    '                         events whose time is before now minus it are deleted, if they were',
    '                         delivered or given up on (one still waiting for delivery is kept)',
    '--url <database URL>     mysql://…, postgres://…, sqlite:<path> or a plain path (a SQLite file);',
    '                         default: $DATABASE_URL',
    '',
    'Example: accounts-module prune-events --older-than 90d   (run it daily, from cron or a scheduled job)',
  ],
  async run(args, context) {
    const flags = parseFlags(args, { 'older-than': { type: 'string' }, url: { type: 'string' } });
    const retention = flags['older-than'];
    if (retention === undefined) throw new CliUsageError(`--older-than is missing: pass ${DURATION_FORMS}`);
    const cutoff = new Date(Date.now() - parseRetention(retention));
    const knex = openDatabase(chooseDatabase(flags.url, context));
    try {
      const pruned = await pruneEvents(knex, cutoff);
      context.out(
        `Pruned ${pruned} event${pruned === 1 ? '' : 's'} older than ${retention.trim()} (before ${cutoff.toISOString()}).`,
      );
      return 0;
    } finally {
      await knex.destroy();
    }
  },
};
