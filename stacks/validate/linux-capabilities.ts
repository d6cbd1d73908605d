import { didYouMean } from './suggest.js';

/**
 * Every Linux capability (capabilities(7), Linux 5.9), named as Docker takes them: without
 * `CAP_`. The engine refuses any other name when it creates the container ("unknown
 * capability"), so the stack refuses it first. Engines built against an older capability
 * list (Debian's Docker 20.10 among them) also refuse the three newest, PERFMON, BPF and
 * CHECKPOINT_RESTORE: that depends on the engine, not the stack, and stays the engine's word.
 */
export const linuxCapabilities: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
];

/** Why `name` is not a capability `capDrop`/`capAdd` takes, or undefined. */
export function capabilityProblem(name: string): string | undefined {
  if (name === 'ALL' || linuxCapabilities.includes(name)) return undefined;
  const plain = name.toUpperCase().replace(/^CAP_/, '');
  if (plain === 'ALL' || linuxCapabilities.includes(plain)) {
    return `"${name}" is not a capability name: use upper case without "CAP_", e.g. "${plain}"`;
  }
  return `"${name}" is not a Linux capability${didYouMean(plain, linuxCapabilities)}`;
}
