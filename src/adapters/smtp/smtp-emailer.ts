import type { SendMailOptions, SMTPTransportOptions } from 'nodemailer';
import type { Emailer, EmailKind, EmailMessage } from '../lib/emailers';
import { mailboxProblem, recipientProblem } from './addresses';
import { type EmailTemplates, type RenderedEmail, singleLine, subjectCarriesCode, templateFor } from './templates';

/** What `SmtpEmailer` needs of a transport: a nodemailer transporter (`createTransport(…)`) has it. */
export interface MailTransport {
  sendMail(mail: SendMailOptions): Promise<unknown>;
  verify?(): Promise<unknown>;
  close?(): void;
}

/**
 * nodemailer's SMTP options, passed through as they are (`secure`, `requireTLS`, `ignoreTLS`, `auth`,
 * `tls`, `name`, the timeouts …) and winning over what the URL says. Its logging options are left
 * out on purpose: nodemailer's debug log holds the message, code included.
 */
export type SmtpTransportOptions = Omit<SMTPTransportOptions, 'url' | 'logger' | 'debug' | 'transactionLog' | 'pool'>;

/** How an `SmtpEmailer` reaches its server and what its emails look like. */
export interface SmtpEmailerOptions {
  /**
   * `smtp://user:pass@host:587` (upgraded by STARTTLS, which is required: a server that does not
   * offer it fails the send before any credentials or codes go out) or `smtps://user:pass@host:465`
   * (TLS from the first byte). Without `requireTLS`, an attacker on the path could strip the STARTTLS
   * offer and read the password and the codes. Opt out only for a local relay on a trusted network,
   * with `?requireTLS=false` (or `transportOptions: { requireTLS: false }`, or `ignoreTLS`).
   * User and password must be percent-encoded (`encodeURIComponent`: a raw `/`, `@`, `:`, `?` or `#`
   * would move the rest into the host or path); a URL that does not read back as written, or has a
   * path, is refused. Query parameters are read as nodemailer reads them
   * (`?tls.rejectUnauthorized=false`). Give this or `transport`.
   */
  url?: string;
  /**
   * A transport built by the caller (e.g. `nodemailer.createTransport({ pool: true, … })` or a
   * provider's nodemailer transport), used instead of `url`; nodemailer is then never loaded here.
   */
  transport?: MailTransport;
  /**
   * The From header, `accounts@example.com` or `"Example" <accounts@example.com>`. Required; exactly
   * one address, without control characters (CR/LF would add headers), else the constructor throws.
   */
  from: string;
  /**
   * A Reply-To header, e.g. the support desk: replies to a no-reply sender are otherwise lost.
   * Checked as `from` is.
   */
  replyTo?: string;
  /** Passed to nodemailer's SMTP transport with the URL; ignored with `transport`. */
  transportOptions?: SmtpTransportOptions;
  /**
   * The longest a send may take, connection to last reply (default 10 000 ms); also nodemailer's
   * connection, greeting, socket and DNS timeouts unless `transportOptions` sets them. A server that
   * accepts the connection and never answers fails the send in this time instead of holding it for
   * nodemailer's default minutes.
   */
  timeoutMs?: number;
  /** Replaces the shipped template of any kind of email (see `DEFAULT_EMAIL_TEMPLATES`). */
  templates?: Partial<EmailTemplates>;
}

/** Default `SmtpEmailerOptions.timeoutMs`. */
export const DEFAULT_SMTP_TIMEOUT_MS = 10_000;

/**
 * Why a send failed: `timeout` (no answer in time), `rejected` (the server said no),
 * `invalid-address` (the recipient is not a plain address nodemailer would deliver to as written:
 * nothing was sent), or `other`.
 */
export type SmtpFailureReason = 'timeout' | 'rejected' | 'invalid-address' | 'other';

/**
 * A failed delivery. Its message names the kind of email, the server (URL with the password
 * replaced by `***`) and nodemailer's reason, with the code and password cut out of it; it is safe to
 * log. The domain turns it into an `email.delivery_failed` event and keeps the code valid.
 */
export class SmtpDeliveryError extends Error {
  override readonly name = 'SmtpDeliveryError';
  constructor(
    message: string,
    /** The kind of email; undefined for a failed `verify`. */
    readonly kind: EmailKind | undefined,
    readonly reason: SmtpFailureReason,
    /** nodemailer's error code (`EAUTH`, `ETIMEDOUT`, `ECONNECTION`, `EENVELOPE`, `ETLS` …), when it gave one. */
    readonly smtpErrorCode?: string,
    /** The server's reply code (e.g. 535, 550), when it replied. */
    readonly responseCode?: number,
  ) {
    super(message);
  }
}

/** One exchange with the server, as `withDeadline` reports it. */
interface Attempt {
  what: string;
  kind?: EmailKind;
  /** Cut out of any error text. */
  code?: string;
  controller?: AbortController;
}

/**
 * Headers on every email. `Auto-Submitted` (RFC 3834) keeps vacation responders from answering a
 * machine; `X-Auto-Response-Suppress` is Exchange's spelling of the same request.
 */
export const STANDARD_HEADERS: Readonly<Record<string, string>> = {
  'Auto-Submitted': 'auto-generated',
  'X-Auto-Response-Suppress': 'All',
};

/**
 * An `Emailer` over SMTP with nodemailer (an optional peer dependency: install it to use this).
 * Each email is multipart/alternative, a text and an HTML part from the kind's template, with From,
 * To, Subject, Date, Message-ID, MIME-Version and `STANDARD_HEADERS`; the code is in both parts and
 * never in the subject (refused if a template puts it there).
 *
 * A failed send rejects with `SmtpDeliveryError` within `timeoutMs`. Neither the code nor the SMTP
 * password is ever logged: nodemailer's logger stays off and error messages are redacted.
 * Override `render` in a subclass to choose templates by other rules (the recipient's language …).
 */
export class SmtpEmailer implements Emailer {
  /** The server as it may be shown: the URL with its password replaced, or `the given transport`. */
  readonly server: string;
  protected readonly transport: MailTransport;
  protected readonly from: string;
  protected readonly replyTo: string | undefined;
  protected readonly timeoutMs: number;
  protected readonly templates: Partial<EmailTemplates>;
  private readonly secrets: string[];

  constructor(options: SmtpEmailerOptions) {
    checkMailbox('from', options.from);
    if (options.replyTo !== undefined) checkMailbox('replyTo', options.replyTo);
    const timeoutMs = options.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new Error('SmtpEmailer: options.timeoutMs must be positive');
    this.from = options.from;
    this.replyTo = options.replyTo;
    this.timeoutMs = timeoutMs;
    this.templates = options.templates ?? {};
    if (options.transport) {
      this.transport = options.transport;
      this.server = 'the given transport';
      this.secrets = [];
      return;
    }
    if (!options.url) throw new Error('SmtpEmailer: give options.url (smtp://… or smtps://…) or options.transport');
    const fromUrl = smtpOptionsFromUrl(options.url);
    this.server = redactSmtpUrl(options.url);
    const given = options.transportOptions ?? {};
    // An explicit ignoreTLS is an opt-out too: nodemailer would otherwise let the default requireTLS win.
    if (given.ignoreTLS === true && given.requireTLS === undefined) delete fromUrl.requireTLS;
    const connection = { ...fromUrl, ...withTimeouts(given, timeoutMs) };
    // A password of one or two characters is not cut out of error texts: that would shred every word.
    this.secrets = [connection.auth?.pass ?? '', smtpPasswordOf(options.url)].filter((secret) => secret.length >= 3);
    this.transport = loadNodemailer().createTransport({ ...connection, logger: false, debug: false });
  }

  /** Renders the email with its kind's template and sends it; rejects with `SmtpDeliveryError`. */
  async send(message: EmailMessage): Promise<void> {
    const problem = recipientProblem(message.to);
    if (problem !== undefined) {
      // The address is not shown: it is personal data, and the string may be crafted to mislead a log.
      const text = `SmtpEmailer: ${message.kind} email not sent: the recipient address is refused (${problem})`;
      throw new SmtpDeliveryError(text, message.kind, 'invalid-address');
    }
    const rendered = this.render(message);
    if (subjectCarriesCode(rendered.subject, message.code)) {
      // A subject is shown in notifications on a locked phone: the code would be readable without it.
      throw new Error(`SmtpEmailer: the template of ${message.kind} emails puts the code in the subject`);
    }
    const mail: SendMailOptions = {
      from: this.from,
      to: message.to,
      subject: singleLine(rendered.subject),
      text: rendered.text,
      html: rendered.html,
      headers: { ...STANDARD_HEADERS, ...rendered.headers },
    };
    if (this.replyTo) mail.replyTo = this.replyTo;
    await this.deliver(mail, message);
  }

  /** Subject, text and HTML of one email. Override to pick templates by other rules than its kind. */
  protected render(message: EmailMessage): RenderedEmail {
    return templateFor(message.kind, this.templates)(message);
  }

  /** Checks that the server answers and accepts the credentials (e.g. at startup); rejects like `send`. */
  async verify(): Promise<void> {
    if (!this.transport.verify) return;
    await this.withDeadline(this.transport.verify(), { what: 'verification' });
  }

  /** Closes the transport (a pooled one holds connections open). */
  close(): void {
    this.transport.close?.();
  }

  private async deliver(mail: SendMailOptions, message: EmailMessage): Promise<void> {
    const controller = new AbortController();
    await this.withDeadline(this.transport.sendMail({ ...mail, signal: controller.signal }), {
      what: `${message.kind} email`,
      kind: message.kind,
      code: message.code,
      controller,
    });
  }

  /**
   * Settles within `timeoutMs` whatever the transport does: the abort signal closes nodemailer's
   * connection, and the timer still fails the send should a transport ignore the signal.
   */
  private async withDeadline(work: Promise<unknown>, attempt: Attempt): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const message = `SmtpEmailer: ${attempt.what} via ${this.server} timed out after ${this.timeoutMs} ms`;
        // Rejected before aborting: the abort makes nodemailer reject too, and the race takes the first.
        reject(new SmtpDeliveryError(message, attempt.kind, 'timeout', 'ETIMEDOUT'));
        attempt.controller?.abort();
      }, this.timeoutMs);
    });
    try {
      await Promise.race([work, timedOut]);
    } catch (error) {
      if (error instanceof SmtpDeliveryError) throw error;
      throw this.deliveryError(error, attempt);
    } finally {
      clearTimeout(timer);
      // The loser of the race must not become an unhandled rejection.
      work.catch(() => undefined);
    }
  }

  private deliveryError(error: unknown, attempt: Attempt): SmtpDeliveryError {
    const { code, responseCode, message } = (error ?? {}) as {
      code?: unknown;
      responseCode?: unknown;
      message?: unknown;
    };
    const smtpErrorCode = typeof code === 'string' ? code : undefined;
    const reply = typeof responseCode === 'number' ? responseCode : undefined;
    const reason: SmtpFailureReason =
      smtpErrorCode === 'ETIMEDOUT' ? 'timeout' : reply !== undefined && reply >= 400 ? 'rejected' : 'other';
    const detail = this.redact(typeof message === 'string' ? message : String(error), attempt.code ?? '');
    const text = `SmtpEmailer: ${attempt.what} via ${this.server} failed: ${detail}`;
    return new SmtpDeliveryError(text, attempt.kind, reason, smtpErrorCode, reply);
  }

  /** Cuts the code, the password and any URL credentials out of a text that is about to be shown. */
  private redact(text: string, code: string): string {
    let redacted = text;
    for (const secret of [...this.secrets, code]) {
      if (secret !== '') redacted = redacted.split(secret).join('***');
    }
    return redacted.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/gi, '$1:***@');
  }
}

/**
 * The URL as it may be shown: its password (and secret-looking query parameters) replaced by `***`.
 * A URL `smtpOptionsFromUrl` refuses (it does not parse, reads back other credentials than it seems
 * to hold, has a path) is not shown at all: where its password starts and ends is not known.
 */
export function redactSmtpUrl(url: string): string {
  const checked = checkedUrl(url);
  if (typeof checked === 'string') return '(not shown)';
  if (checked.password) checked.password = '***';
  for (const key of [...checked.searchParams.keys()]) {
    if (/pass|secret|token|key|auth/i.test(key)) checked.searchParams.set(key, '***');
  }
  checked.hash = '';
  return checked.toString();
}

function smtpPasswordOf(url: string): string {
  const checked = checkedUrl(url);
  return typeof checked === 'string' ? '' : decodeURIComponent(checked.password);
}

const ENCODE = 'percent-encode the user and password (encodeURIComponent)';

/**
 * The parsed URL, or why it may not be used. WHATWG URL parsing ends the user info at the last `@`
 * before the first `/`, `?` or `#`: `smtp://us/er:pass@host` names host `us` and puts the password in
 * the path, `smtp://user:p@ss:w/rd@host` does not parse. Such URLs are refused rather than guessed at,
 * and the reasons given here never quote them.
 */
function checkedUrl(url: string): URL | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `does not parse (not shown, as it may hold the password); use smtp://name:secret@host:587 or smtps://…, and ${ENCODE}`;
  }
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/is.exec(url.trim());
  if (!authority) return `is not of the form smtp://user:pass@host:port (not shown); ${ENCODE}`;
  const [, hostPart, rest] = authority;
  const at = hostPart.lastIndexOf('@');
  const userinfo = at === -1 ? '' : hostPart.slice(0, at);
  const colon = userinfo.indexOf(':');
  const [rawUser, rawPass] = colon === -1 ? [userinfo, ''] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
  if (!sameDecoded(rawUser, parsed.username) || !sameDecoded(rawPass, parsed.password) || rest.includes('@')) {
    return `does not read back the user and password it seems to hold (not shown); ${ENCODE}: / @ : ? # and % among others`;
  }
  if (parsed.pathname !== '' && parsed.pathname !== '/') {
    return `has a path (not shown): an SMTP URL names none; if a / belongs to the user or password, ${ENCODE}`;
  }
  return parsed;
}

function sameDecoded(raw: string, parsed: string): boolean {
  try {
    return decodeURIComponent(raw) === decodeURIComponent(parsed);
  } catch {
    return false;
  }
}

/**
 * The URL as nodemailer options. Parsed here rather than handed to nodemailer as `url`, which would
 * override the caller's explicit options (`secure`, `auth`) with what the URL implies. An `smtp:` URL
 * gets `requireTLS: true` unless its query says `requireTLS` or `ignoreTLS` (see `SmtpEmailerOptions.url`).
 */
export function smtpOptionsFromUrl(url: string): SmtpTransportOptions {
  const parsed = checkedUrl(url);
  if (typeof parsed === 'string') throw new Error(`SmtpEmailer: the URL ${parsed}`);
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new Error(`SmtpEmailer: the URL ${redactSmtpUrl(url)} must start with smtp:// or smtps://`);
  }
  if (parsed.hostname === '') throw new Error(`SmtpEmailer: the URL ${redactSmtpUrl(url)} names no host`);
  const secure = parsed.protocol === 'smtps:';
  const options: SmtpTransportOptions & Record<string, unknown> = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
  };
  if (parsed.username || parsed.password) {
    options.auth = { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) };
  }
  const tls: Record<string, unknown> = {};
  for (const [key, raw] of parsed.searchParams) {
    const value = raw === 'true' ? true : raw === 'false' ? false : /^\d+$/.test(raw) ? Number(raw) : raw;
    if (key.startsWith('tls.')) tls[key.slice(4)] = value;
    else if (!key.includes('.') && !['url', 'logger', 'debug', 'transactionLog', 'pool'].includes(key))
      options[key] = value;
  }
  if (Object.keys(tls).length > 0) options.tls = tls;
  // STARTTLS only "when offered" is no protection: whoever can read the traffic can strip the offer.
  if (!secure && options.requireTLS === undefined && options.ignoreTLS !== true) options.requireTLS = true;
  return options;
}

function withTimeouts(options: SmtpTransportOptions = {}, timeoutMs: number): SmtpTransportOptions {
  return {
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    ...options,
  };
}

function checkMailbox(option: 'from' | 'replyTo', value: string | undefined): void {
  const problem = value === undefined || value === '' ? 'it is missing' : mailboxProblem(value);
  if (problem !== undefined) {
    throw new Error(
      `SmtpEmailer: options.${option} must be one email address, e.g. accounts@example.com or ` +
        `"Example" <accounts@example.com>: ${problem}`,
    );
  }
}

/**
 * nodemailer, loaded when the first `SmtpEmailer` is built: it is an optional peer, and importing
 * `accounts-module` (or this module's types) must not need it.
 */
function loadNodemailer(): typeof import('nodemailer') {
  try {
    return require('nodemailer');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error('SmtpEmailer needs nodemailer, an optional peer dependency: npm install nodemailer');
  }
}
