namespace CouchReplication.Http;

/// <summary>
/// A request body put on the connection piece by piece while it is read from elsewhere (an
/// attachment copied from the source). Each piece sent shows the connection is alive, so
/// connection_timeout counts silence, as CouchDB's replicator's inactivity timeout does, not the
/// time a large upload takes.
/// </summary>
internal interface IStreamedBody
{
    /// <summary>Called after each piece is written to the connection.</summary>
    Action? Sent { get; set; }
}
