/**
 * Which build arguments name base images. A build argument whose name ends in `IMAGE`
 * (`ENVOY_IMAGE`, `NODE_IMAGE`: the Dockerfile says `FROM ${NODE_IMAGE}`) names an image:
 * esteps checks its reference, pulls it when the engine lacks it, and rebuilds when its ID
 * changes. Any other argument (`NODE_ENV`, `VERSION`) is a plain value, passed to the build
 * and part of the build's hash, never pulled.
 */
export function isBaseImageArg(arg: string): boolean {
  return arg.endsWith('IMAGE');
}

/** The base images of a build: its arguments that name images, by argument. */
export function baseImages(
  build: { readonly args: Readonly<Record<string, string>> } | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(build?.args ?? {}).filter(([arg]) => isBaseImageArg(arg)),
  );
}
