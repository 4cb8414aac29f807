using System.Text.Json;
using CouchReplication.Json;

namespace CouchReplication.ServerMode;

/// <summary>
/// What a server's welcome (<c>GET /</c>) says about its replicator. CouchDB 2.1 and later list
/// <c>scheduler</c> among their features and have <c>_scheduler/jobs</c> and <c>_scheduler/docs</c>;
/// servers without it (pouchdb-server, CouchDB 1.x) keep the state of a persistent replication in
/// its <c>_replicator</c> document (<c>_replication_state</c>) and cannot be trusted to cancel.
/// </summary>
internal sealed record ServerInfo(string Name, bool HasScheduler)
{
    public static ServerInfo Read(JsonElement welcome)
    {
        var version = welcome.StringOf("version");
        var name = welcome.Field("express-pouchdb") is not null ? "pouchdb-server"
            : welcome.Field("couchdb") is not null ? "CouchDB"
            : welcome.Field("vendor")?.StringOf("name") ?? "The server";
        var hasScheduler = welcome.ArrayOf("features").Any(f => f.ValueKind == JsonValueKind.String && f.GetString() == "scheduler");
        return new ServerInfo(version is null ? name : $"{name} {version}", hasScheduler);
    }
}
