import { AcmeLib } from '../../examples/custom-lib';
import { errCode, makeWorld, ok, REQUEST } from '../support/setup';

describe('a Lib subclass (examples/custom-lib.ts)', () => {
  const world = () => makeWorld({ makeLib: (options) => new AcmeLib(options) });

  it('is used by the services for the password rule it overrides', async () => {
    const { accounts } = world();
    const refused = await accounts.users.register(
      { name: 'W', email: 'w@example.com', password: 'I love working at Acme' },
      REQUEST,
    );
    expect(errCode(refused)).toBe('WEAK_PASSWORD');
    expect(JSON.stringify(refused.val)).toContain('company name');
  });

  it('keeps the default rules and adds its own minimum length', async () => {
    const { accounts } = world();
    expect(
      errCode(await accounts.users.register({ name: 'W', email: 'w@example.com', password: 'thirteen char' }, REQUEST)),
    ).toBe('WEAK_PASSWORD');
    expect(
      errCode(await accounts.users.register({ name: 'W', email: 'w@example.com', password: 'qwerty123456' }, REQUEST)),
    ).toBe('WEAK_PASSWORD');
    ok(
      await accounts.users.register(
        { name: 'W', email: 'w@example.com', password: 'a perfectly fine passphrase' },
        REQUEST,
      ),
    );
  });

  it('words the emails the services send', async () => {
    const test = world();
    ok(await test.accounts.users.register({ name: 'W', email: 'w@example.com' }, REQUEST));
    expect(test.emailer.sent[0].subject).toMatch(/^ACME: /);
  });
});
