import type { HttpProbeSpec } from '../model/model.js';

/**
 * The one readiness rule of an HTTP probe: a 2xx answer whose JSON body carries every field
 * of `expectJson` (none: any 2xx). esteps' own wait (cli/engine/wait-http.ts) calls it, and
 * the health check of a rendered compose file runs this very function's source in the
 * container, so the two cannot drift apart. It must stay self-contained (no imports, no
 * outside names) and Node 18-safe: its text is shipped as it is.
 */
export function probePasses(
  status: number,
  body: string,
  expectJson: Readonly<Record<string, string | number | boolean>>,
): boolean {
  if (!(status >= 200 && status < 300)) return false;
  const keys = Object.keys(expectJson);
  if (keys.length === 0) return true;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return false;
  }
  if (json === null || typeof json !== 'object') return false;
  return keys.every((k) => (json as Record<string, unknown>)[k] === expectJson[k]);
}

/**
 * A `node -e` script that exits 0 when the probe passes inside the container, and otherwise
 * prints what it got (status and the start of the body, or the connection error) and exits 1:
 * for Docker health checks where esteps' own probe cannot run (an ejected compose file), and
 * for `esteps up` waiting on a service whose probe port is not published.
 */
export function readinessScript(probe: Required<HttpProbeSpec>): string {
  const url = `http://127.0.0.1:${probe.containerPort}${probe.path}`;
  const expected = JSON.stringify(sortedFields(probe.expectJson));
  // One line: the compiled function ends every statement with ';', so no newline matters.
  const passes = probePasses.toString().replace(/\n\s*/g, ' ');
  return [
    `const passes=${passes};`,
    `require('http').get(${JSON.stringify(url)},(r)=>{let b='';r.on('data',(d)=>{b+=d;})`,
    `.on('end',()=>{const ok=passes(r.statusCode,b,${expected});`,
    `if(!ok)console.log(r.statusCode+' '+b.slice(0,300));process.exit(ok?0:1);});})`,
    `.on('error',(e)=>{console.log(String(e.code||e.message));process.exit(1);});`,
  ].join('');
}

function sortedFields(
  fields: Readonly<Record<string, string | number | boolean>>,
): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b)));
}
