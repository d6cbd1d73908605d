// `npm run prepare`: builds the CLI (dist/) after `npm ci` or `npm install` in the clone.
// npm also runs it when `npx esteps` is first called in the clone: npx then installs this
// checkout into its cache (~/.npm/_npx, a link back here, so that the package's own bin runs)
// and runs the link's `prepare`, which was a second full build and made that first call take
// 18 s. The checkout is the one `npm ci` built, so under `npm exec` a built dist/ is used as
// it is (npx never rebuilds on later calls either: `npm run build` does).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (process.env.npm_command === 'exec' && existsSync('dist/esteps.js')) process.exit(0);
execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
