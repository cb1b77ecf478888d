/**
 * Run by time-zones.test.ts in a child process with a far-off TZ (jest cannot change the zone of its
 * own process): writes a user through SqlIo, then prints what SqlIo reads back and what the column
 * holds, as JSON.
 */
import { createKnexFromUrl, SqlIo } from '../../../src/adapters/sql';
import { makeUser } from '../../../src/testing';

async function main(): Promise<void> {
  const knex = createKnexFromUrl(process.argv[2]);
  try {
    const io = new SqlIo(knex);
    const user = makeUser({
      createdAt: new Date('2030-07-01T23:30:00.123Z'),
      bannedAt: new Date('2030-01-01T00:00:00.001Z'),
    });
    await io.insertUser(user);
    const found = await io.findUserById(user.id);
    const client = knex.client.config.client;
    const column =
      client === 'mysql2'
        ? knex.raw(`date_format(created_at, '%Y-%m-%dT%H:%i:%s.%f') as stored`)
        : client === 'pg'
          ? knex.raw(`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') as stored`)
          : knex.raw('created_at as stored');
    const raw = await knex('users').where({ id: user.id }).first(column);
    process.stdout.write(
      JSON.stringify({
        offsetMinutes: new Date('2030-07-01T00:00:00Z').getTimezoneOffset(),
        createdAt: found?.createdAt.toISOString(),
        bannedAt: found?.bannedAt?.toISOString(),
        stored: String(raw.stored),
      }),
    );
  } finally {
    await knex.destroy();
  }
}

main().catch((error) => {
  process.stderr.write(String(error?.stack ?? error));
  process.exit(1);
});
