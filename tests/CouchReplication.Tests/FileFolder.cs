using Microsoft.Data.Sqlite;

namespace CouchReplication.Tests;

/// <summary>
/// A temporary folder for the database files of one test class, deleted with them afterwards
/// (SQLite's pooled connections are closed first, or they would hold the files).
/// </summary>
internal sealed class FileFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("couchreplication-files-").FullName;

    /// <summary>A file in the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path, recursive: true);
    }
}
