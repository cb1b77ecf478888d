import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConsoleEmailer,
  DefaultLib,
  type Emailer,
  type EmailMessage,
  MultiEmailer,
  OutboxEmailer,
  RecordingEmailer,
} from '../../../src/adapters/lib';
import { makeTestLib } from './fixtures';

const message = (to: string, code: string, kind: EmailMessage['kind'] = 'login'): EmailMessage => ({
  to,
  subject: 'Your login code',
  text: `Your login code is ${code}`,
  kind,
  code,
});

describe('DefaultLib.sendCode', () => {
  test('a login code email names the code and its lifetime and goes to the emailer', async () => {
    const { lib, clock, emailer } = makeTestLib();
    const expiresAt = new Date(clock.now().getTime() + 10 * 60_000);
    await lib.sendCode({ to: 'ann@example.com', purpose: 'login', code: '042917', expiresAt });
    const sent = emailer.last('ann@example.com')!;
    expect(sent).toMatchObject({ to: 'ann@example.com', kind: 'login', code: '042917', subject: 'Your login code' });
    expect(sent.text).toContain('042917');
    expect(sent.text).toContain('10 minutes');
    expect(sent.subject).not.toContain('042917');
  });

  test('a verify-email code email says so and gives its lifetime in hours', async () => {
    const { lib, clock, emailer } = makeTestLib();
    const expiresAt = new Date(clock.now().getTime() + 24 * 3_600_000);
    await lib.sendCode({ to: 'ann@example.com', purpose: 'verify-email', code: '555001', expiresAt });
    const sent = emailer.last()!;
    expect(sent).toMatchObject({ kind: 'verify-email', subject: 'Verify your email address', code: '555001' });
    expect(sent.text).toContain('24 hours');
  });

  test('an emailer failure reaches the caller', async () => {
    const failing: Emailer = { send: async () => Promise.reject(new Error('smtp down')) };
    const { lib, clock } = makeTestLib({ emailer: failing });
    await expect(
      lib.sendCode({ to: 'a@example.com', purpose: 'login', code: '000000', expiresAt: clock.now() }),
    ).rejects.toThrow('smtp down');
  });
});

describe('RecordingEmailer', () => {
  test('keeps emails in order and finds them by normalized address', async () => {
    const emailer = new RecordingEmailer();
    await emailer.send(message('ann@example.com', '111111'));
    await emailer.send(message('bob@example.com', '222222'));
    await emailer.send(message('ann@example.com', '333333'));
    expect(emailer.sent).toHaveLength(3);
    expect(emailer.codesFor(' Ann@Example.com ')).toEqual(['111111', '333333']);
    expect(emailer.last()!.code).toBe('333333');
    expect(emailer.last('bob@example.com')!.code).toBe('222222');
    expect(emailer.last('nobody@example.com')).toBeUndefined();
    emailer.clear();
    expect(emailer.sent).toEqual([]);
  });
});

describe('ConsoleEmailer', () => {
  test('prints recipient, subject and text', async () => {
    const output: string[] = [];
    await new ConsoleEmailer({ write: (text) => output.push(text) }).send(message('ann@example.com', '123456'));
    expect(output.join('')).toContain('ann@example.com');
    expect(output.join('')).toContain('Subject: Your login code');
    expect(output.join('')).toContain('Your login code is 123456');
  });
});

describe('OutboxEmailer', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'outbox-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  test('appends one JSON line per email with to, subject, text, kind and code, creating the directory', async () => {
    const file = join(directory, 'nested', 'dir', 'outbox.jsonl');
    const emailer = new OutboxEmailer(file);
    await Promise.all([
      emailer.send(message('ann@example.com', '111111')),
      emailer.send(message('bob@example.com', '222222', 'verify-email')),
    ]);
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        to: 'ann@example.com',
        subject: 'Your login code',
        text: 'Your login code is 111111',
        kind: 'login',
        code: '111111',
      },
      {
        to: 'bob@example.com',
        subject: 'Your login code',
        text: 'Your login code is 222222',
        kind: 'verify-email',
        code: '222222',
      },
    ]);
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual(['to', 'subject', 'text', 'kind', 'code']);
  });

  test('has written the line when send returns, before its promise settles', async () => {
    const file = join(directory, 'outbox.jsonl');
    const sending = new OutboxEmailer(file).send(message('ann@example.com', '333333'));
    // Login-code answers go out before delivery settles: a reader of the outbox must already see the code.
    expect(JSON.parse(readFileSync(file, 'utf8')).code).toBe('333333');
    await sending;
  });
});

describe('MultiEmailer', () => {
  test('sends to every emailer', async () => {
    const first = new RecordingEmailer();
    const second = new RecordingEmailer();
    await new MultiEmailer(first, second).send(message('ann@example.com', '123456'));
    expect(first.codesFor('ann@example.com')).toEqual(['123456']);
    expect(second.codesFor('ann@example.com')).toEqual(['123456']);
  });

  test('still sends to the others when one fails, then reports the failure', async () => {
    const failing: Emailer = { send: async () => Promise.reject(new Error('smtp down')) };
    const recording = new RecordingEmailer();
    await expect(new MultiEmailer(failing, recording).send(message('a@example.com', '1'))).rejects.toThrow('smtp down');
    expect(recording.sent).toHaveLength(1);
    await expect(new MultiEmailer(failing, failing).send(message('a@example.com', '1'))).rejects.toBeInstanceOf(
      AggregateError,
    );
  });
});

describe('the default emailer', () => {
  const original = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = original;
  });

  it('is refused in production, where printing codes to the console would leak them into logs', () => {
    process.env.NODE_ENV = 'production';
    expect(() => new DefaultLib({ tokens: { secret: 'x'.repeat(32) } })).toThrow(/emailer is required/);
    expect(() => new DefaultLib({ tokens: { secret: 'x'.repeat(32) }, emailer: new RecordingEmailer() })).not.toThrow();
  });
});
