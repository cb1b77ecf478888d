import type { Io } from '../ports/io';

/**
 * Whether the user has a confirmed TOTP factor: then logins, step-up and resets ask for it. Its own
 * file because step-up (which every sensitive action imports) and the two-factor service both need it.
 */
export async function hasTwoFactor(io: Io, userId: string): Promise<boolean> {
  const factor = await io.findTotpFactor(userId);
  return factor !== null && factor.confirmedAt !== null;
}
