import { childPath } from './envoy-paths.js';
import type { ProtoChecker } from './proto-checker.js';
import { re2MinProgramSize } from './re2-size.js';
import { startupProblem } from './startup-checks.js';

/** What Envoy checks of one value of a type, wherever it is; run after its fields decoded. */
type TypeCheck = (checker: ProtoChecker, value: Record<string, unknown>, path: string) => void;

/** Where a `typed_config` sits decides which kind of extension Envoy looks for there. */
interface ExtensionPoint {
  readonly kind: string;
  readonly prefixes: readonly string[];
  /** Whether a `typed_config` must be given (else `config_discovery`, or `is_optional`). */
  readonly required: boolean;
}

const withMatcher = 'envoy.extensions.common.matching.v3.ExtensionWithMatcher';
const extensionPoints: Record<string, ExtensionPoint> = {
  'envoy.config.listener.v3.Filter': {
    kind: 'network filter',
    prefixes: ['envoy.extensions.filters.network.', withMatcher],
    required: true,
  },
  'envoy.config.listener.v3.ListenerFilter': {
    kind: 'listener filter',
    prefixes: ['envoy.extensions.filters.listener.', 'envoy.extensions.filters.udp.'],
    required: true,
  },
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter': {
    kind: 'HTTP filter',
    prefixes: ['envoy.extensions.filters.http.', withMatcher],
    required: true,
  },
  'envoy.config.core.v3.TransportSocket': {
    kind: 'transport socket',
    prefixes: ['envoy.extensions.transport_sockets.'],
    required: true,
  },
  'envoy.config.accesslog.v3.AccessLog': {
    kind: 'access logger',
    prefixes: ['envoy.extensions.access_loggers.'],
    required: true,
  },
  'envoy.config.trace.v3.Tracing.Http': {
    kind: 'tracer',
    prefixes: ['envoy.config.trace.v3.', 'envoy.extensions.tracers.'],
    required: true,
  },
  'envoy.config.metrics.v3.StatsSink': {
    kind: 'stats sink',
    prefixes: ['envoy.config.metrics.v3.', 'envoy.extensions.stat_sinks.'],
    required: true,
  },
  'envoy.config.cluster.v3.Cluster.CustomClusterType': {
    kind: 'cluster type',
    prefixes: ['envoy.extensions.clusters.'],
    required: false,
  },
  'envoy.config.route.v3.RetryPolicy.RetryHostPredicate': {
    kind: 'retry host predicate',
    prefixes: ['envoy.extensions.retry.host.'],
    required: true,
  },
  'envoy.config.route.v3.RetryPolicy.RetryPriority': {
    kind: 'retry priority',
    prefixes: ['envoy.extensions.retry.priority.'],
    required: true,
  },
};

const typedStructs = new Set(['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct']);

function extensionCheck(point: ExtensionPoint): TypeCheck {
  return (checker, value, path) => {
    const config = value.typed_config ?? value.typedConfig;
    const configPath = childPath(path, 'typedConfig' in value ? 'typedConfig' : 'typed_config');
    const name = typeof value.name === 'string' ? value.name : '';
    if (config === undefined || config === null) {
      const discovered = (value.config_discovery ?? value.configDiscovery) != null;
      const optional = value.is_optional === true || value.isOptional === true;
      if (point.required && !discovered && !optional) {
        checker.problems.push(
          startupProblem(
            'extension-config',
            path,
            `has no typed_config: Envoy finds a ${point.kind} by the type of its typed_config, not by its name${name ? ` ("${name}")` : ''}`,
          ),
        );
      }
      return;
    }
    const url =
      typeof config === 'object' && config !== null
        ? (config as Record<string, unknown>)['@type']
        : undefined;
    if (typeof url !== 'string') return;
    let type = url.slice(url.lastIndexOf('/') + 1);
    if (typedStructs.has(type)) {
      const inner =
        (config as Record<string, unknown>).type_url ?? (config as Record<string, unknown>).typeUrl;
      if (typeof inner !== 'string') return;
      type = inner.slice(inner.lastIndexOf('/') + 1);
    }
    if (!checker.api.message(type) || point.prefixes.some((p) => type.startsWith(p))) return;
    checker.problems.push(
      startupProblem(
        'extension-type',
        childPath(configPath, '@type'),
        `${type} is no ${point.kind}: Envoy has no ${point.kind} of that type (it looks for ${point.prefixes.map((p) => (p.endsWith('.') ? `${p}*` : p)).join(' or ')})`,
      ),
    );
  };
}

/** RE2, which Envoy uses, has no lookaround and no backreferences; JavaScript has both. */
const re2Unsupported = /\(\?<?[=!]|\\[1-9]/;

const regexCheck: TypeCheck = (checker, value, path) => {
  const regex = value.regex;
  if (typeof regex !== 'string') return;
  const where = childPath(path, 'regex');
  let reason: string | undefined;
  if (re2Unsupported.test(regex.replace(/\\\\/g, ''))) {
    reason = 'RE2 (which Envoy uses) has no lookahead, lookbehind or backreferences';
  } else {
    try {
      new RegExp(asJavaScript(regex));
    } catch (error) {
      reason =
        error instanceof Error
          ? error.message.replace(/^Invalid regular expression: /, '')
          : String(error);
    }
  }
  if (reason) {
    checker.problems.push(
      startupProblem(
        'regex',
        where,
        `${JSON.stringify(regex)} is not a regular expression Envoy takes: ${reason}`,
      ),
    );
    return;
  }
  const google = (value.google_re2 ?? value.googleRe2) as Record<string, unknown> | undefined;
  const own = google?.max_program_size ?? google?.maxProgramSize;
  const runtimeLimit = checker.deprecations.runtime?.get('re2.max_program_size.error_level');
  const limit = Number(own ?? runtimeLimit ?? 100);
  const size = re2MinProgramSize(regex);
  if (Number.isFinite(limit) && size > limit) {
    checker.problems.push(
      startupProblem(
        'regex',
        where,
        `compiles to an RE2 program of at least ${size} instructions, beyond Envoy's limit of ${limit} (the runtime key re2.max_program_size.error_level): simplify it, or raise the limit`,
      ),
    );
  }
};

/**
 * An RE2 pattern in JavaScript's syntax, as far as the two differ in what is valid: named
 * groups `(?P<n>`, inline flags `(?i)`, `\A`, `\z`, `\Q...\E`, POSIX classes `[[:alpha:]]`.
 */
function asJavaScript(re2: string): string {
  return re2
    .replace(/\\Q(.*?)(\\E|$)/g, (_, literal: string) =>
      literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?[imsU-]+\)/g, '')
    .replace(/\(\?[imsU-]+:/g, '(?:')
    .replace(/\\[Az]/g, '')
    .replace(/\[:\^?[a-z]+:\]/g, 'a');
}

const remember =
  (typeName: string): TypeCheck =>
  (checker, value, path) =>
    checker.remember(typeName, value, path);

/** A Duration written as `{seconds, nanos}` is no more allowed to be negative. */
const durationObject: TypeCheck = (checker, value, path) => {
  const negative = [value.seconds, value.nanos].some((v) => Number(v) < 0);
  if (negative) {
    checker.problems.push(
      startupProblem(
        'negative-duration',
        path,
        'is negative: Envoy refuses negative durations ("Expected positive duration")',
      ),
    );
  }
};

/** A server's TLS context has certificates to present, from one source. */
const serverTls: TypeCheck = (checker, value, path) => {
  const common = (value.common_tls_context ?? value.commonTlsContext ?? {}) as Record<
    string,
    unknown
  >;
  const has = (...keys: string[]) =>
    keys.some((k) => {
      const v = common[k] ?? common[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];
      return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null;
    });
  const files = has('tls_certificates');
  const sds = has('tls_certificate_sds_secret_configs');
  const other =
    has(
      'tls_certificate_provider_instance',
      'tls_certificate_certificate_provider',
      'tls_certificate_certificate_provider_instance',
      'custom_handshaker',
    ) || (value.custom_tls_certificate_selector ?? value.customTlsCertificateSelector) != null;
  if (!files && !sds && !other) {
    checker.problems.push(
      startupProblem(
        'tls-server-certificates',
        path,
        'has no certificate to present: give common_tls_context.tls_certificates (or an SDS secret, or a certificate provider)',
      ),
    );
  } else if (files && sds) {
    checker.problems.push(
      startupProblem(
        'tls-server-certificates',
        path,
        'mixes tls_certificates and tls_certificate_sds_secret_configs: a server context takes one or the other',
      ),
    );
  }
};

/** The checks by type name. */
export const typeChecks: Readonly<Record<string, TypeCheck>> = {
  ...Object.fromEntries(
    Object.entries(extensionPoints).map(([type, point]) => [type, extensionCheck(point)]),
  ),
  'envoy.type.matcher.v3.RegexMatcher': regexCheck,
  'google.protobuf.Duration': durationObject,
  'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext': serverTls,
  'envoy.config.core.v3.ApiConfigSource': remember('envoy.config.core.v3.ApiConfigSource'),
  'envoy.config.core.v3.GrpcService': remember('envoy.config.core.v3.GrpcService'),
};
