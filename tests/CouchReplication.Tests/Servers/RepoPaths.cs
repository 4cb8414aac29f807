namespace CouchReplication.Tests.Servers;

/// <summary>Finds the repository the tests were built from.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string TestServer => Path.Combine(Root, "tests", "server");

    /// <summary>The local.ini template of the Apache CouchDB nodes the suites start.</summary>
    public static string CouchDbTestNodeIni => Path.Combine(Root, "tests", "couchdb-test-node.ini");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CouchReplication.sln"))) return dir.FullName;
        throw new InvalidOperationException("CouchReplication.sln not found above " + AppContext.BaseDirectory);
    }
}
