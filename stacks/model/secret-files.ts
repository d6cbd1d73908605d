/** Where a service's secret files appear in its containers, on every target. */
export const secretsDir = '/run/secrets';

/** `dbPassword` -> `db_password`: a secret's default file name under /run/secrets. */
export function secretFileName(secretName: string): string {
  return secretName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
