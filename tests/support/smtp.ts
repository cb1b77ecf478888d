import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

/** One message a test SMTP server accepted (or read before refusing it). */
export interface ReceivedMail {
  raw: string;
  mailFrom: string;
  rcptTo: string[];
  /** Whether the session ran over TLS (smtps, or upgraded by STARTTLS). */
  secure: boolean;
  /** The user the session logged in as, if it did. */
  user: string | undefined;
}

export interface TestSmtpServer {
  port: number;
  received: ReceivedMail[];
  /** Resolves with the oldest message not yet taken by `nextMail`, waiting for it if need be. */
  nextMail(timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/**
 * A real SMTP server (smtp-server) on 127.0.0.1 and a free port. By default it offers neither
 * STARTTLS nor AUTH; `options` turns them on. `refuseData` reads the message, then answers 554.
 */
export async function startSmtpServer(
  options: Partial<SMTPServerOptions> & { refuseData?: (raw: string) => string | undefined } = {},
): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const waiting: Array<() => void> = [];
  let taken = 0;
  const { refuseData, ...serverOptions } = options;
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    ...serverOptions,
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const mail: ReceivedMail = {
          raw: Buffer.concat(chunks).toString('utf8'),
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((recipient) => recipient.address),
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
        };
        received.push(mail);
        waiting.shift()?.();
        const refusal = refuseData?.(mail.raw);
        if (refusal === undefined) return callback();
        const error = new Error(refusal) as Error & { responseCode: number };
        error.responseCode = 554;
        callback(error);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    received,
    async nextMail(timeoutMs = 5000) {
      if (received.length <= taken) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no mail arrived')), timeoutMs);
          waiting.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      taken += 1;
      return received[taken - 1];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A parsed message: its headers (names lower-cased, unfolded) and its text and HTML parts, decoded. */
export interface ParsedMail {
  headers: Record<string, string>;
  text: string;
  html: string;
}

/**
 * Just enough MIME (RFC 2045/2046) to read what nodemailer writes: a multipart/alternative of a
 * text and an HTML part, each 7bit, quoted-printable or base64. mailparser is not a dependency.
 */
export function parseMail(raw: string): ParsedMail {
  const { headers, body } = splitEntity(raw);
  const parts: Record<string, string> = {};
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  const entities = boundary
    ? body
        .split(`--${boundary}`)
        .slice(1, -1)
        .map((part) => splitEntity(part.replace(/^\r\n/, '')))
    : [{ headers, body }];
  for (const entity of entities) {
    const type = (entity.headers['content-type'] ?? 'text/plain').split(';')[0].trim().toLowerCase();
    parts[type] = decodeBody(entity.body, entity.headers['content-transfer-encoding'] ?? '7bit');
  }
  return { headers, text: parts['text/plain'] ?? '', html: parts['text/html'] ?? '' };
}

function splitEntity(entity: string): { headers: Record<string, string>; body: string } {
  const end = entity.indexOf('\r\n\r\n');
  const head = end === -1 ? entity : entity.slice(0, end);
  const body = end === -1 ? '' : entity.slice(end + 4);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeBody(body: string, encoding: string): string {
  const trimmed = body.replace(/\r\n$/, '');
  switch (encoding.trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(trimmed.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const bytes = trimmed
        .replace(/=\r\n/g, '')
        .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    }
    default:
      return trimmed;
  }
}

/** What a {@link startFakeSmtpServer} saw: every command line, and the messages it took. */
export interface FakeSmtpServer {
  port: number;
  /** The command lines received, in order (message bodies excluded). */
  lines: string[];
  /** The raw messages accepted after DATA. */
  messages: string[];
  close(): Promise<void>;
}

/**
 * A hand-written SMTP server on a raw socket that offers AUTH PLAIN and never STARTTLS: what a client
 * sees when a network attacker strips the STARTTLS offer from the EHLO reply. It accepts any login
 * and any message, and records every line, so a test can tell whether credentials were sent.
 */
export async function startFakeSmtpServer(): Promise<FakeSmtpServer> {
  const lines: string[] = [];
  const messages: string[] = [];
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let data: string[] | undefined;
    socket.write('220 fake.test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (let end = buffer.indexOf('\r\n'); end !== -1; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data) {
          if (line === '.') {
            messages.push(data.join('\r\n'));
            data = undefined;
            socket.write('250 queued\r\n');
          } else data.push(line);
          continue;
        }
        lines.push(line);
        const verb = line.split(' ')[0].toUpperCase();
        if (verb === 'EHLO') socket.write('250-fake.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n');
        else if (verb === 'AUTH') socket.write('235 2.7.0 accepted\r\n');
        // The attacker answers a STARTTLS sent anyway as a server without it would.
        else if (verb === 'STARTTLS') socket.write('502 5.5.1 command not implemented\r\n');
        else if (verb === 'DATA') {
          data = [];
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    lines,
    messages,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
