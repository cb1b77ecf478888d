import type { EmailMessage } from '../../../src/adapters/lib';
import {
  type RenderedEmail,
  redactSmtpUrl,
  SmtpDeliveryError,
  SmtpEmailer,
  smtpOptionsFromUrl,
} from '../../../src/adapters/smtp';
import {
  type FakeSmtpServer,
  parseMail,
  startFakeSmtpServer,
  startSmtpServer,
  type TestSmtpServer,
} from '../../support/smtp';

/** What an attacker on the path, or a careless URL, must never get to see or redirect. */
const FROM = '"Example Accounts" <accounts@example.com>';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function strippingServer(): Promise<FakeSmtpServer> {
  const server = await startFakeSmtpServer();
  closers.push(server.close);
  return server;
}

/** A plain smtp-server without STARTTLS, reached with the documented opt-out for a local relay. */
async function localRelay(): Promise<{ server: TestSmtpServer; url: string }> {
  const server = await startSmtpServer();
  closers.push(server.close);
  return { server, url: `smtp://127.0.0.1:${server.port}?requireTLS=false` };
}

const verifyEmail: EmailMessage = {
  to: 'ada@example.com',
  subject: 'Verify your email address',
  text: 'Your verification code is 424242\n\nIt expires in 24 hours.',
  kind: 'verify-email',
  code: '424242',
};

async function rejectionOf(sending: Promise<void>): Promise<unknown> {
  return sending.then(
    () => {
      throw new Error('expected the send to fail');
    },
    (reason: unknown) => reason,
  );
}

describe('SmtpEmailer over smtp:// insists on STARTTLS', () => {
  it('fails without sending AUTH to a server whose STARTTLS offer was stripped', async () => {
    const server = await strippingServer();
    const url = `smtp://mailer:S3cretPass@127.0.0.1:${server.port}`;
    const emailer = new SmtpEmailer({ url, from: FROM, timeoutMs: 3000 });
    const error = await rejectionOf(emailer.send(verifyEmail));
    expect(error).toBeInstanceOf(SmtpDeliveryError);
    expect((error as Error).message).toMatch(/STARTTLS/);
    expect((error as Error).message).not.toContain('S3cretPass');
    expect(server.lines.some((line) => /^AUTH\b/i.test(line))).toBe(false);
    expect(server.lines.some((line) => /^MAIL FROM/i.test(line))).toBe(false);
    expect(server.messages).toEqual([]);
  });

  it.each([
    ['?requireTLS=false in the URL', '?requireTLS=false', {}],
    ['transportOptions.requireTLS: false', '', { requireTLS: false }],
    ['transportOptions.ignoreTLS: true', '', { ignoreTLS: true }],
  ])('sends in clear to a local relay when told so by %s', async (_, query, transportOptions) => {
    const server = await strippingServer();
    const url = `smtp://mailer:S3cretPass@127.0.0.1:${server.port}${query}`;
    await new SmtpEmailer({ url, from: FROM, transportOptions }).send(verifyEmail);
    expect(server.lines.some((line) => /^AUTH PLAIN/i.test(line))).toBe(true);
    expect(server.messages).toHaveLength(1);
  });

  it('reads smtp:// as requireTLS unless the URL opts out; smtps:// is TLS from the first byte', () => {
    expect(smtpOptionsFromUrl('smtp://mail.example.com')).toMatchObject({ secure: false, requireTLS: true });
    expect(smtpOptionsFromUrl('smtp://mail.example.com?requireTLS=false')).toMatchObject({ requireTLS: false });
    expect(smtpOptionsFromUrl('smtp://mail.example.com?ignoreTLS=true').requireTLS).toBeUndefined();
    expect(smtpOptionsFromUrl('smtps://mail.example.com')).toMatchObject({ secure: true });
  });
});

describe('SmtpEmailer sends only to the address it was given', () => {
  it.each([
    'x<attacker@evil.io>',
    'root,attacker@evil.io',
    'grp:attacker@evil.io;',
    '"a"@x.io',
    'a\u0001b@x.io',
    'ada@example.com\r\nBcc: attacker@evil.io',
    'ada@example.com ',
    'a(comment)@x.io',
    '',
  ])('refuses %j without connecting', async (to) => {
    const { server, url } = await localRelay();
    const error = await rejectionOf(new SmtpEmailer({ url, from: FROM }).send({ ...verifyEmail, to }));
    expect(error).toBeInstanceOf(SmtpDeliveryError);
    expect(error).toMatchObject({ reason: 'invalid-address', kind: 'verify-email' });
    expect((error as Error).message).not.toContain('attacker');
    expect(server.received).toHaveLength(0);
  });

  it.each(['ada@example.com', 'a.b+tag@sub.example.co', "o'neil@example.com", 'jürgen@bücher.de'])(
    'sends to the plain address %s',
    async (to) => {
      const { server, url } = await localRelay();
      await new SmtpEmailer({ url, from: FROM }).send({ ...verifyEmail, to });
      const mail = await server.nextMail();
      expect(mail.rcptTo).toHaveLength(1);
    },
  );
});

describe('SmtpEmailer URLs that do not read as they look', () => {
  it.each([
    ['smtp://user:pa/ss@host:587', ['pa/ss', '/ss@']],
    ['smtp://user:p@ss:w/rd@host', ['p@ss', 'w/rd']],
    ['smtp://us/er:pass@host', ['er:pass', 'us/er']],
  ])('refuses %s without showing its password anywhere', (url, secrets) => {
    const messages: string[] = [redactSmtpUrl(url)];
    for (const build of [() => smtpOptionsFromUrl(url), () => new SmtpEmailer({ url, from: FROM })]) {
      expect(build).toThrow(/percent-encode/);
      try {
        build();
      } catch (error) {
        messages.push((error as Error).message);
      }
    }
    for (const message of messages) {
      expect(message).not.toContain(url);
      for (const secret of secrets) expect(message).not.toContain(secret);
    }
  });

  it('refuses a path, and never echoes a URL that does not parse', () => {
    expect(() => smtpOptionsFromUrl('smtp://mail.example.com:587/relay')).toThrow(/path/);
    const broken = 'smtp://u:Hunter22@exa mple.com';
    expect(() => smtpOptionsFromUrl(broken)).toThrow(/does not parse/);
    expect(() => smtpOptionsFromUrl(broken)).not.toThrow(/Hunter22/);
    expect(redactSmtpUrl(broken)).not.toContain('Hunter22');
  });

  it('still takes percent-encoded credentials and a trailing slash', () => {
    const url = `smtp://mailer:${encodeURIComponent('p@ss:w/rd%')}@mail.example.com:587/`;
    expect(smtpOptionsFromUrl(url).auth).toEqual({ user: 'mailer', pass: 'p@ss:w/rd%' });
    expect(redactSmtpUrl(url)).toBe('smtp://mailer:***@mail.example.com:587/');
    expect(smtpOptionsFromUrl('smtp://mailer:pa=ss;x@mail.example.com').auth).toEqual({
      user: 'mailer',
      pass: 'pa=ss;x',
    });
  });
});

describe('SmtpEmailer From and Reply-To', () => {
  it.each([
    'accounts@example.com\r\nBcc: victim@example.org',
    'accounts@example.com\nX-Injected: 1',
    'accounts@example.com\u0000',
    'a@example.com, b@example.com',
    'nobody',
  ])('refuses %j as from or replyTo at construction', (address) => {
    const url = 'smtp://mail.example.com';
    expect(() => new SmtpEmailer({ url, from: address })).toThrow(/options\.from/);
    expect(() => new SmtpEmailer({ url, from: FROM, replyTo: address })).toThrow(/options\.replyTo/);
  });

  it('takes a display name', () => {
    expect(() => new SmtpEmailer({ url: 'smtp://h', from: 'Example <a@example.com>', replyTo: FROM })).not.toThrow();
  });
});

describe('SmtpEmailer keeps the code out of the subject however it is spaced or written', () => {
  it.each(['Code 123 456', 'Code 12\n3456', 'Code １２３４５６', 'Code 123\u200b456', 'Code 123-456'])(
    'refuses a template whose subject is %j',
    async (subject) => {
      const { server, url } = await localRelay();
      const leaky = (message: EmailMessage): RenderedEmail => ({ subject, text: message.text, html: message.text });
      const emailer = new SmtpEmailer({ url, from: FROM, templates: { 'verify-email': leaky } });
      await expect(emailer.send({ ...verifyEmail, code: '123456' })).rejects.toThrow(/code in the subject/);
      expect(server.received).toHaveLength(0);
    },
  );

  it('has the shipped template fall back to its own subject when the composed one spaces the code', async () => {
    const { server, url } = await localRelay();
    await new SmtpEmailer({ url, from: FROM }).send({ ...verifyEmail, subject: 'Your code: 424 242' });
    expect(parseMail((await server.nextMail()).raw).headers.subject).toBe('Verify your email address');
  });
});
