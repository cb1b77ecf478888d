import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { ContractTarget, Reply, SendOptions } from './contract';

export const ROOT = join(__dirname, '..', '..');
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
export const SERVER_ENTRY = join(ROOT, 'examples', 'server.ts');
export const CLI_ENTRY = join(ROOT, 'src', 'cli', 'main.ts');

/**
 * The environment of a child: the parent's, without anything that would configure the server behind
 * the test's back (a developer's DATABASE_URL must never be migrated by a test).
 */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'DATABASE_URL' || name === 'PORT' || name === 'HOST' || name.startsWith('ACCOUNTS_')) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the server printed so far (stdout and stderr), line by line. */
  output: string[];
  /** Sends a signal to `tsx` (which relays it to the server) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Kills the whole process group at once, for cleanup. */
  kill(): void;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Starts the example server the way `npm start` does (`tsx examples/server.ts`) and waits for its
 * "listening on http://…" line, which names the port it bound (PORT=0 picks a free one).
 */
export function spawnServer(options: {
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
}): Promise<ServerProcess> {
  // Its own process group: tsx runs the server in a child process, and `kill` must reach both.
  const child = spawn(TSX, [SERVER_ENTRY], {
    cwd: options.cwd,
    env: childEnv({ PORT: '0', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  // 'close', not 'exit': the last lines (the shutdown's) may still be in the pipe when the process exits.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`the server did not start in time:\n${output.join('\n')}`));
    }, options.timeoutMs ?? 30_000);
    const onLine = (line: string) => {
      output.push(line);
      // A JSON log line: the URL ends at the closing quote of its message.
      const listening = /listening on (http:\/\/[^\s"]+)/.exec(line);
      if (!listening) return;
      clearTimeout(timer);
      resolve({
        url: listening[1],
        child,
        output,
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
        kill: () => killGroup(child),
      });
    };
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      });
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before listening:\n${output.join('\n')}`));
    });
  });
}

/** The server's JSON log lines, parsed; other output (emails printed in development) is skipped. */
export function logEntries(output: readonly string[]): Record<string, unknown>[] {
  return output.flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** The first log entry that matches, waiting up to 5 s: a request's line is written after its response. */
export async function logEntry(
  server: ServerProcess,
  matches: (entry: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  for (let waited = 0; waited < 5000; waited += 20) {
    const found = logEntries(server.output).find(matches);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no such log line in:\n${server.output.join('\n')}`);
}

/** Starts the example server expecting it to fail at startup: its exit code and its log entries. */
export function runServerToExit(options: {
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
}): Promise<{ code: number | null; entries: Record<string, unknown>[]; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [SERVER_ENTRY], {
      cwd: options.cwd,
      env: childEnv({ PORT: '0', ...options.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`the server was still running after ${options.timeoutMs ?? 20_000} ms:\n${output}`));
    }, options.timeoutMs ?? 20_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, entries: logEntries(output.split('\n')), output });
    });
  });
}

/** Runs the CLI (`tsx src/cli/main.ts …`) to completion. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; stdin?: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [CLI_ENTRY, ...args], { cwd: options.cwd, env: childEnv(options.env ?? {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** Sends a request with `fetch`, as any HTTP client would. */
export async function fetchReply(
  base: string,
  method: string,
  path: string,
  options: SendOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.raw;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  if (headers['content-type'] === '') delete headers['content-type'];
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
  // fetch refuses a body on GET; such requests (only the bad-input tests send them) go through node:http.
  if (body !== undefined && method === 'GET') return requestWithNodeHttp(`${base}${path}`, method, headers, body);
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch (error) {
    throw new Error(`${response.status} with a body that is not JSON: ${text.slice(0, 200)}`, { cause: error });
  }
  return { status: response.status, headers: Object.fromEntries(response.headers), body: parsed };
}

function requestWithNodeHttp(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // node:http sends a GET body without framing unless told its length.
    const framed = { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const request = httpRequest(url, { method, headers: framed }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => {
        const replyHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) replyHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        try {
          resolve({
            status: response.statusCode ?? 0,
            headers: replyHeaders,
            body: text === '' ? null : JSON.parse(text),
          });
        } catch (error) {
          reject(
            new Error(`${response.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`, { cause: error }),
          );
        }
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

interface OutboxMessage {
  to: string;
  kind: string;
  code: string;
}

function outboxMessages(file: string): OutboxMessage[] {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  return lines.map((line) => JSON.parse(line) as OutboxMessage);
}

/** Reads the latest code for an address from the development outbox (`ACCOUNTS_DEV_OUTBOX`). */
export function outboxCode(file: string, address: string, kind: string): string {
  const message = outboxMessages(file)
    .reverse()
    .find((entry) => entry.to === address && entry.kind === kind);
  if (!message) throw new Error(`no ${kind} email to ${address} in ${file}`);
  return message.code;
}

const awaitedByOutbox = new Map<string, Map<string, number>>();

/** Routes whose email the server sends after answering (SPEC §4: their timing must tell nothing). */
const EMAILED_AFTER_ANSWER = new Set(['/authn/email', '/emails/resend-verification', '/authn/password-reset/request']);

/**
 * The outbox seen through requests: after a request whose email goes out after its answer, the next
 * read of that address's code waits (up to 2 s) for a line written since the request, so it never
 * returns the code the request replaced.
 */
function watchedOutbox(file: string) {
  // Per file, not per target: a contract builds its target anew for every request.
  const awaited = awaitedByOutbox.get(file) ?? new Map<string, number>();
  awaitedByOutbox.set(file, awaited);
  return {
    before(path: string, json: unknown): void {
      const to = (json as { email?: unknown } | undefined)?.email;
      if (EMAILED_AFTER_ANSWER.has(path) && typeof to === 'string') {
        awaited.set(to.trim().toLowerCase(), outboxMessages(file).length);
      }
    },
    async code(address: string, kind: string): Promise<string> {
      const since = awaited.get(address);
      if (since !== undefined) {
        awaited.delete(address);
        for (let waited = 0; waited < 2000; waited += 10) {
          const fresh = outboxMessages(file).slice(since);
          if (fresh.some((entry) => entry.to === address && entry.kind === kind)) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      return outboxCode(file, address, kind);
    },
  };
}

/** A contract target talking to a running server over HTTP. */
export function httpTarget(
  url: () => string,
  settings: {
    outbox: string;
    sysadmin: { email: string; password: string };
    clientIp?: string;
    /** The server's database and working directory, for the `roles` command. */
    database?: { url: string; cwd: string };
  },
): ContractTarget {
  const outbox = watchedOutbox(settings.outbox);
  return {
    send: (method, path, options) => {
      outbox.before(path, options?.json);
      return fetchReply(url(), method, path, options);
    },
    lastCode: (address, kind) => outbox.code(address, kind),
    async grantRoles(email, roles) {
      if (!settings.database) throw new Error('this target has no database to grant roles in');
      const { url: databaseUrl, cwd } = settings.database;
      const ran = await runCli(['roles', '--url', databaseUrl, '--email', email, '--set', roles.join(',')], { cwd });
      if (ran.code !== 0) throw new Error(`accounts-module roles failed: ${ran.stderr}`);
    },
    sysadmin: settings.sysadmin,
    clientIp: settings.clientIp ?? '127.0.0.1',
    apiName: 'accounts',
  };
}
