/**
 * The code esteps itself provides to a stack's bundles, by the entry name a stack writes
 * (`{ entry: 'esteps/supervisor' }`), with its file in the package. Spelled here only:
 * validation, resolution and the bundler all read this table.
 */
export const supervisorEntry = 'esteps/supervisor';

export const packageEntries: Readonly<Record<string, string>> = {
  [supervisorEntry]: 'service/supervisor/supervisor-main.ts',
};
