using CouchReplication.Document;


namespace CouchReplication;

/// <summary>
/// An IBM Cloud IAM API key for one end of a replication (Cloudant's <c>auth.iam.api_key</c>): the
/// engine exchanges it for short-lived bearer tokens at the IAM token endpoint. The key can be read
/// only inside the module: nothing a user can print, format or serialize shows it.
/// </summary>
public sealed class CouchIamApiKey
{
    /// <summary>Wraps an API key.</summary>
    public CouchIamApiKey(string key)
    {
        if (string.IsNullOrWhiteSpace(key)) throw new ArgumentException("An IAM API key must not be empty.", nameof(key));
        Key = key;
    }

    internal string Key { get; }

    /// <summary>A mask in place of the key.</summary>
    public override string ToString() => CouchEndpoint.Mask;
}
