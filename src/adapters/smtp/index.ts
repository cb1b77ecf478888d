/**
 * `accounts-module/smtp`: email over SMTP with nodemailer, an optional peer dependency. Kept out of
 * `accounts-module` itself so that applications that send mail another way never need nodemailer.
 */
export { mailboxProblem, recipientProblem } from './addresses';
export {
  DEFAULT_SMTP_TIMEOUT_MS,
  type MailTransport,
  redactSmtpUrl,
  SmtpDeliveryError,
  SmtpEmailer,
  type SmtpEmailerOptions,
  type SmtpFailureReason,
  type SmtpTransportOptions,
  STANDARD_HEADERS,
  smtpOptionsFromUrl,
} from './smtp-emailer';
export {
  DEFAULT_EMAIL_TEMPLATES,
  type EmailTemplate,
  type EmailTemplates,
  escapeHtml,
  type HtmlEmailContent,
  type RenderedEmail,
  renderHtmlEmail,
  templateFor,
} from './templates';
