namespace CouchReplication;

/// <summary>How the engine proves a user name and password to a server.</summary>
public enum CouchAuthentication
{
    /// <summary>
    /// As CouchDB's own replicator does: one login at <c>_session</c> per server and user, its
    /// <c>AuthSession</c> cookie on every request, renewed before it expires and when refused; the
    /// password on every request (basic) where the server has no <c>_session</c>. The default.
    /// </summary>
    Session,

    /// <summary>The password on every request (HTTP basic authentication), never a login.</summary>
    Basic,
}
