// Bundles the dashboard (api-service/web) into dist/dashboard: the page, one script and one stylesheet,
// uPlot included, so the api serves it with no CDN and no network beyond itself. Runs after `tsc -b`.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const web = join(here, '..', 'web');
const out = join(here, '..', 'dist', 'dashboard');
// The built-in activity types (shared/, built by tsc -b), compiled in rather than copied into the page: their
// colours stay fixed; the page learns every other type from the API's answers.
const { BUILT_IN_ACTIVITY_TYPES } = createRequire(import.meta.url)('@uap/shared/contract');
// The page talks to the API through the SDK's transport, bundled from its TypeScript source (ES modules, so
// only what the page uses is kept) rather than from client/dist, which is CommonJS.
const client = join(here, '..', '..', 'client', 'src', 'index.ts');

mkdirSync(out, { recursive: true });
await build({
  entryPoints: { dashboard: join(web, 'src', 'main.ts') },
  outdir: out,
  bundle: true,
  format: 'iife',
  target: ['es2022'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'eof',
  alias: { '@uap/client': client },
  define: { __BUILT_IN_ACTIVITY_TYPES__: JSON.stringify(BUILT_IN_ACTIVITY_TYPES) },
  logLevel: 'warning',
});
for (const file of ['index.html', 'favicon.svg']) copyFileSync(join(web, file), join(out, file));
console.log(`dashboard built into ${out}`);
