import { execa } from 'execa';

/**
 * Debian's docker-compose 1.29, the peer ejected compose files are checked against: installed
 * from Debian's archive when missing (CI starts on a fresh machine).
 */
export async function ensureDockerCompose(): Promise<void> {
  const found = await execa('docker-compose', ['version'], { reject: false });
  if (found.exitCode === 0) return;
  await execa('apt-get', ['update'], { stdio: 'inherit' });
  await execa('apt-get', ['install', '-y', 'docker-compose'], {
    stdio: 'inherit',
    env: { DEBIAN_FRONTEND: 'noninteractive' },
  });
}
