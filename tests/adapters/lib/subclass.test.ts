import { DefaultLib, type DefaultLibOptions, type EmailMessage, RecordingEmailer } from '../../../src/adapters/lib';
import type { CodeMessage, PasswordContext, PasswordProblem } from '../../../src/ports/lib';
import { TEST_SECRET } from './fixtures';

/** An integrator's policy: the default rules plus "no password may contain the product name". */
class StrictLib extends DefaultLib {
  override checkPassword(password: string, context: PasswordContext): PasswordProblem[] {
    const problems = super.checkPassword(password, context);
    if (password.toLowerCase().includes('acme')) {
      problems.push({ reason: 'contains_product_name', message: 'The password must not contain "acme".' });
    }
    return problems;
  }

  override composeCodeEmail(message: CodeMessage): EmailMessage {
    const email = super.composeCodeEmail(message);
    return { ...email, subject: `[Acme] ${email.subject}` };
  }
}

describe('subclassing DefaultLib', () => {
  const emailer = new RecordingEmailer();
  const options: DefaultLibOptions = { tokens: { secret: TEST_SECRET }, passwords: { bcryptCost: 4 }, emailer };
  const lib = new StrictLib(options);

  test('an overridden password rule adds to the default rules', () => {
    expect(lib.checkPassword('my acme password', {}).map((p) => p.reason)).toEqual(['contains_product_name']);
    expect(lib.checkPassword('acme', {}).map((p) => p.reason)).toEqual(['too_short', 'contains_product_name']);
    expect(lib.checkPassword('a perfectly fine one', {})).toEqual([]);
  });

  test('an overridden email template is used by sendCode', async () => {
    await lib.sendCode({
      to: 'ann@example.com',
      purpose: 'login',
      code: '123456',
      expiresAt: new Date(Date.now() + 600_000),
    });
    expect(emailer.last()!.subject).toBe('[Acme] Your login code');
  });

  test('the other methods keep the default behaviour', async () => {
    const token = await lib.signAccessToken({
      userId: 'usr_1',
      sessionId: 'ses_1',
      roles: ['user'],
      clientId: null,
      authMethod: 'password',
      authenticatedAt: new Date(),
    });
    expect(await new DefaultLib(options).verifyAccessToken(token)).toMatchObject({ sub: 'usr_1' });
    expect(lib.newId('user')).toMatch(/^usr_/);
  });

  test('the configuration may be computed by overriding the config getter', () => {
    class LongSessions extends DefaultLib {
      override get config() {
        return { ...super.config, sessionIdleTtlMs: 60 * 24 * 3_600_000 };
      }
    }
    expect(new LongSessions(options).config.sessionIdleTtlMs).toBe(60 * 24 * 3_600_000);
  });
});
