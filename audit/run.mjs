// Runs graphql-http's server audits (the GraphQL over HTTP spec's MUST and SHOULD rules)
// against a running content-api: `node run.mjs http://127.0.0.1:8000/graphql`.
// Every MUST ("error") and every SHOULD ("warn") audit must pass, except the SHOULDs listed
// in ALLOWED with the reason the current draft overrules them. MAYs ("notice") are printed.
import { auditServer } from 'graphql-http';

const ALLOWED = {};

const url = process.argv[2];
if (!url) {
  console.error('usage: node run.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
let failed = 0;
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] += 1;
  if (result.status === 'ok') continue;
  const allowed = ALLOWED[result.id];
  const level = result.status === 'error' ? 'MUST' : result.status === 'warn' ? 'SHOULD' : 'MAY';
  const verdict = result.status === 'notice' || allowed ? 'allowed' : 'FAILED';
  if (verdict === 'FAILED') failed += 1;
  console.log(`${verdict} ${level} ${result.id} ${result.name}: ${result.reason}${allowed ? ` (${allowed})` : ''}`);
}
console.log(`graphql-http audit: ${counts.ok} ok, ${counts.error} MUST failed, ${counts.warn} SHOULD failed, ${counts.notice} MAY not met; ${failed} not allowed`);
process.exit(failed === 0 ? 0 : 1);
