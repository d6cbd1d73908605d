import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contextId } from './docker-contexts.js';
import { type EndpointFiles, machineFiles } from './endpoint-files.js';
import { resolveEndpoint } from './resolve-endpoint.js';

let home: string;
let config: string;
/** Sockets the test says exist; files are real, in a temporary home. */
let sockets: Set<string>;
const files: EndpointFiles = {
  readFile: (path) => machineFiles.readFile(path),
  isSocket: async (path) => sockets.has(path),
};

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'esteps-endpoint-'));
  config = join(home, '.docker');
  await mkdir(config);
  sockets = new Set(['/var/run/docker.sock']);
});
afterEach(() => rm(home, { recursive: true, force: true }));

async function writeContext(
  name: string,
  host: string,
  tls?: Record<string, string>,
  skip = false,
) {
  const meta = join(config, 'contexts', 'meta', contextId(name));
  await mkdir(meta, { recursive: true });
  const endpoints = { docker: { Host: host, SkipTLSVerify: skip } };
  await writeFile(
    join(meta, 'meta.json'),
    JSON.stringify({ Name: name, Metadata: {}, Endpoints: endpoints }),
  );
  if (!tls) return;
  const dir = join(config, 'contexts', 'tls', contextId(name), 'docker');
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(tls)) await writeFile(join(dir, file), text);
}

const resolve = (env: Record<string, string>, context?: string) =>
  resolveEndpoint({ env, home, files, uid: 1000, ...(context && { context }) });

describe('resolveEndpoint: the docker CLI order', () => {
  it('--context wins over DOCKER_HOST, DOCKER_CONTEXT and currentContext', async () => {
    await writeContext('flag', 'ssh://me@flag-host:2222');
    await writeContext('env', 'tcp://env-host:2375');
    await writeFile(join(config, 'config.json'), JSON.stringify({ currentContext: 'env' }));
    const r = await resolve({ DOCKER_HOST: 'tcp://x:1', DOCKER_CONTEXT: 'env' }, 'flag');
    expect(r.candidates).toEqual([
      {
        source: '--context',
        context: 'flag',
        host: 'ssh://me@flag-host:2222',
        transport: { kind: 'ssh', user: 'me', hostname: 'flag-host', port: 2222 },
      },
    ]);
    expect(r.tried).toEqual([
      { step: '--context', found: 'flag', host: 'ssh://me@flag-host:2222' },
    ]);
  });

  it('then DOCKER_HOST, over DOCKER_CONTEXT and currentContext', async () => {
    await writeContext('env', 'tcp://env-host:2375');
    const r = await resolve({ DOCKER_HOST: 'tcp://127.0.0.1:23751', DOCKER_CONTEXT: 'env' });
    expect(r.candidates[0]).toMatchObject({ source: 'DOCKER_HOST', host: 'tcp://127.0.0.1:23751' });
    expect(r.tried.map((s) => s.step)).toEqual(['--context', 'DOCKER_HOST']);
  });

  it('then DOCKER_CONTEXT, over currentContext', async () => {
    await writeContext('env', 'tcp://env-host');
    await writeContext('current', 'tcp://current-host');
    await writeFile(join(config, 'config.json'), JSON.stringify({ currentContext: 'current' }));
    const r = await resolve({ DOCKER_CONTEXT: 'env', DOCKER_CONFIG: config });
    expect(r.candidates[0]).toMatchObject({
      source: 'DOCKER_CONTEXT',
      context: 'env',
      host: 'tcp://env-host:2375',
    });
  });

  it('then currentContext of $DOCKER_CONFIG/config.json (default ~/.docker)', async () => {
    await writeContext('current', 'unix:///run/elsewhere.sock');
    await writeFile(join(config, 'config.json'), JSON.stringify({ currentContext: 'current' }));
    const r = await resolve({});
    expect(r.candidates[0]).toMatchObject({
      source: 'currentContext',
      context: 'current',
      host: 'unix:///run/elsewhere.sock',
    });
    expect(r.tried.at(-1)).toEqual({
      step: `currentContext in ${join(config, 'config.json')}`,
      found: 'current',
      host: 'unix:///run/elsewhere.sock',
    });
    const other = join(home, 'other-config');
    const viaEnv = await resolve({ DOCKER_CONFIG: other });
    expect(viaEnv.candidates[0]).toMatchObject({ source: 'default socket' });
  });

  it('then the default socket, with the rootless and Desktop sockets that exist after it', async () => {
    const rootless = '/run/user/1000/docker.sock';
    const desktop = join(home, '.docker', 'run', 'docker.sock');
    sockets.add(rootless).add(desktop);
    const r = await resolve({ XDG_RUNTIME_DIR: '/run/user/1000' });
    expect(r.candidates.map((c) => [c.source, c.host])).toEqual([
      ['default socket', 'unix:///var/run/docker.sock'],
      ['rootless socket', `unix://${rootless}`],
      ['desktop socket', `unix://${desktop}`],
    ]);
    expect(r.tried.map((s) => `${s.step} ${s.host ?? '-'}: ${s.found}`)).toEqual([
      '--context -: not given',
      'DOCKER_HOST -: not set',
      'DOCKER_CONTEXT -: not set',
      `currentContext in ${join(config, 'config.json')} -: none`,
      'default socket unix:///var/run/docker.sock: exists',
      `rootless socket unix://${rootless}: exists`,
      `desktop socket unix://${desktop}: exists`,
      `desktop socket unix://${join(home, '.docker', 'desktop', 'docker.sock')}: absent`,
    ]);
  });

  it('takes the rootless socket (XDG_RUNTIME_DIR, else /run/user/UID) when the default is absent', async () => {
    sockets = new Set(['/tmp/xdg/docker.sock', '/run/user/1000/docker.sock']);
    const r = await resolve({ XDG_RUNTIME_DIR: '/tmp/xdg' });
    expect(r.candidates.map((c) => c.host)).toEqual(['unix:///tmp/xdg/docker.sock']);
    const byUid = await resolve({});
    expect(byUid.candidates.map((c) => [c.source, c.host])).toEqual([
      ['rootless socket', 'unix:///run/user/1000/docker.sock'],
    ]);
  });

  it('falls back to the default socket when no socket exists (its error names each one tried)', async () => {
    sockets = new Set();
    const r = await resolve({});
    expect(r.candidates).toEqual([
      expect.objectContaining({ source: 'default socket', host: 'unix:///var/run/docker.sock' }),
    ]);
    expect(r.tried.filter((s) => s.found === 'absent')).toHaveLength(4);
  });

  it('a context named default is DOCKER_HOST, else the sockets', async () => {
    const r = await resolve({ DOCKER_HOST: 'tcp://h:1' }, 'default');
    expect(r.candidates[0]).toMatchObject({
      source: '--context',
      context: 'default',
      host: 'tcp://h:1',
    });
    const s = await resolve({ DOCKER_CONTEXT: 'default' });
    expect(s.candidates[0]).toMatchObject({
      source: 'DOCKER_CONTEXT',
      context: 'default',
      host: 'unix:///var/run/docker.sock',
    });
  });
});

describe('resolveEndpoint: TLS', () => {
  it('DOCKER_TLS_VERIFY reads ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH, else DOCKER_CONFIG', async () => {
    const certs = join(home, 'certs');
    await mkdir(certs);
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(certs, f), f);
    const r = await resolve({
      DOCKER_HOST: 'tcp://m:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: certs,
    });
    expect(r.candidates[0].tls).toEqual({
      ca: Buffer.from('ca.pem'),
      cert: Buffer.from('cert.pem'),
      key: Buffer.from('key.pem'),
      verify: true,
      from: `DOCKER_CERT_PATH=${certs}`,
    });
    const noPort = await resolve({
      DOCKER_HOST: 'tcp://m',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: certs,
    });
    expect(noPort.candidates[0].host).toBe('tcp://m:2376');
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(config, f), f);
    const fromConfig = await resolve({ DOCKER_HOST: 'tcp://m', DOCKER_TLS_VERIFY: '1' });
    expect(fromConfig.candidates[0].tls?.from).toBe(`${config} (DOCKER_CERT_PATH not set)`);
  });

  it('DOCKER_TLS_VERIFY without the certificates is CONFIG_INVALID naming the missing files', async () => {
    const certs = join(home, 'certs');
    await mkdir(certs);
    await writeFile(join(certs, 'ca.pem'), 'ca');
    await expect(
      resolve({ DOCKER_HOST: 'tcp://m:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: `DOCKER_TLS_VERIFY is set but DOCKER_CERT_PATH=${certs} has no cert.pem, key.pem.`,
    });
  });

  it("a context's TLS files make it TLS, verified unless SkipTLSVerify", async () => {
    await writeContext('machine', 'tcp://192.168.99.100:2376', {
      'ca.pem': 'a',
      'cert.pem': 'c',
      'key.pem': 'k',
    });
    await writeContext('skip', 'tcp://h:2376', undefined, true);
    await writeContext('plain', 'tcp://h:2375');
    const machine = (await resolve({ DOCKER_TLS_VERIFY: '' }, 'machine')).candidates[0];
    expect(machine.tls).toMatchObject({ ca: Buffer.from('a'), verify: true });
    expect((await resolve({}, 'skip')).candidates[0].tls).toMatchObject({ verify: false });
    expect((await resolve({ DOCKER_TLS_VERIFY: '1' }, 'plain')).candidates[0].tls).toBeUndefined();
  });
});

describe('resolveEndpoint: what it refuses', () => {
  it('a context that does not exist, naming where it was asked for', async () => {
    await expect(resolve({ DOCKER_CONTEXT: 'nope' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('Docker context "nope" (DOCKER_CONTEXT) does not exist'),
    });
  });

  it('a config.json that is not JSON', async () => {
    await writeFile(join(config, 'config.json'), '{');
    await expect(resolve({})).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('addresses it cannot reach', async () => {
    for (const host of [
      'npipe:////./pipe/docker_engine',
      'ssh://u:pw@h',
      'ssh://h/path',
      'unix://rel.sock',
    ]) {
      await expect(resolve({ DOCKER_HOST: host })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
      });
    }
  });
});
