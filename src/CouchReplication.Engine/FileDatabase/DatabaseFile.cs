using Microsoft.Data.Sqlite;

namespace CouchReplication.FileDatabase;

/// <summary>
/// An open database file: one SQLite connection per file and process, shared by every
/// replication end that names the file and used by one of them at a time (<see cref="UseAsync"/>).
/// The connection holds SQLite's exclusive lock for as long as it is open, so another process
/// that opens the file gets a clear "in use" error instead of interleaving its writes.
/// </summary>
internal sealed class DatabaseFile
{
    /// <summary>SQLite's application_id of this module's files ("CRdb"): what tells them from any other SQLite file.</summary>
    internal const int ApplicationId = 0x43526462;

    /// <summary>The layout of the tables; a file of another version is refused rather than misread.</summary>
    private const int FormatVersion = 1;

    /// <summary>CouchDB's default <c>revs_limit</c>.</summary>
    public const int DefaultRevsLimit = 1000;

    private static readonly Dictionary<string, (DatabaseFile File, int Users)> Open = new(StringComparer.Ordinal);

    private readonly SemaphoreSlim _turn = new(1, 1);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DatabaseFile(string path, SqliteConnection connection, int revsLimit)
    {
        Path = path;
        Connection = connection;
        RevsLimit = revsLimit;
    }

    /// <summary>The file's full path, as messages name it.</summary>
    public string Path { get; }

    public SqliteConnection Connection { get; }

    public int RevsLimit { get; }

    /// <summary>Completes at the next write of a document: what a continuous feed on the file waits for.</summary>
    public Task Changed => _changed.Task;

    /// <summary>
    /// The open file at <paramref name="path"/>, opened if no one in this process has it open;
    /// give it back with <see cref="Release"/>. Throws when the file is missing (check first), not
    /// one of this module's database files, damaged, or in use by another process.
    /// </summary>
    public static DatabaseFile Borrow(string path)
    {
        lock (Open)
        {
            if (Open.TryGetValue(path, out var open))
            {
                Open[path] = (open.File, open.Users + 1);
                return open.File;
            }
            var file = Connect(path, create: false);
            Open[path] = (file, 1);
            return file;
        }
    }

    /// <summary>Creates the file with its tables; false when it exists already.</summary>
    public static bool Create(string path)
    {
        lock (Open)
        {
            if (File.Exists(path)) return false;
            var directory = System.IO.Path.GetDirectoryName(path);
            if (directory is not null && !Directory.Exists(directory))
                throw new CouchReplicationException(CouchErrorKind.InvalidArgument,
                    $"Cannot create the database file {path}: the folder {directory} does not exist.", url: path);
            try
            {
                Connect(path, create: true).Connection.Dispose();
            }
            catch
            {
                // A file that did not get its tables is no database file: leave none behind.
                File.Delete(path);
                throw;
            }
            return true;
        }
    }

    public static void Release(DatabaseFile file)
    {
        lock (Open)
        {
            var (_, users) = Open[file.Path];
            if (users > 1)
            {
                Open[file.Path] = (file, users - 1);
                return;
            }
            Open.Remove(file.Path);
            file.Connection.Dispose();
        }
    }

    /// <summary>Runs <paramref name="work"/> with the connection to itself; SQLite errors become errors that name the file.</summary>
    public async Task<T> UseAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken ct)
    {
        await _turn.WaitAsync(ct);
        try
        {
            return await work(Connection);
        }
        catch (SqliteException e)
        {
            throw Explain(e, Path);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Wakes the continuous feeds on this file: a write was committed.</summary>
    public void Signal() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private static DatabaseFile Connect(string path, bool create)
    {
        SqliteNative.EnsureLoadable();
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            Pooling = false,
            // How long a statement waits for a lock before SQLite's "busy" error: another process's
            // lock is held for as long as that process has the file open, so waiting long is useless.
            DefaultTimeout = 2,
        }.ToString());
        try
        {
            connection.Open();
            // Exclusive: the lock is taken by the first transaction and kept until the connection
            // closes. WAL: a killed process leaves a file that opens, its last batch rolled back.
            Execute(connection, "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
            using (var take = connection.BeginTransaction(deferred: false))
            {
                if (create) CreateTables(connection);
                take.Commit();
            }
            return new DatabaseFile(path, connection, CheckFormat(connection, path));
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Explain(e, path);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void CreateTables(SqliteConnection connection) => Execute(connection, $"""
        PRAGMA application_id = {ApplicationId};
        PRAGMA user_version = {FormatVersion};
        CREATE TABLE settings (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
        INSERT INTO settings VALUES ('revs_limit', {DefaultRevsLimit}), ('update_seq', 0);
        -- One row per document: its revision tree, and the update sequence of its last change.
        CREATE TABLE docs (id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, tree TEXT NOT NULL) STRICT;
        -- The bodies of the leaf revisions; an ancestor's body goes once a revision continues it.
        CREATE TABLE bodies (id TEXT NOT NULL, rev TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (id, rev)) STRICT;
        -- Attachment data once per digest, as stored at the source: encoded (gzip) or not.
        CREATE TABLE attachments (digest TEXT PRIMARY KEY, encoding TEXT, length INTEGER NOT NULL, data BLOB NOT NULL) STRICT;
        -- _local documents: replication checkpoints, never in the changes feed.
        CREATE TABLE local_docs (id TEXT PRIMARY KEY, rev INTEGER NOT NULL, body TEXT NOT NULL) STRICT;
        """);

    /// <summary>Refuses a file that is not one of this module's database files, or of a version it does not read; returns its revs_limit.</summary>
    private static int CheckFormat(SqliteConnection connection, string path)
    {
        var applicationId = Convert.ToInt64(Scalar(connection, "PRAGMA application_id"));
        var version = Convert.ToInt64(Scalar(connection, "PRAGMA user_version"));
        if (applicationId != ApplicationId)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse,
                $"{path} is an SQLite file but not a CouchReplication database file.", url: path);
        if (version != FormatVersion)
            throw new CouchReplicationException(CouchErrorKind.InvalidResponse,
                $"{path} is a CouchReplication database file of format {version}; this module reads format {FormatVersion}.", url: path);
        return Convert.ToInt32(Scalar(connection, "SELECT value FROM settings WHERE name = 'revs_limit'"));
    }

    /// <summary>An SQLite error in words that name the file and say what to do.</summary>
    private static CouchReplicationException Explain(SqliteException e, string path) => e.SqliteErrorCode switch
    {
        5 or 6 => new CouchReplicationException(CouchErrorKind.Conflict,
            $"The database file {path} is in use by another process; a database file is written by one process at a time.", url: path, innerException: e),
        11 or 26 => new CouchReplicationException(CouchErrorKind.InvalidResponse,
            $"{path} is not a CouchReplication database file, or it is damaged: {e.Message}", url: path, innerException: e),
        _ => new CouchReplicationException(CouchErrorKind.Unexpected, $"The database file {path} failed: {e.Message}", url: path, innerException: e),
    };

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
