// Builds the one committed bundle, api/web/static/verifier/verifier.js, deterministically:
// same sources and lockfile, same bytes (a test rebuilds it and compares).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const OUTFILE = join(here, '..', 'api', 'web', 'static', 'verifier', 'verifier.js');

export async function buildVerifier(outfile = OUTFILE) {
  await build({
    entryPoints: [join(here, 'src', 'main.js')],
    outfile,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'eof',
    charset: 'utf8',
    sourcemap: false,
    // Absolute paths must not leak into the output, so the bytes do not depend on the checkout.
    sourceRoot: undefined,
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildVerifier(process.argv[2] ?? OUTFILE);
}
