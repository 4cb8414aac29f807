namespace CouchReplication;

/// <summary>
/// A user name and password for one end of a replication. The password can be read only inside
/// the module: nothing a user can print, format or serialize shows it.
/// </summary>
public sealed class CouchCredential
{
    /// <summary>Creates a credential.</summary>
    public CouchCredential(string userName, string password)
    {
        if (string.IsNullOrEmpty(userName)) throw new ArgumentException("A user name is required.", nameof(userName));
        UserName = userName;
        Password = password ?? string.Empty;
    }

    /// <summary>The user name.</summary>
    public string UserName { get; }

    internal string Password { get; }

    /// <summary>The percent-decoded user info of a URL, or null when it has none.</summary>
    internal static CouchCredential? FromUserInfo(Uri uri)
    {
        if (uri.UserInfo.Length == 0) return null;
        var colon = uri.UserInfo.IndexOf(':');
        var user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
        var password = colon < 0 ? string.Empty : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        return new CouchCredential(user, password);
    }

    /// <summary>The user name and a mask in place of the password.</summary>
    public override string ToString() => UserName + ":*****";
}
