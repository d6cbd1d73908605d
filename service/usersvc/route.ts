/**
 * Maps a request line to one of the API's routes, as a pure function. The username comes
 * from the path, percent-decoded, and must pass `checkUsername`: encoded slashes, dot
 * segments and anything outside the allowed characters are answered 400, never looked up.
 */
import { checkUsername } from './validate.js';

export type RouteName = 'health' | 'createUser' | 'getUser' | 'deleteUser' | 'login';

export type Route =
  | { kind: 'route'; name: RouteName; username: string }
  | { kind: 'error'; status: 400 | 404 | 405; error: string; allow?: string };

/** Every method the API serves somewhere: the `Allow` of a CONNECT, which names no resource. */
export const allMethods = 'GET, HEAD, PUT, DELETE, POST';

const notFound: Route = { kind: 'error', status: 404, error: 'not found' };

/**
 * An absolute-form target (`http://host:port/path?query`, RFC 9112 section 3.2.2), which a
 * server must accept, is routed by its path, as the origin form would be; the Host header is
 * then ignored (section 3.2.2). An empty path is `/`.
 */
const absoluteForm = /^https?:\/\/[^/?#]*/i;

function pathOf(url: string): string {
  const queryAt = url.indexOf('?');
  const target = queryAt === -1 ? url : url.slice(0, queryAt);
  if (target.startsWith('/')) return target;
  const authority = absoluteForm.exec(target);
  if (authority === null) return target;
  return target.slice(authority[0].length) || '/';
}

function methodNotAllowed(allow: string): Route {
  return { kind: 'error', status: 405, error: 'method not allowed', allow };
}

function decodeSegment(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function userRoute(method: string, segment: string, login: boolean): Route {
  const decoded = decodeSegment(segment);
  if (decoded === undefined) return { kind: 'error', status: 400, error: 'malformed username' };
  if (login) {
    if (method !== 'POST') return methodNotAllowed('POST');
  } else if (method !== 'GET' && method !== 'HEAD' && method !== 'PUT' && method !== 'DELETE') {
    return methodNotAllowed('GET, HEAD, PUT, DELETE');
  }
  const username = checkUsername(decoded);
  if (!username.ok) return { kind: 'error', status: 400, error: username.error };
  if (login) return { kind: 'route', name: 'login', username: username.value };
  // HEAD is GET without the body (RFC 9110 section 9.3.2): the same lookup, the same headers.
  const name =
    method === 'GET' || method === 'HEAD'
      ? 'getUser'
      : method === 'PUT'
        ? 'createUser'
        : 'deleteUser';
  return { kind: 'route', name, username: username.value };
}

export function matchRoute(method: string, url: string): Route {
  const path = pathOf(url);
  if (!path.startsWith('/user/')) return notFound;
  const rest = path.slice('/user/'.length);
  const parts = rest.split('/');
  if (parts.length === 1 && parts[0] === 'health') {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed('GET, HEAD');
    return { kind: 'route', name: 'health', username: '' };
  }
  if (parts.length === 1) return userRoute(method, parts[0]!, false);
  if (parts.length === 2 && parts[1] === 'login') return userRoute(method, parts[0]!, true);
  return notFound;
}
