using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Resh.Core.Platform;

namespace Resh.Handles.Net.Webhook;

/// <summary>
/// Delivery ids (and signatures) a route has accepted, remembered durably in the state dir
/// (`webhook/replay-HASH.log`, 0600, one `UNIX_MS +|- SHA256(KEY)` line each, fsync'd before the action runs), so a
/// restarted listener still refuses a replay. Keys are stored hashed: nothing a client sent lands in the file as text.
/// A delivery whose action failed is forgotten again (`-` line), so the sender may retry it. Entries older than
/// <c>keep</c> are dropped on load, and the file is compacted when it holds twice the live entries; at most
/// <see cref="MaxEntries"/> are kept (the oldest go first).
/// Several listeners may serve the same route (two ports, a restart overlapping the old process): every check-and-record
/// holds an exclusive flock on `replay-HASH.lock` and first reads what the others appended, so one delivery sent to
/// both runs once (s32 attacker #10). A compaction (under the same lock) replaces the log; the others notice the new
/// inode and read it whole.
/// </summary>
internal sealed class WebhookReplayStore : IDisposable
{
    public const int MaxEntries = 100_000;
    static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);
    readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);
    readonly string _path, _lockPath;
    readonly TimeSpan _keep;
    readonly System.Threading.Lock _lock = new();
    FileStream? _log;
    ulong _inode;
    long _readTo;
    int _lines;

    public WebhookReplayStore(string dir, string routeKey, TimeSpan keep)
    {
        _keep = keep;
        var name = "replay-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(routeKey)))[..16];
        _path = Path.Combine(dir, name + ".log");
        _lockPath = Path.Combine(dir, name + ".lock");
        using (Exclusive())
        {
            CatchUp();
            if (_lines > 2 * _seen.Count + 1000) Compact();
        }
    }

    public string FilePath => _path;
    public int Count { get { lock (_lock) return _seen.Count; } }

    static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The flock every reader-writer of this route's log holds while it reads and appends (released by Dispose).</summary>
    FileStream Exclusive() => FileLock.Open(_lockPath, LockWait, TimeSpan.FromMilliseconds(2), CancellationToken.None);

    static FileStream OpenLog(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    });

    /// <summary>Under the lock: reads what was appended since the last look (the whole log when another process replaced it).</summary>
    void CatchUp()
    {
        var st = Posix.Stat(_path, follow: false, out _);
        if (_log is null || st is not { } s || s.Inode != _inode || s.Size < _readTo)
        {
            _log?.Dispose();
            _log = OpenLog(_path);
            _inode = Posix.FStat((int)_log.SafeFileHandle.DangerousGetHandle(), out _)?.Inode ?? 0;
            _seen.Clear();
            _readTo = 0;
            _lines = 0;
        }
        var length = _log.Length;
        if (length > _readTo)
        {
            var bytes = new byte[length - _readTo];
            _log.Seek(_readTo, SeekOrigin.Begin);
            _log.ReadExactly(bytes);
            var complete = Array.LastIndexOf(bytes, (byte)'\n') + 1; // a line being written by a crashed process is not read
            var cutoff = DateTimeOffset.UtcNow.Add(-_keep).ToUnixTimeMilliseconds();
            foreach (var line in Encoding.ASCII.GetString(bytes, 0, complete).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                _lines++;
                var parts = line.Split(' ');
                if (parts.Length != 3 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || parts[2].Length != 64) continue;
                if (parts[1] == "-") _seen.Remove(parts[2]);
                else if (ms >= cutoff) _seen[parts[2]] = ms;
            }
            _readTo += complete;
            // Writers hold the lock, so a tail without its newline is what a crashed writer left: cut it off, or the
            // next line appended would be glued to it and lost.
            if (_readTo < length) _log.SetLength(_readTo);
        }
        Trim(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    void Trim(long now)
    {
        var cutoff = now - (long)_keep.TotalMilliseconds;
        foreach (var (k, _) in _seen.Where(kv => kv.Value < cutoff).ToList()) _seen.Remove(k);
        if (_seen.Count > MaxEntries)
            foreach (var (k, _) in _seen.OrderBy(kv => kv.Value).Take(_seen.Count - MaxEntries).ToList()) _seen.Remove(k);
    }

    /// <summary>Under the lock: writes the live entries to a new file and renames it over the log.</summary>
    void Compact()
    {
        var tmp = _path + "." + Path.GetRandomFileName() + ".tmp";
        using (var fs = new FileStream(tmp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            var sb = new StringBuilder();
            foreach (var (k, ms) in _seen) sb.Append(ms.ToString(CultureInfo.InvariantCulture)).Append(" + ").Append(k).Append('\n');
            fs.Write(Encoding.ASCII.GetBytes(sb.ToString()));
            fs.Flush(true);
        }
        File.Move(tmp, _path, overwrite: true);
        _log?.Dispose();
        _log = null;
        CatchUp(); // opens the new file and reads it whole
    }

    /// <summary>
    /// Remembers every key (durably) unless one of them was seen, here or by another listener of the route: then
    /// nothing is recorded and the first key seen is returned (null: recorded). Check and record are one step under
    /// the route's lock, so two copies of a delivery arriving together (at one listener or at two) run the action once.
    /// </summary>
    public string? TryRecord(IReadOnlyList<string> keys)
    {
        var hashed = keys.Select(k => (Key: k, Hash: Hash(k))).DistinctBy(k => k.Hash).ToList();
        if (hashed.Count == 0) return null;
        lock (_lock)
        {
            using var held = Exclusive();
            CatchUp();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var cutoff = now - (long)_keep.TotalMilliseconds;
            foreach (var (key, h) in hashed)
                if (_seen.TryGetValue(h, out var at) && at >= cutoff) return key;
            // On disk first: a key not written (a full disk) is not seen either, or every retry would be a "replay" (s32 attacker #6).
            Append(hashed.Select(k => k.Hash), '+', now);
            foreach (var (_, h) in hashed) _seen[h] = now;
            Trim(now);
            if (_lines > 2 * _seen.Count + 1000) Compact();
            return null;
        }
    }

    /// <summary>Forgets keys recorded by <see cref="TryRecord"/> (the action failed: the sender may deliver again).</summary>
    public void Forget(IReadOnlyList<string> keys)
    {
        var hashes = keys.Select(Hash).Distinct().ToList();
        lock (_lock)
        {
            foreach (var h in hashes) _seen.Remove(h);
            // Forgotten in memory at once; a `-` line that cannot be written leaves the key remembered after a restart only.
            try
            {
                using var held = Exclusive();
                CatchUp();
                foreach (var h in hashes) _seen.Remove(h);
                Append(hashes, '-', DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            }
            catch (IOException) { }
        }
    }

    /// <summary>Under the lock, caught up: appends lines at the end and fsyncs them.</summary>
    void Append(IEnumerable<string> hashes, char op, long now)
    {
        var sb = new StringBuilder();
        int n = 0;
        foreach (var h in hashes) { sb.Append(now.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(op).Append(' ').Append(h).Append('\n'); n++; }
        var log = _log!;
        log.Seek(0, SeekOrigin.End);
        try
        {
            log.Write(Encoding.ASCII.GetBytes(sb.ToString()));
            log.Flush(true); // on disk before the action runs: a crash right after cannot let the same delivery in twice
        }
        catch
        {
            // A part may have reached the file: cut it off, so the log holds whole lines only.
            try { log.SetLength(_readTo); } catch (IOException) { }
            throw;
        }
        _readTo = log.Position;
        _lines += n;
    }

    public void Dispose()
    {
        lock (_lock) _log?.Dispose();
    }
}
