import { EstepsError } from '../../errors.js';
import type { Endpoint } from './resolve-endpoint.js';

/** Node's codes for an engine certificate the CA does not vouch for, or not for this host. */
const untrusted = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** OpenSSL's alerts for a client certificate the engine refused (or did not get). */
const clientRefused =
  /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|DECRYPT_ERROR|HANDSHAKE_FAILURE)/;

/**
 * A TLS failure as its own message: the engine's certificate not trusted (ENGINE_UNTRUSTED),
 * ours refused (ENGINE_AUTH_FAILED), or TLS spoken to an engine that speaks plain HTTP, or the
 * other way round. `undefined` for anything else.
 */
export function tlsError(err: unknown, endpoint: Endpoint): EstepsError | undefined {
  const code = String((err as { code?: unknown })?.code ?? '');
  const message = (err as Error)?.message ?? String(err);
  const where = `${endpoint.host} (${describeSource(endpoint)})`;
  const from = endpoint.tls?.from ?? 'no TLS files';
  if (untrusted.has(code)) {
    const reason =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? `it is not for ${hostOf(endpoint)}` : message;
    return new EstepsError(
      'ENGINE_UNTRUSTED',
      `The engine at ${where} presented a certificate that esteps cannot trust: ${reason} (${code}; CA from ${from}).`,
      {
        hint: "Use the ca.pem that signed the engine's certificate (docker-machine env NAME prints where it is), or check that the address is the engine's, then retry.",
        cause: err,
      },
    );
  }
  if (clientRefused.test(code) || clientRefused.test(message)) {
    return new EstepsError(
      'ENGINE_AUTH_FAILED',
      `The engine at ${where} refused esteps' client certificate (${code || message}; cert.pem from ${from}).`,
      {
        hint: 'Use the cert.pem and key.pem signed by the CA the engine trusts (its --tlscacert), then retry.',
        cause: err,
      },
    );
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message)) {
    return new EstepsError(
      'ENGINE_UNAVAILABLE',
      `The engine at ${where} does not speak TLS (${code || message}).`,
      {
        hint: "Unset DOCKER_TLS_VERIFY (or use the engine's TLS port, usually 2376), then retry.",
        cause: err,
      },
    );
  }
  if (/HTTP request to an HTTPS server/i.test(message)) {
    return new EstepsError('ENGINE_UNAVAILABLE', `The engine at ${where} speaks only TLS.`, {
      hint: 'Set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the folder with its ca.pem, cert.pem and key.pem (or use a context with its TLS files), then retry.',
      cause: err,
    });
  }
  return undefined;
}

function hostOf(endpoint: Endpoint): string {
  return endpoint.transport.kind === 'unix' ? endpoint.host : endpoint.transport.hostname;
}

/** `DOCKER_HOST`, `context "ci" (DOCKER_CONTEXT)`, `default socket`... */
export function describeSource(endpoint: Pick<Endpoint, 'source' | 'context'>): string {
  return endpoint.context
    ? `context "${endpoint.context}", from ${endpoint.source}`
    : endpoint.source;
}
