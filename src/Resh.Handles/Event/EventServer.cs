using System.Globalization;
using System.Text.Json;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Event;

/// <summary>
/// A rule server's durable state (<c>events/serve/</c>): NAME.lock, held (flock) for as long as the server runs so two
/// servers of one name never run the same rules twice, and NAME.cursor, the last event handled, replaced atomically
/// (fsynced) after each event's rules ran.
/// </summary>
public sealed class EventServer : IDisposable
{
    readonly FileStream _lock;
    readonly string _cursorPath;

    public string Name { get; }
    public long After { get; private set; }

    EventServer(string name, FileStream lockFile, string cursorPath, long after)
    {
        Name = name;
        _lock = lockFile;
        _cursorPath = cursorPath;
        After = after;
    }

    public static EventServer Start(string eventsDir, string name, CancellationToken ct)
    {
        var dir = Path.Combine(eventsDir, "serve");
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            LibC.FSyncDirectory(eventsDir);
        }
        if (Posix.Stat(dir, follow: false, out _) is not { IsDirectory: true } st || st.Uid != LibC.GetEUid())
            throw ReshError.PermissionDenied($"{dir} is not a directory of yours; resh does not use it.", "Remove it; serve creates it itself.").ToException();
        FileStream lockFile;
        try { lockFile = FileLock.Open(Path.Combine(dir, name + ".lock"), TimeSpan.Zero, TimeSpan.FromMilliseconds(1), ct); }
        catch (IOException) when (!ct.IsCancellationRequested)
        {
            throw ReshError.Conflict($"Another `event serve` named {name} is running.", $"Stop it first, or give this one another name: name=other (it keeps its own cursor).").ToException();
        }
        var cursorPath = Path.Combine(dir, name + ".cursor");
        long after = 0;
        try
        {
            if (File.Exists(cursorPath)) after = JsonSerializer.Deserialize(File.ReadAllBytes(cursorPath), EventJson.Default.EventCursor)?.After ?? 0;
        }
        catch (JsonException)
        {
            lockFile.Dispose();
            throw ReshError.Failed($"The cursor {cursorPath} is unreadable, so serve cannot tell which events it handled.",
                $"Look at it; to start over from a sequence number write {{\"after\": SEQ}} into it, or remove it to start from the beginning.").ToException();
        }
        return new EventServer(name, lockFile, cursorPath, after);
    }

    /// <summary>Moves the cursor past an event whose rules ran (on disk before the next event is handled).</summary>
    public void Advance(long seq)
    {
        After = seq;
        var cursor = new EventCursor { After = seq, Updated = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) };
        AtomicFile.Write(_cursorPath, JsonSerializer.SerializeToUtf8Bytes(cursor, EventJson.Default.EventCursor), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public void Dispose() => _lock.Dispose();
}
