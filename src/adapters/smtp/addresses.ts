/**
 * Address checks of `SmtpEmailer`. nodemailer parses every address it is given (To, From, Reply-To)
 * as an RFC 5322 address list: `x<attacker@evil.io>`, `root,attacker@evil.io`,
 * `grp:attacker@evil.io;` or `"a"@x.io` are delivered to another mailbox than the string says, and it
 * drops control characters on the way. Checking them here, with nodemailer's own parser, is what
 * makes "sent to the stored address" true whatever the Email codec let through.
 */

/** One parsed address, as nodemailer's `addressparser` returns it. */
interface ParsedAddress {
  address?: string;
  name?: string;
  group?: ParsedAddress[];
}

type AddressParser = (value: string) => ParsedAddress[];

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u00a0\u2028\u2029\p{Cf}\p{Z}]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/**
 * A dot-atom addr-spec (RFC 5322 §3.4.1, with RFC 6531's UTF-8): no quotes, comments, brackets,
 * list or group separators, so nothing nodemailer could read as a display name or a second address.
 */
const PLAIN_ADDRESS = /^[^\s"(),:;<>@[\\\]]+@[^\s"(),:;<>@[\\\]]+$/u;

/**
 * Why `to` may not be sent to, or undefined when it is a plain addr-spec that nodemailer delivers to
 * exactly as written: one address, no display name, no group, no control or space characters.
 */
export function recipientProblem(to: string): string | undefined {
  if (to === '') return 'it is empty';
  if (CONTROL_OR_SPACE.test(to)) return 'it holds control, format or space characters';
  if (!PLAIN_ADDRESS.test(to)) return 'it is not a plain address (local@domain, nothing around it)';
  const parser = addressParser();
  if (parser) {
    const parsed = parser(to);
    const [only] = parsed;
    if (parsed.length !== 1 || only.group || only.name || only.address !== to)
      return 'nodemailer would read it as another address';
  }
  return undefined;
}

/**
 * Why `value` may not be a From or Reply-To header, or undefined when it is one mailbox, with or
 * without a display name (`a@example.com`, `"Example" <a@example.com>`): no CR/LF or other control
 * characters (a header injection), no second address nodemailer would add.
 */
export function mailboxProblem(value: string): string | undefined {
  if (CONTROL.test(value)) return 'it holds control characters (CR, LF …)';
  const parser = addressParser();
  const address = parser ? singleAddressOf(parser(value)) : fallbackAddressOf(value);
  if (address === undefined) return 'it is not exactly one address';
  if (!PLAIN_ADDRESS.test(address)) return `its address is not a plain address (local@domain)`;
  return undefined;
}

function singleAddressOf(parsed: ParsedAddress[]): string | undefined {
  if (parsed.length !== 1 || parsed[0].group || !parsed[0].address) return undefined;
  return parsed[0].address;
}

/** Without nodemailer (a caller's transport): `local@domain` or `Name <local@domain>`, nothing else. */
function fallbackAddressOf(value: string): string | undefined {
  const match = /^\s*(?:(?:"[^"\\]*"|[^"<>,;:@]*)\s*<([^<>]+)>|([^<>\s]+))\s*$/u.exec(value);
  return match ? (match[1] ?? match[2]) : undefined;
}

let parserCache: AddressParser | null | undefined;

/**
 * nodemailer's address parser, which decides where nodemailer delivers; null when nodemailer is not
 * installed (a caller's own transport), in which case the stricter `PLAIN_ADDRESS` rule stands alone.
 */
function addressParser(): AddressParser | null {
  if (parserCache === undefined) {
    try {
      parserCache = require('nodemailer/lib/addressparser') as AddressParser;
    } catch {
      parserCache = null;
    }
  }
  return parserCache;
}
