import type { SecretRef, ServiceSpec } from '../model/model.js';
import { secretFileName } from '../model/secret-files.js';
import { nulMessage } from './check-health.js';

type Report = (path: string, message: string) => void;

/** Environment variable names as a shell and docker compose take them. */
export const variablePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * What the container's process is given: its command and environment. The engine refuses
 * `Cmd: []` on an image without a CMD ("No command specified"), and the runtime refuses an
 * empty program or a NUL character when the container starts, after `up` created it.
 */
export function checkProcess(at: string, service: ServiceSpec, report: Report): void {
  const command = service.command;
  if (command?.length === 0) {
    report(`${at}.command`, "must name the program to run; leave it out to run the image's CMD");
  } else if (command?.[0] === '') {
    report(`${at}.command[0]`, 'must name the program to run, got ""');
  }
  command?.forEach((arg, i) => {
    if (arg.includes('\0')) report(`${at}.command[${i}]`, nulMessage);
  });
  checkEnvironment(at, service, report);
}

function checkEnvironment(at: string, service: ServiceSpec, report: Report): void {
  for (const [key, value] of Object.entries(service.environment ?? {})) {
    const path = `${at}.environment.${key}`;
    if (!variablePattern.test(key)) {
      report(path, `"${key}" is not a valid environment variable name`);
    }
    if (typeof value === 'string') {
      if (value.includes('\0')) report(path, nulMessage);
    } else if (Object.hasOwn(value, 'secret')) {
      const secret = (value as unknown as SecretRef).secret;
      report(
        path,
        `secrets reach containers as files: list "${secret}" in ${at}.secrets and pass ${key}_FILE=/run/secrets/${secretFileName(secret)}`,
      );
    } else if (!variablePattern.test(value.env)) {
      report(path, `"${value.env}" is not a valid environment variable name`);
    } else if (value.default?.includes('\0')) {
      report(path, `the default ${nulMessage}`);
    }
  }
}
