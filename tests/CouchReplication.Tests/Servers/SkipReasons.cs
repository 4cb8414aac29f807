namespace CouchReplication.Tests.Servers;

/// <summary>Why a server kind cannot run here, or null when it can.</summary>
internal static class SkipReasons
{
    public static string? For(Type server)
    {
        var external = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ExternalServer.Variable));
        if (server == typeof(ExternalServer))
            return external ? null : $"{ExternalServer.Variable} is not set";
        if (external)
            return $"{ExternalServer.Variable} names the server under test";
        if ((server == typeof(CouchDbServer) || server == typeof(CouchDbCluster)) && !File.Exists(Path.Combine(CouchDbServer.Home, "bin", "couchdb")))
            return $"Apache CouchDB is not installed at {CouchDbServer.Home}";
        return null;
    }

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? FindProgram(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>The server fixtures of a test class (its IClassFixture&lt;T&gt; with T a <see cref="CouchServer"/>): one, or two for a test between servers.</summary>
    public static IReadOnlyList<Type> ServersOf(Type testClass) => testClass.GetInterfaces()
        .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(Xunit.IClassFixture<>))
        .Select(i => i.GetGenericArguments()[0])
        .Where(t => typeof(CouchServer).IsAssignableFrom(t))
        .ToList();
}
