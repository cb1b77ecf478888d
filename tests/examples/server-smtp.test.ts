import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, serverOptionsFromEnv, startServer } from '../../examples/server-app';
import { spawnServer } from '../e2e/server-process';
import { parseMail, startSmtpServer, type TestSmtpServer } from '../support/smtp';

/** The example server with ACCOUNTS_SMTP_URL and ACCOUNTS_MAIL_FROM: codes go out over SMTP. */
let directory: string;
let smtp: TestSmtpServer;
beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'accounts-server-smtp-'));
  // STARTTLS with smtp-server's bundled self-signed certificate: an smtp:// URL requires TLS.
  smtp = await startSmtpServer({
    disabledCommands: [],
    authOptional: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'mailer' && auth.password === 'mail-secret') return callback(null, { user: 'mailer' });
      return callback(new Error('Invalid username or password'));
    },
  });
});
afterEach(async () => {
  await smtp.close();
  rmSync(directory, { recursive: true, force: true });
});

const smtpEnv = () => ({
  ACCOUNTS_SMTP_URL: `smtp://mailer:mail-secret@127.0.0.1:${smtp.port}?tls.rejectUnauthorized=false`,
  ACCOUNTS_MAIL_FROM: 'Example Accounts <accounts@example.com>',
});

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('ACCOUNTS_SMTP_URL and ACCOUNTS_MAIL_FROM', () => {
  it('are read together', () => {
    expect(serverOptionsFromEnv(smtpEnv())).toMatchObject({
      smtpUrl: `smtp://mailer:mail-secret@127.0.0.1:${smtp.port}?tls.rejectUnauthorized=false`,
      mailFrom: 'Example Accounts <accounts@example.com>',
    });
  });

  it('refuse a URL without a From address, and a From address without a URL', () => {
    const withoutFrom = configErrorOf(() => serverOptionsFromEnv({ ACCOUNTS_SMTP_URL: smtpEnv().ACCOUNTS_SMTP_URL }));
    expect(withoutFrom.variable).toBe('ACCOUNTS_MAIL_FROM');
    const withoutUrl = configErrorOf(() => serverOptionsFromEnv({ ACCOUNTS_MAIL_FROM: 'accounts@example.com' }));
    expect(withoutUrl.variable).toBe('ACCOUNTS_MAIL_FROM');
    expect(withoutUrl.message).toMatch(/ACCOUNTS_SMTP_URL is not/);
  });

  it('refuse a URL that is not smtp:// or smtps://, without showing its password', () => {
    const error = configErrorOf(() =>
      serverOptionsFromEnv({
        ACCOUNTS_SMTP_URL: 'mail://u:Hunter22@mail.example.com',
        ACCOUNTS_MAIL_FROM: 'a@example.com',
      }),
    );
    expect(error.variable).toBe('ACCOUNTS_SMTP_URL');
    expect(error.message).toMatch(/smtp:\/\/ or smtps:\/\//);
    expect(error.message).not.toContain('Hunter22');
  });

  it.each(['smtp://user:pa/ss@host:587', 'smtp://user:p@ss:w/rd@host', 'smtp://us/er:pass@host'])(
    'refuse %s, whose password would be mis-read, without showing it',
    (url) => {
      const error = configErrorOf(() => serverOptionsFromEnv({ ACCOUNTS_SMTP_URL: url, ACCOUNTS_MAIL_FROM: 'a@x.io' }));
      expect(error.variable).toBe('ACCOUNTS_SMTP_URL');
      expect(error.message).toMatch(/^ACCOUNTS_SMTP_URL .*percent-encode/);
      for (const secret of ['pa/ss', 'p@ss', 'w/rd', 'er:pass', url]) expect(error.message).not.toContain(secret);
    },
  );

  it.each(['accounts@example.com\r\nBcc: victim@example.org', 'a@example.com, b@example.com', 'a@x.io\u0000'])(
    'refuse %j as ACCOUNTS_MAIL_FROM',
    (mailFrom) => {
      const error = configErrorOf(() =>
        serverOptionsFromEnv({ ACCOUNTS_SMTP_URL: smtpEnv().ACCOUNTS_SMTP_URL, ACCOUNTS_MAIL_FROM: mailFrom }),
      );
      expect(error.variable).toBe('ACCOUNTS_MAIL_FROM');
      for (const control of ['\r', '\n', '\u0000']) expect(error.message).not.toContain(control);
    },
  );

  it('are checked by startServer too, before the database is touched', async () => {
    const error = await startServer({
      logLevel: 'silent',
      port: 0,
      dataDir: directory,
      smtpUrl: smtpEnv().ACCOUNTS_SMTP_URL,
    }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('ACCOUNTS_MAIL_FROM');
  });
});

describe('the example server with SMTP', () => {
  it('mails the verify-email code of a registration, which then verifies the address', async () => {
    const printed: string[] = [];
    const running = await startServer({
      ...serverOptionsFromEnv(smtpEnv()),
      logLevel: 'silent',
      writeEmail: (text) => printed.push(text),
      port: 0,
      dataDir: directory,
      bcryptCost: 4,
    });
    const post = (path: string, json: unknown) =>
      fetch(`${running.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(json),
      });
    try {
      const registered = await post('/users', {
        name: 'Ada',
        email: 'Ada@Example.com',
        password: 'correct horse battery staple',
      });
      expect(registered.status).toBe(201);
      const mail = await smtp.nextMail();
      expect(mail.user).toBe('mailer');
      expect(mail.secure).toBe(true);
      expect(mail.rcptTo).toEqual(['ada@example.com']);
      const { headers, text, html } = parseMail(mail.raw);
      expect(headers.from).toBe('Example Accounts <accounts@example.com>');
      expect(headers.subject).toBe('Verify your email address');
      expect(headers['content-type']).toMatch(/^multipart\/alternative;/);
      const code = /code is (\d+)/.exec(text)?.[1] as string;
      expect(code).toMatch(/^\d{6}$/);
      expect(headers.subject).not.toContain(code);
      expect(html).toContain(code);
      expect(printed).toEqual([]);

      const verified = await post('/emails/verify', { email: 'ada@example.com', code });
      expect(verified.status).toBe(200);
      expect(((await verified.json()) as { data: { verifiedAt: string | null } }).data.verifiedAt).not.toBeNull();
    } finally {
      await running.close();
    }
  });

  it('started as `npm start` does, mails the code and prints neither it nor the SMTP password', async () => {
    const server = await spawnServer({
      cwd: directory,
      env: { ...smtpEnv(), ACCOUNTS_BCRYPT_COST: '4', ACCOUNTS_DATA_DIR: directory },
    });
    try {
      const registered = await fetch(`${server.url}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Bob', email: 'bob@example.com', password: 'correct horse battery staple' }),
      });
      expect(registered.status).toBe(201);
      const code = /code is (\d+)/.exec(parseMail((await smtp.nextMail()).raw).text)?.[1] as string;
      expect(code).toMatch(/^\d{6}$/);
      expect(await server.stop()).toBe(0);
      const output = server.output.join('\n');
      // Word-bounded: the digits may occur inside a longer number, a timestamp of the log.
      expect(output).not.toMatch(new RegExp(`\\b${code}\\b`));
      expect(output).not.toContain('mail-secret');
      expect(output).not.toMatch(/printed here/);
    } finally {
      server.kill();
    }
  });
});
