using Xunit.Abstractions;
using Xunit.Sdk;

namespace CouchReplication.Tests.Servers;

/// <summary>
/// A test that runs against its class's server (or servers). It reports itself skipped, with the
/// reason, when one of them cannot run here, or when it needs real CouchDB behaviour
/// (<see cref="CouchDbOnly"/>) and the server is pouchdb-server.
/// </summary>
[XunitTestCaseDiscoverer("CouchReplication.Tests.Servers.ServerFactDiscoverer", "CouchReplication.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class ServerFactAttribute : FactAttribute
{
    /// <summary>The CouchDB behaviour the test needs, which pouchdb-server lacks.</summary>
    public string? CouchDbOnly { get; set; }

    /// <summary>A program the test runs, which must be on PATH (such as tinyproxy).</summary>
    public string? RequiresProgram { get; set; }
}

public sealed class ServerFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo fact) =>
        [new ServerTestCase(diagnostics, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method)];
}

public sealed class ServerTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer", error: true)]
    public ServerTestCase() { }

    public ServerTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod method)
        : base(diagnostics, display, displayOptions, method) { }

    protected override string? GetSkipReason(IAttributeInfo factAttribute)
    {
        var servers = SkipReasons.ServersOf(TestMethod.TestClass.Class.ToRuntimeType());
        if (servers.Count == 0) return base.GetSkipReason(factAttribute);
        if (servers.Select(SkipReasons.For).FirstOrDefault(r => r is not null) is { } reason) return reason;
        var program = factAttribute.GetNamedArgument<string?>(nameof(ServerFactAttribute.RequiresProgram));
        if (program is not null && SkipReasons.FindProgram(program) is null) return $"{program} is not installed (Debian package {program})";
        var couchDbOnly = factAttribute.GetNamedArgument<string?>(nameof(ServerFactAttribute.CouchDbOnly));
        return couchDbOnly is not null && servers.Contains(typeof(PouchDbServer))
            ? $"pouchdb-server lacks what this test needs: {couchDbOnly}"
            : base.GetSkipReason(factAttribute);
    }
}
