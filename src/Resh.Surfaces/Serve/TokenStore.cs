using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Surfaces.Serve;

/// <summary>One API token as stored: never the secret, only its SHA-256.</summary>
public sealed record StoredToken(string Name, string Role, string Sha256, string Created, string? Expires, string? Revoked);

internal sealed record TokenFile(int Version, List<StoredToken> Tokens);

/// <summary>
/// The API tokens of `resh serve` in the state dir: <c>serve/tokens.json</c> (0600 in a 0700 directory), rewritten
/// atomically under a lock file. A token is <c>resh_</c> and 32 random bytes in base64url; only its SHA-256 is kept,
/// so the file gives no one a token (a 256-bit secret needs no slow hash: it cannot be guessed).
/// </summary>
public static class TokenStore
{
    public const string Prefix = "resh_";

    public static string PathOf(ReshPaths paths) => System.IO.Path.Combine(paths.StateDir, "serve", "tokens.json");

    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Names of tokens and roles: letters, digits, `_`, `-`, `.`; 1 to 64 of them.</summary>
    public static bool ValidName(string s) => s.Length is > 0 and <= 64 && s.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") < 0;

    public static List<StoredToken> Load(string path)
    {
        // The file grants roles: one that another user can change (or replace, through its directory) is not taken (s42 attacker F1).
        Resh.Core.Config.OwnedStateDir.CheckTrustedFile(path, "token file");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return []; }
        catch (UnauthorizedAccessException) { throw ReshError.PermissionDenied($"Cannot read the token file {path}.", "Run as the user that created the tokens (the file is 0600).").ToException(); }
        try
        {
            return JsonSerializer.Deserialize(bytes, ServeJson.Default.TokenFile)?.Tokens ?? [];
        }
        catch (JsonException e)
        {
            throw ReshError.Failed($"The token file {path} is not valid JSON ({ExceptionTranslation.OneLine(e.Message)}).",
                "Restore it from a backup, or move it away and create the tokens again.").ToException();
        }
    }

    /// <summary>Reads, changes and rewrites the file under its lock; the change's answer is returned.</summary>
    public static T Update<T>(ReshPaths paths, Func<List<StoredToken>, T> change, bool write = true)
    {
        var dir = paths.RequiredStateSubdir("serve");
        var path = PathOf(paths);
        using var lockFile = FileLock.Open(System.IO.Path.Combine(dir, "tokens.lock"), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(5), CancellationToken.None);
        var tokens = Load(path);
        var answer = change(tokens);
        if (write)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(new TokenFile(1, tokens), ServeJson.Default.TokenFile);
            AtomicFile.Write(path, bytes, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return answer;
    }

    public static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static DateTime? ParseTime(string? text) =>
        text is not null && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}

/// <summary>
/// The server's view of the token file: re-read when its modification time or size changes (a stat per request),
/// so `resh token revoke` takes effect on the next request without a restart.
/// </summary>
public sealed class TokenCache(string path)
{
    readonly Lock _lock = new();
    Dictionary<string, StoredToken> _byHash = new(StringComparer.Ordinal);
    DateTime _mtime = DateTime.MinValue;
    long _size = -1;

    /// <summary>The stored token whose hash matches, or null (unknown). Revoked and expired ones are returned: the caller says why.</summary>
    public StoredToken? Find(string secret)
    {
        var hash = TokenStore.Hash(secret);
        lock (_lock)
        {
            Refresh();
            return _byHash.GetValueOrDefault(hash);
        }
    }

    void Refresh()
    {
        var info = new FileInfo(path);
        var mtime = info.Exists ? info.LastWriteTimeUtc : DateTime.MinValue;
        var size = info.Exists ? info.Length : -1;
        if (mtime == _mtime && size == _size) return;
        var map = new Dictionary<string, StoredToken>(StringComparer.Ordinal);
        foreach (var t in TokenStore.Load(path)) map[t.Sha256] = t;
        _byHash = map;
        _mtime = mtime;
        _size = size;
    }
}
