import { DefaultLib, type DefaultLibOptions } from '../src/adapters/lib';
import type { EmailMessage } from '../src/adapters/lib/emailers';
import type { CodeMessage, PasswordContext, PasswordProblem } from '../src/ports/lib';

/**
 * Way 1 of adopting the library: extend the default `Lib` and override one method at a time. This one
 * refuses passwords containing the company's name (on top of the default rules) and words its emails
 * in the company's voice. Everything else, hashing, tokens and codes, stays the default.
 *
 *     const accounts = createAccounts({ io, lib: new AcmeLib({ tokens: { secret } }) });
 */
export class AcmeLib extends DefaultLib {
  constructor(options: DefaultLibOptions) {
    super({ ...options, passwords: { minLength: 14, ...options.passwords } });
  }

  override checkPassword(password: string, context: PasswordContext): PasswordProblem[] {
    const problems = super.checkPassword(password, context);
    if (password.normalize('NFKC').toLowerCase().includes('acme')) {
      problems.push({ reason: 'contains_company_name', message: 'must not contain the company name' });
    }
    return problems;
  }

  override composeCodeEmail(message: CodeMessage): EmailMessage {
    const email = super.composeCodeEmail(message);
    return { ...email, subject: `ACME: ${email.subject}` };
  }
}
