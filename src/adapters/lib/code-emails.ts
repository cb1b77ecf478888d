import type { CodeMessage, InvitationMessage } from '../../ports/lib';
import type { EmailMessage } from './emailers';

/**
 * The wording of the emails `DefaultLib` sends (`composeCodeEmail`, `composeInvitationEmail`): the
 * code in the text only, never in the subject, which notification previews and mail logs show.
 */
export function codeEmail(message: CodeMessage, lifetime: string): EmailMessage {
  const { to, code, purpose } = message;
  if (purpose === 'login') {
    return {
      to,
      subject: 'Your login code',
      text:
        `Your login code is ${code}\n\nIt expires in ${lifetime}. If you did not try to sign in, ` +
        'ignore this email: nobody can sign in without the code.',
      kind: purpose,
      code,
    };
  }
  if (purpose === 'password-reset') {
    return {
      to,
      subject: 'Your password reset code',
      text:
        `Your password reset code is ${code}\n\nIt expires in ${lifetime}. If you did not ask to reset ` +
        'your password, ignore this email: your password stays as it is, and nobody can change it without the code.',
      kind: purpose,
      code,
    };
  }
  return {
    to,
    subject: 'Verify your email address',
    text:
      `Your verification code is ${code}\n\nIt expires in ${lifetime}. If you did not add this ` +
      'address to an account, ignore this email.',
    kind: purpose,
    code,
  };
}

/** An invitation, the token in both `text` and `code`; `remainingMs` until it expires. */
export function invitationEmail(message: InvitationMessage, remainingMs: number): EmailMessage {
  const days = Math.max(1, Math.round(remainingMs / 86_400_000));
  return {
    to: message.to,
    subject: `You are invited to join ${message.organizationName}`,
    text:
      `You are invited to join ${message.organizationName} as ${message.role}.\n\nSign in (or create an ` +
      `account) with this address, verify it, and accept with this token:\n\n${message.token}\n\n` +
      `It expires in ${days === 1 ? '1 day' : `${days} days`}. If you do not know this organization, ignore this email.`,
    kind: 'invitation',
    code: message.token,
  };
}

/** "10 minutes", "24 hours": how long a code stays valid, rounded for people. */
export function describeLifetime(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 120) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  return `${Math.round(minutes / 60)} hours`;
}
