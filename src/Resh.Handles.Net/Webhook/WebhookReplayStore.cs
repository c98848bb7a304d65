using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Resh.Handles.Net.Webhook;

/// <summary>
/// Delivery ids (and signatures) a route has accepted, remembered durably in the state dir
/// (`webhook/replay-HASH.log`, 0600, one `UNIX_MS +|- SHA256(KEY)` line each, fsync'd before the action runs), so a
/// restarted listener still refuses a replay. Keys are stored hashed: nothing a client sent lands in the file as text.
/// A delivery whose action failed is forgotten again (`-` line), so the sender may retry it. Entries older than
/// <c>keep</c> are dropped on load, and the file is compacted when it holds twice the live entries; at most
/// <see cref="MaxEntries"/> are kept (the oldest go first). One process serves a route at a time.
/// </summary>
internal sealed class WebhookReplayStore : IDisposable
{
    public const int MaxEntries = 100_000;
    readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);
    readonly string _path;
    readonly TimeSpan _keep;
    readonly System.Threading.Lock _lock = new();
    FileStream _log;
    int _lines;

    public WebhookReplayStore(string dir, string routeKey, TimeSpan keep)
    {
        _keep = keep;
        _path = Path.Combine(dir, "replay-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(routeKey)))[..16] + ".log");
        Load();
        _log = OpenAppend();
    }

    public string FilePath => _path;
    public int Count { get { lock (_lock) return _seen.Count; } }

    static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    void Load()
    {
        var cutoff = DateTimeOffset.UtcNow.Add(-_keep).ToUnixTimeMilliseconds();
        if (File.Exists(_path))
        {
            foreach (var line in File.ReadLines(_path))
            {
                _lines++;
                var parts = line.Split(' ');
                if (parts.Length != 3 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || parts[2].Length != 64) continue;
                if (parts[1] == "-") _seen.Remove(parts[2]);
                else if (ms >= cutoff) _seen[parts[2]] = ms;
            }
        }
        foreach (var (k, ms) in _seen.Where(kv => kv.Value < cutoff).ToList()) _seen.Remove(k);
        if (_seen.Count > MaxEntries)
            foreach (var (k, _) in _seen.OrderBy(kv => kv.Value).Take(_seen.Count - MaxEntries).ToList()) _seen.Remove(k);
        if (_lines > 2 * _seen.Count + 1000) Compact();
    }

    void Compact()
    {
        var tmp = _path + ".tmp";
        using (var fs = new FileStream(tmp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            var sb = new StringBuilder();
            foreach (var (k, ms) in _seen) sb.Append(ms.ToString(CultureInfo.InvariantCulture)).Append(" + ").Append(k).Append('\n');
            fs.Write(Encoding.ASCII.GetBytes(sb.ToString()));
            fs.Flush(true);
        }
        File.Move(tmp, _path, overwrite: true);
        _lines = _seen.Count;
    }

    FileStream OpenAppend() => new(_path, new FileStreamOptions
    {
        Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    });

    /// <summary>
    /// Remembers every key (durably) unless one of them was seen: then nothing is recorded and false is returned.
    /// Check and record are one step, so two copies of a delivery arriving together run the action once.
    /// </summary>
    public bool TryRecord(IReadOnlyList<string> keys)
    {
        var hashes = keys.Select(Hash).Distinct().ToList();
        if (hashes.Count == 0) return true;
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var cutoff = now - (long)_keep.TotalMilliseconds;
            foreach (var h in hashes)
                if (_seen.TryGetValue(h, out var at) && at >= cutoff) return false;
            foreach (var h in hashes) _seen[h] = now;
            try { Append(hashes, '+', now); }
            catch
            {
                // Not on disk (a full disk): not seen either, or every retry of the sender would be a "replay" (s32 attacker #6).
                foreach (var h in hashes) _seen.Remove(h);
                throw;
            }
            if (_seen.Count > MaxEntries)
                foreach (var (k, _) in _seen.OrderBy(kv => kv.Value).Take(_seen.Count - MaxEntries).ToList()) _seen.Remove(k);
            return true;
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
            try { Append(hashes, '-', DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()); }
            catch (IOException) { }
        }
    }

    void Append(List<string> hashes, char op, long now)
    {
        var sb = new StringBuilder();
        foreach (var h in hashes) sb.Append(now.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(op).Append(' ').Append(h).Append('\n');
        _log.Write(Encoding.ASCII.GetBytes(sb.ToString()));
        _log.Flush(true); // on disk before the action runs: a crash right after cannot let the same delivery in twice
        _lines += hashes.Count;
        if (_lines > 2 * _seen.Count + 1000)
        {
            _log.Dispose();
            Compact();
            _log = OpenAppend();
        }
    }

    public void Dispose() => _log.Dispose();
}
