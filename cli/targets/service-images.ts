import { baseImages } from '../../stacks/model/base-image-args.js';
import type { ResolvedStack } from '../../stacks/model/model.js';
import type { ServiceImage } from './target.js';

/**
 * Each service's image and where its reference came from (the stack, a variable and its
 * source, or a build on base images), with the official image each stand-in replaces.
 * `standInFor` maps an image reference to the official one it stands in for (the label
 * setup puts on its stand-ins), as the target observed it.
 */
export function serviceImages(
  stack: ResolvedStack,
  standInFor: (image: string) => string | undefined,
): ServiceImage[] {
  const standIn = (image: string) => {
    const of = standInFor(image);
    return of ? { standInFor: of } : {};
  };
  return stack.services.map((s) => {
    if (!s.build) {
      const origin = imageOrigin(stack, `services.${s.name}.image`);
      return { service: s.name, image: s.image, ...origin, ...standIn(s.image) };
    }
    const bases = Object.entries(baseImages(s.build)).map(([arg, image]) => {
      const { imageSource, variable } = imageOrigin(stack, `services.${s.name}.build.args.${arg}`);
      return { arg, image, source: imageSource, ...(variable && { variable }), ...standIn(image) };
    });
    return { service: s.name, image: s.image, imageSource: 'built', bases };
  });
}

/** Where an image reference came from: the stack literal, or a variable's source. */
function imageOrigin(
  stack: ResolvedStack,
  path: string,
): { imageSource: string; variable?: string } {
  const origin = stack.origins[path];
  if (origin === undefined) return { imageSource: 'stack' };
  return { imageSource: origin.kind, variable: origin.variable };
}
