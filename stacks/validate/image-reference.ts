/**
 * Docker's image reference grammar (github.com/distribution/reference, reference.go), so a
 * mistyped image (`../../x`, `foo bar`, `Foo:Bar`) is a configuration error naming where it
 * came from, not an engine error deep inside `up`:
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path-component [ "/" path-component ]*
 *   domain     := host [ ":" port ]   (host: DNS labels, or an IPv6 address in brackets)
 *   path-component := [a-z0-9]+ ( ( [_.] | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [\w][\w.-]{0,127}
 *   digest     := algorithm ":" hex (32 or more)
 *
 * Names longer than 255 characters are refused, as the engine does.
 */
const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const domain = `${host}(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const nameRegex = new RegExp(`^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*$`);
const tagRegex = new RegExp(`^${tag}$`);
const digestRegex = new RegExp(`^${digest}$`);
const maxNameLength = 255;

/** Why `reference` is not a valid image reference, or undefined when it is one. */
export function imageReferenceProblem(reference: string): string | undefined {
  if (reference === '') return 'an image reference cannot be empty';
  if (/\s/.test(reference)) return 'an image reference cannot contain white space';
  const at = reference.indexOf('@');
  const digestPart = at >= 0 ? reference.slice(at + 1) : undefined;
  const beforeDigest = at >= 0 ? reference.slice(0, at) : reference;
  if (digestPart !== undefined && !digestRegex.test(digestPart)) {
    return `"@${digestPart}" is not a digest (algorithm:hex)`;
  }
  // A tag follows the last colon, unless that colon belongs to a registry's port (`host:5000/x`).
  const colon = beforeDigest.lastIndexOf(':');
  const hasTag = colon > beforeDigest.lastIndexOf('/');
  const name = hasTag ? beforeDigest.slice(0, colon) : beforeDigest;
  const tagPart = hasTag ? beforeDigest.slice(colon + 1) : undefined;
  if (tagPart !== undefined && !tagRegex.test(tagPart)) {
    return tagPart === ''
      ? 'the tag after ":" is empty'
      : `the tag "${tagPart}" may hold only letters, digits, "_", "." and "-" (up to 128, not starting with "." or "-")`;
  }
  if (name.length > maxNameLength) {
    return `the repository name is longer than ${maxNameLength} characters`;
  }
  if (!nameRegex.test(name)) {
    if (nameRegex.test(name.toLowerCase())) return 'the repository name must be lowercase';
    return `"${name}" is not a repository name (lowercase letters, digits and single ".", "_", "__" or "-" between them, in "/"-separated parts, after an optional registry host)`;
  }
  return undefined;
}
