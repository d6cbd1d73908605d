import type { EndpointFiles } from '../endpoint/endpoint-files.js';
import { type KnownHostKey, knownHostKeys, knownHostName } from './known-hosts.js';
import { knownHostsFiles, readSshCredentials } from './ssh-credentials.js';
import { SshEngineAgent } from './ssh-engine-agent.js';

export interface SshEngineInput {
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  readonly address: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  readonly files: EndpointFiles;
  readonly readyTimeoutMs: number;
}

/** The HTTP agent for an ssh:// engine: credentials and known host keys read from the user's files. */
export async function sshEngineAgent(input: SshEngineInput): Promise<SshEngineAgent> {
  const credentials = await readSshCredentials(input.env, input.home, input.files);
  const files = knownHostsFiles(input.home);
  const name = knownHostName(input.hostname, input.port);
  const knownKeys: KnownHostKey[] = [];
  for (const file of files) {
    const text = await input.files.readFile(file);
    if (text) knownKeys.push(...knownHostKeys(text.toString('utf8'), file, name));
  }
  return new SshEngineAgent({
    target: {
      hostname: input.hostname,
      port: input.port,
      user: input.user,
      address: input.address,
    },
    credentials,
    knownKeys,
    knownHostsFiles: files,
    readyTimeoutMs: input.readyTimeoutMs,
  });
}
