using System.Reflection;
using System.Runtime.InteropServices;

namespace CouchReplication.FileDatabase;

/// <summary>
/// Finds SQLite's native library (e_sqlite3) in the module folder. An application finds it
/// through its deps.json; a module imported into pwsh has none, so the library is looked up in
/// <c>runtimes/&lt;os&gt;-&lt;arch&gt;/native/</c> beside the engine, where the build puts it.
/// </summary>
internal static class SqliteNative
{
    private static readonly Lazy<bool> Initialized = new(Initialize);

    /// <summary>Makes SQLite loadable; call before the first connection opens. Idempotent.</summary>
    public static void EnsureLoadable() => _ = Initialized.Value;

    private static bool Initialize()
    {
        var provider = typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly;
        NativeLibrary.SetDllImportResolver(provider, Resolve);
        SQLitePCL.Batteries_V2.Init();
        return true;
    }

    /// <summary>The library from the module folder when it is there; otherwise the runtime's own lookup (zero).</summary>
    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != "e_sqlite3") return IntPtr.Zero;
        var folder = Path.GetDirectoryName(typeof(SqliteNative).Assembly.Location) ?? "";
        var path = Path.Combine(folder, "runtimes", RuntimeId(), "native", FileName());
        return File.Exists(path) && NativeLibrary.TryLoad(path, out var handle) ? handle : IntPtr.Zero;
    }

    private static string RuntimeId()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : IsMusl() ? "linux-musl" : "linux";
        return os + "-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
    }

    /// <summary>
    /// Whether this Linux's C library is musl (Alpine), whose e_sqlite3 is built apart: the runtime
    /// says so in its identifier (linux-musl-x64) when it is a musl build, as pwsh on Alpine is.
    /// </summary>
    private static bool IsMusl() =>
        OperatingSystem.IsLinux() && RuntimeInformation.RuntimeIdentifier.StartsWith("linux-musl-", StringComparison.Ordinal);

    private static string FileName() =>
        OperatingSystem.IsWindows() ? "e_sqlite3.dll" : OperatingSystem.IsMacOS() ? "libe_sqlite3.dylib" : "libe_sqlite3.so";
}
