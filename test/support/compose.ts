import { execa } from 'execa';

/**
 * Debian's docker-compose 1.29, the peer ejected compose files are checked against: installed
 * from Debian's archive when missing (CI starts on a fresh machine). Every test file that
 * runs it calls this first: test files run in parallel workers, in no set order. Two workers
 * installing at once wait for each other (flock): apt refuses a second apt.
 */
export async function ensureDockerCompose(): Promise<void> {
  const found = await execa('docker-compose', ['version'], { reject: false });
  if (found.exitCode === 0) return;
  const script =
    'docker-compose version >/dev/null 2>&1 || { apt-get update && apt-get install -y docker-compose; }';
  await execa('flock', ['/tmp/esteps-test-apt.lock', 'sh', '-c', script], {
    stdio: 'inherit',
    env: { DEBIAN_FRONTEND: 'noninteractive' },
  });
}
