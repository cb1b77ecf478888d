import type { User } from '../ports/entities';
import type { Io } from '../ports/io';
import type { Lib } from '../ports/lib';
import { weakPassword } from './codecs';
import type { AccountsError } from './errors';

/**
 * Why `password` may not become the user's new password (docs/security-rules.md §8), as the
 * `WEAK_PASSWORD` error of `field`, or null when it may. It may equal none of the user's addresses,
 * so it is checked against each of them, and not the user's name.
 */
export async function newPasswordRefusal(
  io: Io,
  lib: Lib,
  user: User,
  field: string,
  password: string,
): Promise<AccountsError | null> {
  const emails = await io.listLoginEmails(user.id);
  const contexts =
    emails.length > 0 ? emails.map((e) => ({ email: e.address, name: user.name })) : [{ name: user.name }];
  const problems = [
    ...new Map(contexts.flatMap((c) => lib.checkPassword(password, c)).map((p) => [p.reason, p])).values(),
  ];
  return problems.length > 0 ? weakPassword(field, problems) : null;
}
