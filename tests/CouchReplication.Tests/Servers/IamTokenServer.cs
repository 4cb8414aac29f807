using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace CouchReplication.Tests.Servers;

/// <summary>
/// <c>tests/server/iam-token.js</c>: a token endpoint that plays IBM Cloud IAM, issuing HS256 JWTs
/// that the throwaway Apache CouchDB verifies itself (the secret of tests/couchdb-test-node.ini).
/// </summary>
public sealed class IamTokenServer : IAsyncDisposable
{
    /// <summary>The secret of <c>[jwt_keys] hmac:_default</c> in tests/couchdb-test-node.ini.</summary>
    private const string JwtSecret = "couchreplication-test-jwt-secret";

    private readonly Process _process;
    private readonly HttpClient _client = new();

    private IamTokenServer(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    /// <summary>The base URL (the engine appends <c>/identity/token</c>).</summary>
    public Uri Url { get; }

    /// <summary>Starts the endpoint with tokens that live <paramref name="lifetime"/> and the API keys it knows, each for a user.</summary>
    public static async Task<IamTokenServer> StartAsync(TimeSpan lifetime, IReadOnlyDictionary<string, string> keys)
    {
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { Path.Combine(RepoPaths.Root, "tests", "server", "iam-token.js"), "--secret", JwtSecret, "--lifetime", ((int)lifetime.TotalSeconds).ToString() },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var (key, user) in keys)
        {
            start.ArgumentList.Add("--key");
            start.ArgumentList.Add($"{key}={user}");
        }
        var process = Process.Start(start)!;
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException("iam-token.js did not start");
        using var json = JsonDocument.Parse(line);
        return new IamTokenServer(process, new Uri(json.RootElement.GetProperty("url").GetString()!));
    }

    /// <summary>How many tokens each user was given.</summary>
    public async Task<int> IssuedAsync(string user)
    {
        var issued = await _client.GetFromJsonAsync<Dictionary<string, int>>(new Uri(Url, "issued"));
        return issued!.GetValueOrDefault(user);
    }

    /// <summary>Revokes a key: the endpoint refuses it from now on, as IAM does a deleted key.</summary>
    public async Task RevokeAsync(string key) =>
        (await _client.PostAsync(new Uri(Url, "revoke"), new FormUrlEncodedContent([new("apikey", key)]))).EnsureSuccessStatusCode();

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        try { _process.StandardInput.Close(); }
        catch (IOException) { /* gone already */ }
        if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
