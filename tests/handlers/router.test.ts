import { Router } from '../../src/handlers/router';
import type { HttpRequest, Route } from '../../src/handlers/types';
import { errorOf } from './helpers';

const echo =
  (name: string): Route['handler'] =>
  async (request) => ({ status: 200, headers: {}, body: { name, params: request.params } });

const router = new Router([
  { method: 'GET', path: '/users/:id', handler: echo('get user') },
  { method: 'PATCH', path: '/users/:id', handler: echo('update user') },
  { method: 'GET', path: '/users/:id/sessions', handler: echo('sessions') },
  { method: 'GET', path: '/.well-known/jwks.json', handler: echo('jwks') },
]);

const request = (method: string, path: string): HttpRequest => ({ method, path, headers: {} });

describe('Router', () => {
  it('runs the route of the method and path, with decoded parameters', async () => {
    const response = await router.dispatch(request('GET', '/users/usr%5F1'));
    expect(response.body).toEqual({ name: 'get user', params: { id: 'usr_1' } });
  });

  it('matches methods whatever their case', async () => {
    expect((await router.dispatch(request('patch', '/users/u'))).body).toMatchObject({ name: 'update user' });
  });

  it('ignores a trailing slash and a query string', async () => {
    expect((await router.dispatch(request('GET', '/users/u/sessions/'))).body).toMatchObject({ name: 'sessions' });
    expect((await router.dispatch(request('GET', '/users/u?x=1'))).body).toMatchObject({ params: { id: 'u' } });
  });

  it('matches literal segments exactly', async () => {
    expect((await router.dispatch(request('GET', '/.well-known/jwks.json'))).body).toMatchObject({ name: 'jwks' });
    expect((await router.dispatch(request('GET', '/.well-known/jwksxjson'))).status).toBe(404);
  });

  it('answers 404 NOT_FOUND for an unknown path, an empty parameter or a bad escape', async () => {
    for (const path of ['/nope', '/users', '/users//sessions', '/users/%E0%A4%A', '/users/a/b/c']) {
      const response = await router.dispatch(request('GET', path));
      expect(response.status).toBe(404);
      expect(errorOf(response).code).toBe('NOT_FOUND');
    }
  });

  it('answers HEAD with the GET route of the path (adapters drop the body)', async () => {
    expect((await router.dispatch(request('HEAD', '/users/u'))).body).toMatchObject({ name: 'get user' });
    expect((await router.dispatch(request('HEAD', '/nope'))).status).toBe(404);
  });

  it('answers 405 with the allowed methods for a known path and another method', async () => {
    const response = await router.dispatch(request('DELETE', '/users/u'));
    expect(response.status).toBe(405);
    expect(errorOf(response).code).toBe('METHOD_NOT_ALLOWED');
    expect(response.headers.allow).toBe('GET, PATCH');
  });
});
