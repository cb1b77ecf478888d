/**
 * The seed every SQL case runs on: 10,000 users, each with a verified login email, one live session,
 * its unused refresh token and a signed access token, plus an organization with API clients for key
 * authentication. Rows are written through `SqlIo` itself (`insertUser`, `insertLoginEmail`,
 * `insertSession`, `insertRefreshToken`…), in batched transactions, rather than through 10,000 bcrypt
 * registrations; every user shares one password hash at the configured bcrypt cost, so password
 * logins against any of them do the real work. The same dataset goes into every database.
 */
import {
  type AccessRestriction,
  type Client,
  type DefaultLib,
  formatClientKey,
  type Io,
  type LoginEmail,
  type Organization,
  type Session,
  type User,
} from '../src';
import { makeLoginEmail, makeSession, makeUser } from '../src/testing';

export const BENCH_PASSWORD = 'correct horse battery staple';

export interface SeededUser {
  user: User;
  email: LoginEmail;
  session: Session;
  refreshToken: string;
  accessToken: string;
}

export interface SeededClient {
  client: Client;
  restrictions: AccessRestriction[];
  key: string;
}

export interface Dataset {
  users: SeededUser[];
  organization: Organization;
  clients: SeededClient[];
  /** What a request of every seeded client passes its restrictions with. */
  keyRequest: { ip: string; origin: string; api: string };
}

const DAY_MS = 24 * 3_600_000;

export async function makeDataset(lib: DefaultLib, userCount: number, clientCount: number): Promise<Dataset> {
  const now = lib.now();
  const passwordHash = await lib.hashPassword(BENCH_PASSWORD);
  const users: SeededUser[] = [];
  for (let i = 0; i < userCount; i++) {
    const user = makeUser({
      id: lib.newId('user'),
      name: `Bench user ${i}`,
      passwordHash,
      createdAt: now,
      updatedAt: now,
    });
    const email = makeLoginEmail({
      address: `user${i}@bench.example`,
      userId: user.id,
      verifiedAt: now,
      createdAt: now,
    });
    const session = makeSession({
      id: lib.newId('session'),
      userId: user.id,
      ip: '127.0.0.1',
      userAgent: 'accounts-module bench',
      createdAt: now,
      lastUsedAt: now,
      idleExpiresAt: new Date(now.getTime() + lib.config.sessionIdleTtlMs),
      expiresAt: new Date(now.getTime() + lib.config.sessionAbsoluteTtlMs),
      authenticatedAt: now,
    });
    const accessToken = await lib.signAccessToken({
      userId: user.id,
      sessionId: session.id,
      roles: user.roles,
      clientId: null,
      authMethod: session.authMethod,
      authenticatedAt: session.authenticatedAt,
    });
    users.push({ user, email, session, refreshToken: lib.newSecret(), accessToken });
  }

  const organization: Organization = {
    id: lib.newId('organization'),
    name: 'Bench',
    requireMfa: false,
    createdAt: now,
    updatedAt: now,
    fields: {},
  };
  const clients: SeededClient[] = [];
  for (let i = 0; i < clientCount; i++) {
    const secret = lib.newSecret();
    const client: Client = {
      id: lib.newId('client'),
      organizationId: organization.id,
      name: `Bench client ${i}`,
      secretHash: lib.hashSecret(secret),
      roles: ['external'],
      reqsPerSec: lib.config.defaultReqsPerSec,
      createdAt: new Date(now.getTime() - DAY_MS),
      updatedAt: now,
      deletedAt: null,
      lastUsedAt: null,
      fields: {},
    };
    const restriction = (type: AccessRestriction['type'], value: string): AccessRestriction => ({
      id: lib.newId('restriction'),
      clientId: client.id,
      type,
      value,
      createdAt: now,
    });
    clients.push({
      client,
      restrictions: [
        restriction('ip', '127.0.0.0/8'),
        restriction('host', '*.bench.example'),
        restriction('api', 'accounts'),
      ],
      key: formatClientKey(lib.config.clientKeyPrefix, client.id, secret),
    });
  }
  return {
    users,
    organization,
    clients,
    keyRequest: { ip: '127.0.0.1', origin: 'https://app.bench.example', api: 'accounts' },
  };
}

/** Writes the dataset through the `Io`, in transactions of `batch` users, a few at a time. */
export async function seedDatabase(
  io: Io,
  lib: DefaultLib,
  dataset: Dataset,
  batch = 250,
  parallel = 4,
): Promise<void> {
  const batches: SeededUser[][] = [];
  for (let i = 0; i < dataset.users.length; i += batch) batches.push(dataset.users.slice(i, i + batch));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const users = batches[next++]!;
      await io.transaction(async (tx) => {
        for (const { user, email, session, refreshToken } of users) {
          await tx.insertUser(user);
          if (!(await tx.insertLoginEmail(email))) throw new Error(`seed: ${email.address} taken`);
          await tx.insertSession(session);
          await tx.insertRefreshToken({
            tokenHash: lib.hashSecret(refreshToken),
            sessionId: session.id,
            createdAt: session.createdAt,
            expiresAt: new Date(Math.min(session.idleExpiresAt.getTime(), session.expiresAt.getTime())),
            consumedAt: null,
          });
        }
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));

  await io.insertOrganization(dataset.organization);
  await io.transaction(async (tx) => {
    for (const { client, restrictions } of dataset.clients) {
      await tx.insertClient(client);
      await tx.insertAccessRestrictions(restrictions);
    }
  });
}
