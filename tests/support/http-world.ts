import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHandlers, toNodeListener } from '../../src/handlers';
import { makeWorld, type TestWorld, type WorldOptions } from './setup';

/** A reply as a client over the wire sees it. */
export interface WireReply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: JSON off the wire, checked field by field by the tests
  body: any;
}

export interface WireOptions {
  json?: unknown;
  /** Sent as is with `Content-Type: application/json`. */
  raw?: string;
  token?: string;
  apiKey?: string;
  /** The address the request comes from (through `X-Forwarded-For`, the proxy being trusted). */
  ip?: string;
}

export interface HttpWorld extends TestWorld {
  /** A request over a real socket to the handlers, mounted with `toNodeListener`-like node:http. */
  send(method: string, path: string, options?: WireOptions): Promise<WireReply>;
  close(): Promise<void>;
}

/** The address requests come from unless they say otherwise. */
export const DEFAULT_IP = '198.51.100.20';

/**
 * A fresh accounts system (in-memory Io, manual clock, recording emailer) served over HTTP on an
 * ephemeral loopback port. The proxy is trusted, so each request names its own client address in
 * `X-Forwarded-For`: the way a test plays an attacker and a victim at different addresses.
 */
export async function startHttpWorld(options: WorldOptions = {}): Promise<HttpWorld> {
  const world = makeWorld(options);
  const handlers = createHandlers(world.accounts, { trustProxy: true });
  const server: Server = createServer(toNodeListener(handlers));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  const send: HttpWorld['send'] = async (method, path, wire = {}) => {
    const headers: Record<string, string> = { 'x-forwarded-for': wire.ip ?? DEFAULT_IP, 'user-agent': 'jest' };
    let body: string | undefined = wire.raw;
    if (wire.json !== undefined) body = JSON.stringify(wire.json);
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (wire.token !== undefined) headers.authorization = `Bearer ${wire.token}`;
    if (wire.apiKey !== undefined) headers['x-api-key'] = wire.apiKey;
    const response = await fetch(`${base}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? null : JSON.parse(text) };
  };

  return {
    ...world,
    send,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
