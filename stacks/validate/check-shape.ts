import type { EdgeRetryCondition } from '../envoy/edge-model.js';
import type { StackProblem } from '../model/errors.js';
import { didYouMean } from './suggest.js';

/**
 * The shape of a stack, checked before anything reads it. esbuild compiles a stack file
 * without type-checking it, and a stack may be plain JavaScript, so a value of the wrong
 * kind or a misspelt key (`dependOn`) must be reported with its path, not crash the
 * semantic checks or be silently ignored.
 */
export type Shape =
  | 'string'
  | 'number'
  | 'boolean'
  | 'function'
  | { readonly literal: readonly string[] }
  | { readonly array: Shape }
  | { readonly record: Shape }
  | { readonly object: Readonly<Record<string, Shape>>; readonly required?: readonly string[] }
  | { readonly anyOf: readonly Shape[] };

const envRef: Shape = { object: { env: 'string', default: 'string' }, required: ['env'] };
const secretRef: Shape = { object: { secret: 'string' }, required: ['secret'] };
const value: Shape = { anyOf: ['string', envRef, secretRef] };
const image: Shape = { anyOf: ['string', envRef] };
const probe: Shape = {
  object: {
    path: 'string',
    containerPort: 'number',
    timeoutMs: 'number',
    expectJson: { record: { anyOf: ['string', 'number', 'boolean'] } },
  },
  required: ['path', 'containerPort'],
};

const retryConditions = [
  'connect-failure',
  'reset',
  'reset-before-request',
  'refused-stream',
  'gateway-error',
  '5xx',
  'retriable-4xx',
] as const satisfies readonly EdgeRetryCondition[];
const envoy: Shape = {
  object: {
    routes: {
      array: {
        object: {
          pathPrefix: 'string',
          service: 'string',
          timeoutMs: 'number',
          // `false` for no retries; `true` means nothing and is refused by validateStack.
          retry: {
            anyOf: [
              'boolean',
              {
                object: {
                  attempts: 'number',
                  on: { array: { literal: retryConditions } },
                  perTryTimeoutMs: 'number',
                },
              },
            ],
          },
        },
        required: ['pathPrefix', 'service'],
      },
    },
    tcpProxies: {
      array: {
        object: {
          listenerPort: 'number',
          service: 'string',
          port: 'number',
          connectTimeoutMs: 'number',
          idleTimeoutMs: 'number',
        },
        required: ['listenerPort', 'service', 'port'],
      },
    },
    listenerPort: 'number',
    adminPort: 'number',
    accessLog: { literal: ['text', 'json', 'off'] },
    configFile: 'string',
    imageArg: 'string',
  },
  required: ['routes'],
};

const service: Shape = {
  object: {
    image,
    build: {
      object: {
        context: 'string',
        dockerfile: 'string',
        args: { record: image },
        bundles: {
          record: { object: { entry: 'string', target: 'string' }, required: ['entry'] },
        },
      },
      required: ['context'],
    },
    command: { array: 'string' },
    environment: { record: value },
    ports: {
      array: {
        object: {
          hostIp: 'string',
          hostPort: { anyOf: ['number', envRef] },
          containerPort: 'number',
          protocol: { literal: ['tcp', 'udp'] },
        },
        required: ['hostPort', 'containerPort'],
      },
    },
    healthcheck: {
      object: {
        test: { array: 'string' },
        intervalMs: 'number',
        timeoutMs: 'number',
        retries: 'number',
        startPeriodMs: 'number',
      },
      required: ['test'],
    },
    httpProbe: probe,
    dependsOn: {
      array: {
        object: { service: 'string', condition: { literal: ['started', 'healthy'] } },
        required: ['service'],
      },
    },
    replicas: 'number',
    maxReplicasPerNode: 'number',
    restart: { literal: ['no', 'always', 'unless-stopped', 'on-failure'] },
    volumes: {
      array: {
        object: { volume: 'string', target: 'string', readOnly: 'boolean' },
        required: ['volume', 'target'],
      },
    },
    networks: { array: 'string' },
    labels: { record: 'string' },
    secrets: {
      array: {
        anyOf: [
          'string',
          {
            object: { secret: 'string', target: 'string', owner: 'string', mode: 'number' },
            required: ['secret'],
          },
        ],
      },
    },
    user: 'string',
    readOnlyRootFilesystem: 'boolean',
    tmpfs: {
      array: {
        object: { target: 'string', sizeBytes: 'number', mode: 'number', owner: 'string' },
        required: ['target'],
      },
    },
    capDrop: { array: 'string' },
    capAdd: { array: 'string' },
    noNewPrivileges: 'boolean',
    limits: { object: { pids: 'number', memoryBytes: 'number' } },
    hotpatch: {
      object: {
        bundle: 'string',
        path: 'string',
        watch: { array: 'string' },
        owner: 'string',
        probe,
        versionField: 'string',
      },
      required: ['bundle', 'path', 'owner'],
    },
    envoy,
  },
  required: ['image'],
};

export const stackShape: Shape = {
  object: {
    name: 'string',
    description: 'string',
    services: { record: service },
    networks: {
      record: { object: { driver: { literal: ['bridge', 'overlay'] } } },
    },
    volumes: { record: { object: {} } },
    secrets: { record: { object: { lengthBytes: 'number' } } },
    smoke: {
      object: { service: 'string', checks: 'function', timeoutMs: 'number' },
      required: ['service', 'checks'],
    },
  },
  required: ['name', 'services'],
};

/** Every place where `value` does not have `shape`, with its path. */
export function checkShape(value: unknown, shape: Shape, path = ''): StackProblem[] {
  const problems: StackProblem[] = [];
  walk(value, shape, path, problems);
  return problems;
}

function walk(value: unknown, shape: Shape, path: string, problems: StackProblem[]): void {
  const at = path || '(the stack)';
  if (typeof shape === 'string') {
    const ok = shape === 'number' ? Number.isFinite(value) : typeof value === shape;
    if (!ok) problems.push({ path: at, message: `must be a ${shape}, got ${describe(value)}` });
    return;
  }
  if ('literal' in shape) {
    if (!shape.literal.includes(value as string)) {
      const hint = typeof value === 'string' ? didYouMean(value, shape.literal) : '';
      problems.push({
        path: at,
        message: `must be one of ${shape.literal.map((l) => `"${l}"`).join(', ')}, got ${describe(value)}${hint}`,
      });
    }
    return;
  }
  if ('anyOf' in shape) {
    const attempts = shape.anyOf.map((s) => checkShape(value, s, path));
    if (attempts.some((a) => a.length === 0)) return;
    // The closest alternative (an object of the right kind) says more than "none matched".
    const object = shape.anyOf.findIndex(
      (s) => typeof s === 'object' && 'object' in s && isPlainObject(value),
    );
    if (object >= 0) problems.push(...attempts[object]!);
    else
      problems.push({
        path: at,
        message: `must be ${shape.anyOf.map(name).join(' or ')}, got ${describe(value)}`,
      });
    return;
  }
  if ('array' in shape) {
    if (!Array.isArray(value)) {
      problems.push({ path: at, message: `must be a list, got ${describe(value)}` });
      return;
    }
    value.forEach((item, i) => {
      walk(item, shape.array, `${path}[${i}]`, problems);
    });
    return;
  }
  if (!isPlainObject(value)) {
    problems.push({ path: at, message: `must be an object, got ${describe(value)}` });
    return;
  }
  if ('record' in shape) {
    for (const [key, item] of Object.entries(value))
      walk(item, shape.record, join(path, key), problems);
    return;
  }
  const known = Object.keys(shape.object);
  for (const key of shape.required ?? []) {
    if (!Object.hasOwn(value, key) || value[key] === undefined) {
      problems.push({ path: join(path, key), message: 'is required' });
    }
  }
  for (const [key, item] of Object.entries(value)) {
    // Own keys of the shape only: `constructor` or `toString` is no key of a stack.
    const field = Object.hasOwn(shape.object, key) ? shape.object[key] : undefined;
    if (field === undefined) {
      problems.push({
        path: join(path, key),
        message: `is not a known key${didYouMean(key, known)}`,
      });
    } else if (item !== undefined) {
      walk(item, field, join(path, key), problems);
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  const segment = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : `["${key}"]`;
  if (path === '') return segment.startsWith('[') ? segment : segment;
  return segment.startsWith('[') ? `${path}${segment}` : `${path}.${segment}`;
}

function name(shape: Shape): string {
  if (typeof shape === 'string') return `a ${shape}`;
  if ('object' in shape) return `{ ${Object.keys(shape.object)[0]}: ... }`;
  if ('array' in shape) return 'a list';
  if ('record' in shape) return 'an object';
  if ('literal' in shape) return shape.literal.map((l) => `"${l}"`).join(' or ');
  return shape.anyOf.map(name).join(' or ');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string')
    return `"${value.length > 40 ? `${value.slice(0, 37)}...` : value}"`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'undefined') return 'nothing';
  return `${typeof value} ${String(value)}`;
}
