/** Engine names of a project's resources, compose-style. */
export function containerName(project: string, service: string, replica: number): string {
  return `${project}-${service}-${replica}`;
}

export function networkName(project: string, network: string): string {
  return `${project}_${network}`;
}

/** `<project>.secrets.<service>`: the files a service's containers read at /run/secrets. */
export function secretFilesVolumeName(project: string, service: string): string {
  return `${project}.secrets.${service}`;
}

export function volumeName(project: string, volume: string): string {
  return `${project}_${volume}`;
}
