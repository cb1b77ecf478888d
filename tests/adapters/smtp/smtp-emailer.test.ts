import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import type { EmailMessage } from '../../../src/adapters/lib';
import {
  type RenderedEmail,
  redactSmtpUrl,
  SmtpDeliveryError,
  SmtpEmailer,
  type SmtpEmailerOptions,
} from '../../../src/adapters/smtp';
import type { CodePurpose } from '../../../src/ports/entities';
import { makeWorld, ok, REQUEST, STRONG_PASSWORD } from '../../support/setup';
import { parseMail, startSmtpServer, type TestSmtpServer } from '../../support/smtp';

const FROM = '"Example Accounts" <accounts@example.com>';
const servers: TestSmtpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function smtpServer(options: Parameters<typeof startSmtpServer>[0] = {}): Promise<TestSmtpServer> {
  const server = await startSmtpServer(options);
  servers.push(server);
  return server;
}

/** The test server offers no STARTTLS by default: it is reached as a local relay, with the opt-out. */
const LOCAL = '?requireTLS=false';

function emailerFor(server: TestSmtpServer, options: Partial<SmtpEmailerOptions> = {}): SmtpEmailer {
  return new SmtpEmailer({ url: `smtp://127.0.0.1:${server.port}${LOCAL}`, from: FROM, timeoutMs: 3000, ...options });
}

const verifyEmail: EmailMessage = {
  to: 'ada@example.com',
  subject: 'Verify your email address',
  text: 'Your verification code is 424242\n\nIt expires in 24 hours.',
  kind: 'verify-email',
  code: '424242',
};

/** The rejection of `send`, which must be an `SmtpDeliveryError`. */
async function failureOf(sending: Promise<void>): Promise<SmtpDeliveryError> {
  const error = await sending.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SmtpDeliveryError);
  return error as SmtpDeliveryError;
}

describe('SmtpEmailer delivering to a real SMTP server', () => {
  it('sends a multipart/alternative email with the code in both parts and not in the subject', async () => {
    const server = await smtpServer();
    await emailerFor(server, { replyTo: 'support@example.com' }).send(verifyEmail);
    const mail = await server.nextMail();
    expect(mail.mailFrom).toBe('accounts@example.com');
    expect(mail.rcptTo).toEqual(['ada@example.com']);
    const { headers, text, html } = parseMail(mail.raw);
    expect(headers.from).toBe('Example Accounts <accounts@example.com>');
    expect(headers.to).toBe('ada@example.com');
    expect(headers['reply-to']).toBe('support@example.com');
    expect(headers.subject).toBe('Verify your email address');
    expect(headers['content-type']).toMatch(/^multipart\/alternative;/);
    expect(headers['auto-submitted']).toBe('auto-generated');
    expect(headers['x-auto-response-suppress']).toBe('All');
    expect(headers['message-id']).toMatch(/^<.+@.+>$/);
    expect(headers.date).toBeDefined();
    expect(text).toContain('Your verification code is 424242');
    expect(html).toMatch(/<span style="[^"]*">424242<\/span>/);
    expect(html).toMatch(/^<!DOCTYPE html>/);
  });

  it.each<CodePurpose>(['verify-email', 'login', 'password-reset'])(
    'renders the %s email DefaultLib composes, with its code in text and HTML and never in the subject',
    async (purpose) => {
      const server = await smtpServer();
      const { lib } = makeWorld({ libOptions: { emailer: emailerFor(server) } });
      await lib.sendCode({ to: 'ada@example.com', purpose, code: '907311', expiresAt: new Date(Date.now() + 600_000) });
      const { headers, text, html } = parseMail((await server.nextMail()).raw);
      expect(headers.subject).not.toContain('907311');
      expect(headers.subject.length).toBeGreaterThan(0);
      expect(text).toContain('907311');
      expect(html).toContain('907311');
    },
  );

  it('escapes what an invitation interpolates into its HTML, and keeps the token out of the subject', async () => {
    const server = await smtpServer();
    const { lib } = makeWorld({ libOptions: { emailer: emailerFor(server) } });
    await lib.sendInvitation({
      to: 'bob@example.com',
      token: 'inv_token_0123456789abcdefghijklmnopqrstuvwxyz',
      invitationId: 'inv_1',
      organizationId: 'org_1',
      organizationName: '<img src=x onerror=alert(1)> & "Co"',
      role: 'member',
      expiresAt: new Date(Date.now() + 7 * 86_400_000),
    });
    const { headers, text, html } = parseMail((await server.nextMail()).raw);
    expect(headers.subject).not.toContain('inv_token_');
    expect(text).toContain('inv_token_0123456789abcdefghijklmnopqrstuvwxyz');
    expect(html).toContain('inv_token_0123456789abcdefghijklmnopqrstuvwxyz');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Co&quot;');
    expect(html).not.toContain('<img');
  });

  it('falls back to the kind’s own subject when the composed one carries the code', async () => {
    const server = await smtpServer();
    await emailerFor(server).send({ ...verifyEmail, subject: 'Your code is 424242' });
    expect(parseMail((await server.nextMail()).raw).headers.subject).toBe('Verify your email address');
  });

  it('uses a template given for a kind, and refuses one that puts the code in the subject', async () => {
    const server = await smtpServer();
    const custom = (message: EmailMessage): RenderedEmail => ({
      subject: 'Welcome aboard',
      text: `Code: ${message.code}`,
      html: `<p>Code: <b>${message.code}</b></p>`,
      headers: { 'X-Campaign': 'signup' },
    });
    await emailerFor(server, { templates: { 'verify-email': custom } }).send(verifyEmail);
    const parsed = parseMail((await server.nextMail()).raw);
    expect(parsed.headers.subject).toBe('Welcome aboard');
    expect(parsed.headers['x-campaign']).toBe('signup');
    expect(parsed.html).toBe('<p>Code: <b>424242</b></p>');

    const leaky = emailerFor(server, {
      templates: { login: (message) => ({ ...custom(message), subject: message.code }) },
    });
    await expect(leaky.send({ ...verifyEmail, kind: 'login' })).rejects.toThrow(/code in the subject/);
    expect(server.received).toHaveLength(1);
  });

  it('lets a subclass choose the template', async () => {
    class PlainEmailer extends SmtpEmailer {
      protected override render(message: EmailMessage): RenderedEmail {
        return { subject: `Hello ${message.to}`, text: message.text, html: '<p>see the text part</p>' };
      }
    }
    const server = await smtpServer();
    await new PlainEmailer({ url: `smtp://127.0.0.1:${server.port}${LOCAL}`, from: FROM }).send(verifyEmail);
    expect(parseMail((await server.nextMail()).raw).headers.subject).toBe('Hello ada@example.com');
  });
});

describe('SmtpEmailer authentication and TLS options', () => {
  const authServer = () =>
    smtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'mailer' && auth.password === 'p@ss:w/rd%')
          return callback(null, { user: auth.username });
        return callback(new Error('Invalid username or password'));
      },
    });

  it('logs in with the percent-encoded credentials of the URL', async () => {
    const server = await authServer();
    await emailerFor(server, {
      url: `smtp://mailer:${encodeURIComponent('p@ss:w/rd%')}@127.0.0.1:${server.port}${LOCAL}`,
    }).send(verifyEmail);
    expect((await server.nextMail()).user).toBe('mailer');
  });

  it('lets transportOptions.auth win over the URL', async () => {
    const server = await authServer();
    const emailer = emailerFor(server, {
      url: `smtp://mailer:stale@127.0.0.1:${server.port}${LOCAL}`,
      transportOptions: { auth: { user: 'mailer', pass: 'p@ss:w/rd%' } },
    });
    await emailer.send(verifyEmail);
    expect((await server.nextMail()).user).toBe('mailer');
  });

  it('rejects a refused login without showing the password or the code', async () => {
    const server = await authServer();
    const emailer = emailerFor(server, { url: `smtp://mailer:Wr0ngSecret@127.0.0.1:${server.port}${LOCAL}` });
    const error = await failureOf(emailer.send(verifyEmail));
    expect(error).toMatchObject({
      reason: 'rejected',
      smtpErrorCode: 'EAUTH',
      responseCode: 535,
      kind: 'verify-email',
    });
    expect(error.message).toContain(`smtp://mailer:***@127.0.0.1:${server.port}?requireTLS=false`);
    expect(error.message).not.toMatch(/Wr0ngSecret|424242/);
    expect(server.received).toHaveLength(0);
  });

  it('verify() resolves with the right credentials and rejects with wrong ones', async () => {
    const server = await authServer();
    const url = (password: string) => `smtp://mailer:${encodeURIComponent(password)}@127.0.0.1:${server.port}${LOCAL}`;
    await expect(emailerFor(server, { url: url('p@ss:w/rd%') }).verify()).resolves.toBeUndefined();
    const error = await failureOf(emailerFor(server, { url: url('nope-nope') }).verify());
    expect(error).toMatchObject({ reason: 'rejected', kind: undefined });
    expect(error.message).not.toContain('nope-nope');
  });

  it('upgrades with STARTTLS under requireTLS, trusting the server’s certificate as the tls option says', async () => {
    // smtp-server offers STARTTLS with its bundled self-signed certificate for localhost.
    const server = await smtpServer({ disabledCommands: [] });
    const trusting = { requireTLS: true, tls: { rejectUnauthorized: false } };
    await emailerFor(server, { transportOptions: trusting }).send(verifyEmail);
    expect((await server.nextMail()).secure).toBe(true);

    const verifying = emailerFor(server, { transportOptions: { requireTLS: true } });
    expect((await failureOf(verifying.send(verifyEmail))).message).toMatch(/certificate/i);
    expect(server.received).toHaveLength(1);
  });

  it('refuses to send in clear to an smtp:// URL whose server offers no STARTTLS, by default', async () => {
    const server = await smtpServer();
    const error = await failureOf(emailerFor(server, { url: `smtp://127.0.0.1:${server.port}` }).send(verifyEmail));
    expect(error.message).toMatch(/STARTTLS/);
    expect(server.received).toHaveLength(0);
  });

  it('speaks TLS from the first byte to an smtps:// URL', async () => {
    const server = await smtpServer({ secure: true });
    const url = `smtps://127.0.0.1:${server.port}?tls.rejectUnauthorized=false`;
    await emailerFor(server, { url }).send(verifyEmail);
    expect((await server.nextMail()).secure).toBe(true);
  });
});

describe('SmtpEmailer failures', () => {
  it('rejects when the server refuses the recipient', async () => {
    const server = await smtpServer({
      onRcptTo(_address, _session, callback) {
        const error = new Error('No such user here') as Error & { responseCode: number };
        error.responseCode = 550;
        callback(error);
      },
    });
    const error = await failureOf(emailerFor(server).send(verifyEmail));
    expect(error).toMatchObject({ reason: 'rejected', responseCode: 550 });
    expect(error.message).toMatch(/No such user here/);
  });

  it('cuts the code out of a refusal that quotes it', async () => {
    const server = await smtpServer({ refuseData: (raw) => `spam: ${/code is (\d+)/.exec(parseMail(raw).text)?.[1]}` });
    const error = await failureOf(emailerFor(server).send(verifyEmail));
    expect(error.responseCode).toBe(554);
    expect(error.message).toContain('spam: ***');
    expect(error.message).not.toContain('424242');
  });

  it('gives up within the timeout on a server that accepts the connection and never greets', async () => {
    const sockets = new Set<Socket>();
    const silent = createNetServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const emailer = new SmtpEmailer({ url: `smtp://127.0.0.1:${port}`, from: FROM, timeoutMs: 400 });
      const started = Date.now();
      const error = await failureOf(emailer.send(verifyEmail));
      expect(Date.now() - started).toBeLessThan(2000);
      expect(error.reason).toBe('timeout');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('sends through a transport the caller built, and times out one that never answers', async () => {
    const server = await smtpServer();
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port, secure: false });
    await new SmtpEmailer({ transport, from: FROM }).send(verifyEmail);
    expect(parseMail((await server.nextMail()).raw).text).toContain('424242');

    const stuck = { sendMail: () => new Promise<never>(() => undefined) };
    const error = await failureOf(new SmtpEmailer({ transport: stuck, from: FROM, timeoutMs: 100 }).send(verifyEmail));
    expect(error.message).toBe('SmtpEmailer: verify-email email via the given transport timed out after 100 ms');
  });

  it('refuses a URL that is not smtp:// or smtps://, showing it without its password', () => {
    expect(() => new SmtpEmailer({ url: 'http://u:Hunter22@mail.example.com', from: FROM })).toThrow(
      'SmtpEmailer: the URL http://u:***@mail.example.com/ must start with smtp:// or smtps://',
    );
    expect(() => new SmtpEmailer({ url: 'smtp://mail.example.com', from: 'nobody' })).toThrow(/from/);
    expect(() => new SmtpEmailer({ from: FROM })).toThrow(/url/);
    expect(redactSmtpUrl('smtps://u:s3cret@mail.example.com:465?pass=x')).toBe(
      'smtps://u:***@mail.example.com:465?pass=***',
    );
  });
});

describe('SmtpEmailer behind createAccounts', () => {
  it('reports a failed verification email as email.delivery_failed, and the code stays valid', async () => {
    const server = await smtpServer({ refuseData: () => 'mailbox full' });
    const world = makeWorld({ libOptions: { emailer: emailerFor(server) } });
    ok(
      await world.accounts.users.register(
        { name: 'Ada', email: 'ada@example.com', password: STRONG_PASSWORD },
        REQUEST,
      ),
    );
    await world.accounts.settled();
    expect(world.events).toContainEqual(
      expect.objectContaining({ type: 'email.delivery_failed', address: 'ada@example.com', purpose: 'verify-email' }),
    );
    // The server read the message before refusing it: the code it carried must still verify the address.
    const { text } = parseMail((await server.nextMail()).raw);
    const code = /code is (\d+)/.exec(text)?.[1];
    expect(code).toBeDefined();
    const verified = ok<{ verifiedAt: Date | null }>(
      await world.accounts.emails.verify({ email: 'ada@example.com', code: code as string }, REQUEST),
    );
    expect(verified.verifiedAt).not.toBeNull();
  });
});
