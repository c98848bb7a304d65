using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Resh.Handles.User;

/// <summary>Builds the full picture of one account: passwd, groups, shadow aging, lastlog.</summary>
public static class UserInfoReader
{
    public static UserInfo Build(Accounts db, LoginDefs defs, PasswdRecord u)
    {
        var group = db.GroupById(u.Gid)?.Name;
        var groups = db.SupplementaryGroups(u.Name);
        var sh = db.Shadow(u.Name);
        bool? locked = null;
        string? password = null;
        if (sh is not null)
        {
            locked = sh.Hash.StartsWith('!');
            password = PasswordState(sh.Hash);
        }
        string? changed = sh?.LastChange is { } lc and > 0 ? Day(lc) : null;
        bool? mustChange = sh is null ? null : sh.LastChange == 0;
        string? pwExpires = sh is { LastChange: { } l and > 0, Max: { } max and >= 0 and < 99999 } ? Day(l + max) : null;
        string? accExpires = sh?.Expire is { } e and >= 0 ? Day(e) : null;
        var home = db.Root.File(u.Home);
        return new UserInfo(u.Name, true, u.Uid, u.Gid, group, groups, u.Home, u.Home.Length > 0 && Directory.Exists(home), u.Shell, u.Gecos,
            defs.UserKind(u.Uid), locked, password, changed, mustChange,
            sh?.Min, sh?.Max, sh?.Warn, sh?.Inactive, pwExpires, accExpires, LastLogOf(db.Root, u.Uid));
    }

    /// <summary>set, locked, empty, none: what the hash field says about logging in with a password.</summary>
    public static string PasswordState(string hash)
    {
        if (hash.Length == 0) return "empty";
        var rest = hash.TrimStart('!');
        var usable = rest.StartsWith('$') || (rest.Length == 13 && rest.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '/'));
        if (!usable) return "none";
        return hash.StartsWith('!') ? "locked" : "set";
    }

    public static string Day(long days) => DateOnly.FromDateTime(DateTime.UnixEpoch.AddDays(days)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>lastlog's record for a UID (int32 time, 32-byte line, 256-byte host), or null when never logged in.</summary>
    public static LastLogin? LastLogOf(UserRoot root, long uid)
    {
        const int Size = 4 + 32 + 256;
        try
        {
            using var f = new FileStream(root.LastLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var offset = uid * Size;
            if (offset + Size > f.Length) return null;
            var buf = new byte[Size];
            f.Position = offset;
            f.ReadExactly(buf);
            var t = BinaryPrimitives.ReadInt32LittleEndian(buf);
            if (t <= 0) return null;
            return new LastLogin(DateTimeOffset.FromUnixTimeSeconds(t).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                CString(buf.AsSpan(4, 32)), CString(buf.AsSpan(36, 256)));
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    static string? CString(ReadOnlySpan<byte> b)
    {
        var n = b.IndexOf((byte)0);
        var s = Encoding.UTF8.GetString(n < 0 ? b : b[..n]);
        return s.Length == 0 ? null : s;
    }
}
