/**
 * The Docker health check of an Envoy edge: Envoy's admin `GET /ready`, which answers 200
 * `LIVE` once Envoy has initialised its clusters (first DNS answer, first health check round)
 * and started serving, and 503 with its state (`PRE_INITIALIZING`, `INITIALIZING`,
 * `DRAINING`) before or after. The admin interface listens on the container's loopback only,
 * so the check runs inside the container: `esteps up` waits for it and an ejected compose
 * file carries it, the same command both times.
 *
 * Envoy's images carry no HTTP client (no curl, no wget), so it speaks HTTP/1.1 through
 * bash's `/dev/tcp`. The official envoyproxy/envoy images (Ubuntu) have bash; the distroless
 * ones do not, and an edge built on one needs a `healthcheck` of its own. HTTP/1.1, not 1.0:
 * Envoy refuses HTTP/1.0 by default. It prints the status line and the body (the state).
 */
export function envoyReadyCheck(adminPort: number): string[] {
  const script = [
    `exec 3<>/dev/tcp/127.0.0.1/${adminPort}`,
    "printf 'GET /ready HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' >&3",
    "reply=$(cat <&3 | tr -d '\\r')",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash expansions, not a JS template
    "echo \"${reply%%$'\\n'*} ${reply#*$'\\n\\n'}\"",
    'case "$reply" in \'HTTP/1.1 200 \'*) exit 0;; *) exit 1;; esac',
  ].join(' && ');
  return ['CMD', 'bash', '-c', script];
}
