/**
 * Names a stack gives (the stack, services, networks, volumes, secrets) and the project
 * name: each becomes part of engine names and a service's name is its DNS name on the
 * stack's networks, so a name is at most 63 characters (one DNS label), and a message says
 * which rule a name breaks: its characters or its length.
 */

export const maxNameLength = 63;

export type NameKind = 'name' | 'resource' | 'project' | 'secret';

const rules: Record<NameKind, { readonly pattern: RegExp; readonly rule: string }> = {
  /** The stack and its services: DNS labels. */
  name: {
    pattern: /^[a-z][a-z0-9-]*$/,
    rule: 'use lower-case letters, digits and "-", starting with a letter',
  },
  /** Networks and volumes: parts of `<project>_<name>`. */
  resource: {
    pattern: /^[a-z][a-z0-9_-]*$/,
    rule: 'use lower-case letters, digits, "-" and "_", starting with a letter',
  },
  /** Projects (`-p`, ESTEPS_PROJECT), as docker compose takes them. */
  project: {
    pattern: /^[a-z0-9][a-z0-9_-]*$/,
    rule: 'use lower-case letters, digits, "-" and "_", starting with a letter or digit',
  },
  /** Stack secrets: camelCase, so their file name (`db_password`) stays short and plain. */
  secret: {
    pattern: /^[a-z][a-zA-Z0-9]*$/,
    rule: 'use camelCase letters and digits, starting with a lower-case letter',
  },
};

/**
 * Why `name` is not a valid name of its kind (the reason only: `is not a valid name: use ...`
 * or `is 70 characters long: use at most 63`), or undefined when it is valid.
 */
export function nameProblem(name: string, kind: NameKind): string | undefined {
  const { pattern, rule } = rules[kind];
  if (!pattern.test(name)) return `is not a valid name: ${rule}`;
  if (name.length > maxNameLength) {
    return `is ${name.length} characters long: use at most ${maxNameLength}`;
  }
  return undefined;
}

/** A long name cut for a message: its start, its length said by the message itself. */
export function showName(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 37)}...` : name);
}
