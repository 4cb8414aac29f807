// One PouchDB replicate() over HTTP, CouchDB to CouchDB, for the benchmark's peers phase (#32):
//
//   node bench/peers/replicate.js [--batch-size N] [--batches-limit N]
//
// The source and target database URLs, with credentials, come in PEER_SOURCE and PEER_TARGET (not
// on a command line others can list); without options PouchDB's defaults (batch_size 100,
// batches_limit 10) apply. Prints one JSON line: what replicate() reported and its own peak memory.
'use strict';
const PouchDB = require('pouchdb');

function options(args) {
  const names = { '--batch-size': 'batch_size', '--batches-limit': 'batches_limit' };
  const chosen = {};
  for (let i = 0; i < args.length; i += 2) {
    const value = Number(args[i + 1]);
    if (!names[args[i]] || !Number.isInteger(value) || value < 1) {
      process.stderr.write(`replicate.js: unknown argument '${args[i]}' or not a whole number after it\n`);
      process.exit(2);
    }
    chosen[names[args[i]]] = value;
  }
  return chosen;
}

async function main() {
  const chosen = options(process.argv.slice(2));
  // skip_setup: the benchmark creates the target, as it does for every copier.
  const source = new PouchDB(process.env.PEER_SOURCE, { skip_setup: true });
  const target = new PouchDB(process.env.PEER_TARGET, { skip_setup: true });
  const result = await PouchDB.replicate(source, target, chosen);
  process.stdout.write(JSON.stringify({
    ok: result.ok, docs_read: result.docs_read, docs_written: result.docs_written,
    doc_write_failures: result.doc_write_failures, options: chosen, max_rss_kib: process.resourceUsage().maxRSS,
  }) + '\n');
}

main().catch((error) => {
  process.stderr.write(`replicate.js: ${error && error.message ? error.message : error}\n`);
  process.exit(1);
});
