/**
 * Every image a stack may use, by the variable that overrides it (compose-style: from the
 * environment, then `.env`). Defaults are official images with explicit tags. Where no
 * registry can serve them, `npm run setup` builds honestly named stand-ins
 * (`esteps-local/...`) and writes these variables into `.env`.
 */
export interface ImageDefault {
  /** Official image, with an explicit tag. */
  readonly default: string;
  /** What the image is for, shown by `npm run setup` and `esteps up`. */
  readonly description: string;
}

export const imageDefaults = {
  ESTEPS_POSTGRES_IMAGE: {
    default: 'postgres:16-bookworm',
    description:
      'PostgreSQL server (honours POSTGRES_PASSWORD, POSTGRES_USER, POSTGRES_DB, PGDATA)',
  },
  ESTEPS_ENVOY_IMAGE: {
    default: 'envoyproxy/envoy:v1.32-latest',
    description: "Envoy: base of the user-service image, and what step 2's edge runs",
  },
  ESTEPS_NODE_IMAGE: {
    default: 'node:20-bookworm-slim',
    description: 'Node.js runtime copied into the user-service image (/usr/local/bin/node)',
  },
} as const satisfies Record<string, ImageDefault>;

export type ImageVariable = keyof typeof imageDefaults;

export const imageVariables = Object.keys(imageDefaults) as ImageVariable[];
