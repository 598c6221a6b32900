// Runs the shipped bundle's verifyBundle under node, as the page would, and prints the report:
//   node verifier/test/verify-bundle.cjs VERIFIER_JS BUNDLE.json RPC_URL REGISTRY...
// Used by tests/verifier/test_trade_bundles.py to hold both verifiers to the same forgeries.
'use strict';
const { readFileSync } = require('node:fs');

const [verifierJs, bundlePath, rpcUrl, ...registries] = process.argv.slice(2);
require(verifierJs);
const v = globalThis.sandanVerifier;

(async () => {
  const report = new v.Report();
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
  await v.verifyBundle(bundle, { rpc: new v.RpcClient(rpcUrl), trust: new v.TrustRoots({ registries }), report });
  process.stdout.write(JSON.stringify(report.toJSON()));
})().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
