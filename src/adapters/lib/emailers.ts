import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CodePurpose } from '../../ports/entities';

/** One composed email carrying a verification or login code, or an invitation's token. */
export interface EmailMessage {
  /** Normalized recipient address. */
  to: string;
  subject: string;
  text: string;
  kind: EmailKind;
  /** The code (or invitation token) alone, for channels that render their own template (and for tests). */
  code: string;
}

/** What an email is for: a code's purpose, or `invitation` (its `code` is the invitation token). */
export type EmailKind = CodePurpose | 'invitation';

/** Delivers composed emails. Implement it over SMTP or a provider's API for production. */
export interface Emailer {
  send(message: EmailMessage): Promise<void>;
}

/** Keeps every email in memory: tests and prototypes read codes from it instead of a mailbox. */
export class RecordingEmailer implements Emailer {
  readonly sent: EmailMessage[] = [];

  async send(message: EmailMessage): Promise<void> {
    this.sent.push(message);
  }

  /** The most recent email, or the most recent one to `to` (compared normalized); undefined if none. */
  last(to?: string): EmailMessage | undefined {
    const matching = to === undefined ? this.sent : this.sentTo(to);
    return matching[matching.length - 1];
  }

  /** Every code sent to `address`, oldest first. */
  codesFor(address: string): string[] {
    return this.sentTo(address).map((message) => message.code);
  }

  /** Forgets every recorded email. */
  clear(): void {
    this.sent.length = 0;
  }

  protected sentTo(address: string): EmailMessage[] {
    const normalized = address.trim().toLowerCase();
    return this.sent.filter((message) => message.to === normalized);
  }
}

export interface ConsoleEmailerOptions {
  /** Where the rendered email goes. Default: stdout. */
  write?: (output: string) => void;
}

/**
 * The development mail channel: prints each email, code included, to stdout. Codes printed to a log
 * are readable by anyone with the log, so never use it in production; give `DefaultLib` a real emailer.
 */
export class ConsoleEmailer implements Emailer {
  protected readonly write: (output: string) => void;

  constructor(options: ConsoleEmailerOptions = {}) {
    this.write = options.write ?? ((output) => process.stdout.write(output));
  }

  async send(message: EmailMessage): Promise<void> {
    this.write(
      `--- email to ${message.to} (${message.kind}) ---\nSubject: ${message.subject}\n\n${message.text}\n---\n`,
    );
  }
}

/**
 * Appends each email as one JSON line `{ "to", "subject", "text", "kind", "code" }` to a file (the
 * development outbox, `ACCOUNTS_DEV_OUTBOX`), creating its directory if missing. Development only:
 * the file holds live codes.
 *
 * The line is written synchronously, before `send` returns: the login-code endpoints answer before
 * their email is delivered (so their timing reveals nothing), and a script that reads the outbox right
 * after the answer must find the new code there, never the one before it.
 */
export class OutboxEmailer implements Emailer {
  constructor(readonly filePath: string) {}

  async send(message: EmailMessage): Promise<void> {
    const line = `${JSON.stringify({
      to: message.to,
      subject: message.subject,
      text: message.text,
      kind: message.kind,
      code: message.code,
    })}\n`;
    mkdirSync(dirname(this.filePath), { recursive: true });
    appendFileSync(this.filePath, line, 'utf8');
  }
}

/**
 * Sends every email through each of several emailers (e.g. the console and the outbox). All are tried
 * even when one fails; then the failure (or an `AggregateError` of several) is thrown.
 */
export class MultiEmailer implements Emailer {
  readonly emailers: readonly Emailer[];

  constructor(...emailers: Emailer[]) {
    this.emailers = emailers;
  }

  async send(message: EmailMessage): Promise<void> {
    const results = await Promise.allSettled(this.emailers.map((emailer) => emailer.send(message)));
    const errors = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} emailers failed`);
  }
}
