// Starts pouchdb-server for the CouchReplication test suites. pouchdb-server 4.2.0 can crash on
// some requests (a filter whose design document is missing, for one); a test that provokes that
// must see an error answer, not a dead server, so uncaught exceptions are logged, not fatal.
'use strict';
process.on('uncaughtException', (error) => {
  console.error('pouchdb-server: uncaught exception (kept running):', error && error.stack ? error.stack : error);
});
require('pouchdb-server/lib/index.js');
