/**
 * Requests Fastify itself refuses inside the plugin (found by a review): a client error must get our
 * envelope with a 4xx, and no error-level log line an anonymous client could flood.
 */
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { createFastifyApp } from '../../examples/fastify';
import { createHandlers } from '../../src/handlers';
import { makeWorld } from '../support/setup';

function raw(port: number, text: string, closeAfterMs = 300): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (data) => {
      out += data;
    });
    socket.on('error', () => resolve(out));
    socket.write(text);
    setTimeout(() => {
      socket.destroy();
      resolve(out);
    }, closeAfterMs);
  });
}

describe('the Fastify plugin and the requests Fastify refuses', () => {
  it('answers a client error with a 4xx envelope and logs it below error', async () => {
    const levels: string[] = [];
    const world = makeWorld();
    const handlers = createHandlers(world.accounts, {
      logger: {
        error: () => levels.push('error'),
        warn: () => levels.push('warn'),
        info: () => levels.push('info'),
        debug: () => levels.push('debug'),
      },
    });
    const app = createFastifyApp(handlers);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    try {
      // A body-carrying method without a content type: Fastify refuses it before any handler.
      const reply = await raw(port, 'QUERY /accounts/users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(reply).toMatch(/^HTTP\/1\.1 4\d\d /);
      expect(reply).toMatch(/\{"error":\{"code":"[A-Z_]+","message":/);
      // A client that stops halfway through its body.
      await raw(
        port,
        'POST /accounts/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na',
        100,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(levels).not.toContain('error');
    } finally {
      await app.close();
    }
  });
});
