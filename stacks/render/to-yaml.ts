import { Document, isScalar, visit } from 'yaml';

/**
 * The one place that writes YAML. Map keys are sorted, long strings are never folded, and
 * strings are quoted wherever a YAML 1.1 reader (docker-compose 1.29 uses PyYAML) would read
 * them as something else: `no`, `on`, and digit-colon strings such as `5000:5000`, which
 * YAML 1.1 reads as base-60 numbers.
 */
export function toYaml(value: unknown, header?: string): string {
  const doc = new Document(value, { version: '1.1', sortMapEntries: true });
  visit(doc, {
    Scalar(_, node) {
      if (isScalar(node) && typeof node.value === 'string' && /^[\d:.]+$/.test(node.value)) {
        node.type = 'QUOTE_DOUBLE';
      }
    },
  });
  const body = doc.toString({ lineWidth: 0 });
  const comment = header
    ? `${header
        .split('\n')
        .map((l) => `# ${l}`.trimEnd())
        .join('\n')}\n`
    : '';
  return `${comment}${body}`;
}
