using System.Runtime.CompilerServices;

// tests/CouchReplication.Host.Tests reuses the servers, the fault proxy and the nothing-lost invariant.
[assembly: InternalsVisibleTo("CouchReplication.Host.Tests")]
