import { describe, expect, it } from 'vitest';
import { matchRoute } from './route.js';

describe('matchRoute', () => {
  it.each([
    ['GET', '/user/health', 'health', ''],
    ['HEAD', '/user/health', 'health', ''],
    ['GET', '/user/health?verbose=1', 'health', ''],
    ['PUT', '/user/alice', 'createUser', 'alice'],
    ['GET', '/user/alice', 'getUser', 'alice'],
    ['HEAD', '/user/alice', 'getUser', 'alice'],
    ['DELETE', '/user/alice', 'deleteUser', 'alice'],
    ['POST', '/user/alice/login', 'login', 'alice'],
    ['GET', '/user/%61lice', 'getUser', 'alice'],
    ['GET', 'http://127.0.0.1:5000/user/health', 'health', ''],
    ['GET', 'HTTP://Example.com/user/alice?x=1', 'getUser', 'alice'],
    ['POST', 'https://example.com:8443/user/alice/login', 'login', 'alice'],
  ])('%s %s → %s', (method, url, name, username) => {
    expect(matchRoute(method, url)).toEqual({ kind: 'route', name, username });
  });

  it.each([
    ['GET', '/'],
    ['GET', '/users/alice'],
    ['GET', '/user'],
    ['GET', '/user/alice/extra'],
    ['GET', '/user/alice/login/x'],
    ['GET', '//user/alice'],
    ['GET', 'http://example.com'],
    ['GET', 'http://example.com?/user/alice'],
    ['GET', 'ftp://example.com/user/alice'],
    ['GET', 'http:/user/alice'],
    ['OPTIONS', '*'],
  ])('%s %s → 404', (method, url) => {
    expect(matchRoute(method, url)).toMatchObject({ kind: 'error', status: 404 });
  });

  it.each([
    ['POST', '/user/alice', 'GET, HEAD, PUT, DELETE'],
    ['PATCH', '/user/alice', 'GET, HEAD, PUT, DELETE'],
    ['HEAD', '/user/alice/login', 'POST'],
    ['GET', '/user/alice/login', 'POST'],
    ['DELETE', '/user/health', 'GET, HEAD'],
    ['PUT', '/user/health', 'GET, HEAD'],
  ])('%s %s → 405 allowing %s', (method, url, allow) => {
    expect(matchRoute(method, url)).toEqual({
      kind: 'error',
      status: 405,
      error: 'method not allowed',
      allow,
    });
  });

  it.each([
    '/user/',
    '/user/..',
    '/user/.',
    '/user/a%2Fb',
    '/user/%2e%2e',
    '/user/%zz',
    '/user/%E0%A4%A',
    "/user/a'%20OR%20'1'='1",
    `/user/${'x'.repeat(65)}`,
  ])('GET %s → 400', (url) => {
    expect(matchRoute('GET', url)).toMatchObject({ kind: 'error', status: 400 });
  });
});
