import type { EmailKind, EmailMessage } from '../lib/emailers';

/** One email ready for the wire: what `SmtpEmailer` hands to nodemailer as a multipart/alternative message. */
export interface RenderedEmail {
  /** Must not contain the code: subjects show up in lock-screen notifications and inbox previews. */
  subject: string;
  /** The text/plain part. */
  text: string;
  /** The text/html part. Everything interpolated into it must be escaped (`escapeHtml`). */
  html: string;
  /** Extra headers for this email, added to (and overriding) the emailer's standard ones. */
  headers?: Record<string, string>;
}

/**
 * Renders one kind of email. It receives the message `Lib` composed (`DefaultLib.composeCodeEmail`
 * or `composeInvitationEmail`: subject, text with the code and its lifetime, and the code alone).
 */
export type EmailTemplate = (message: EmailMessage) => RenderedEmail;

/** A template per kind of email; `SmtpEmailerOptions.templates` replaces any of them. */
export type EmailTemplates = Record<EmailKind, EmailTemplate>;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for HTML element content and quoted attribute values. Invitation emails carry an
 * organization name anyone may choose: unescaped, it would put their markup (a fake link, a hidden
 * form) into a mail the recipient trusts because it comes from the application.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

/** What `renderHtmlEmail` lays out: a heading over the text's paragraphs, the code set apart. */
export interface HtmlEmailContent {
  heading: string;
  /** Plain text; blank lines separate paragraphs. Escaped here. */
  text: string;
  /** Shown emphasized wherever it occurs in the text (and added as its own paragraph if it does not). */
  code: string;
}

const CODE_STYLE =
  'font-family:ui-monospace,Menlo,Consolas,monospace;font-size:20px;font-weight:bold;letter-spacing:2px;' +
  'word-break:break-all';

/**
 * The shipped HTML layout, for custom templates to reuse: a minimal, inline-styled document (mail
 * clients drop `<style>` blocks and external stylesheets), no images or links to fetch, so opening
 * the mail tells no tracker anything.
 */
export function renderHtmlEmail(content: HtmlEmailContent): string {
  const code = escapeHtml(content.code);
  const paragraphs = paragraphsOf(content.text).map((paragraph) => {
    const html = escapeHtml(paragraph).replace(/\n/g, '<br>');
    // Escaped on both sides, so the split cannot cut through an entity.
    return code === '' ? html : html.split(code).join(`<span style="${CODE_STYLE}">${code}</span>`);
  });
  if (code !== '' && !content.text.includes(content.code))
    paragraphs.push(`<span style="${CODE_STYLE}">${code}</span>`);
  const heading = escapeHtml(content.heading);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${heading}</title></head>`,
    '<body style="margin:0;padding:24px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;' +
      'font-size:16px;line-height:1.5;color:#1a1a1a;background:#ffffff">',
    `<h1 style="font-size:20px;margin:0 0 16px">${heading}</h1>`,
    ...paragraphs.map((paragraph) => `<p style="margin:0 0 16px">${paragraph}</p>`),
    '</body>',
    '</html>',
  ].join('\n');
}

function paragraphsOf(text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph !== '');
}

/**
 * The shipped template of one kind: the subject and text `Lib` composed (so a `DefaultLib` subclass
 * that rewords them is honoured) with an HTML part laid out by `renderHtmlEmail`. Should the composed
 * subject carry the code, the kind's own subject replaces it; should the text lack the code, the
 * code is appended, so both parts always carry it.
 */
function standardTemplate(fallbackSubject: string, heading: string): EmailTemplate {
  return (message) => {
    const composed = message.subject.trim();
    const subject = composed === '' || subjectCarriesCode(composed, message.code) ? fallbackSubject : composed;
    const text = message.text.includes(message.code) ? message.text : `${message.text}\n\n${message.code}`;
    return { subject, text, html: renderHtmlEmail({ heading, text, code: message.code }) };
  };
}

/**
 * The templates `SmtpEmailer` uses unless told otherwise, one for every `EmailKind` (the type makes
 * a new code purpose a compile error here until it has one).
 */
export const DEFAULT_EMAIL_TEMPLATES: Readonly<EmailTemplates> = {
  'verify-email': standardTemplate('Verify your email address', 'Verify your email address'),
  login: standardTemplate('Your login code', 'Your login code'),
  'password-reset': standardTemplate('Your password reset code', 'Reset your password'),
  invitation: standardTemplate('You are invited to join an organization', 'You are invited'),
};

/** A header value on one line: a subject built from an organization's name must not add headers. */
export function singleLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/**
 * Whether `subject` shows `code` to whoever reads it, as it reaches the wire (on one line) and as a
 * reader takes it in: spaced (`123 456`), broken by a line end, in full-width or other compatibility
 * digits (`１２３４５６`, equal under NFKC), split by dashes, dots or invisible characters.
 * Spaces, punctuation and format characters are dropped from both sides before comparing.
 */
export function subjectCarriesCode(subject: string, code: string): boolean {
  const wanted = comparable(code);
  return wanted !== '' && comparable(singleLine(subject)).includes(wanted);
}

function comparable(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\s\p{Z}\p{P}\p{Cc}\p{Cf}]+/gu, '')
    .toLowerCase();
}

/** The template for `kind`: the caller's, else the shipped one, else a generic one (a kind added later). */
export function templateFor(kind: EmailKind, overrides: Partial<EmailTemplates> = {}): EmailTemplate {
  return overrides[kind] ?? DEFAULT_EMAIL_TEMPLATES[kind] ?? standardTemplate('Your code', 'Your code');
}
