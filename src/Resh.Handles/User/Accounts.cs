using System.Globalization;

namespace Resh.Handles.User;

public sealed record PasswdRecord(string Name, long Uid, long Gid, string Gecos, string Home, string Shell);

public sealed record GroupRecord(string Name, long Gid, IReadOnlyList<string> Members);

/// <summary>A line of /etc/shadow: the hash and the aging fields (days since 1970; null when empty).</summary>
public sealed record ShadowRecord(string Name, string Hash, long? LastChange, int? Min, int? Max, int? Warn, int? Inactive, long? Expire);

/// <summary>
/// The accounts of one system. With root=/ users and groups come from NSS (getpwent, getgrent), so
/// directory users count as they do for `getent`; below another root they are read from its files.
/// /etc/shadow is always read from the file (root only).
/// </summary>
public sealed class Accounts
{
    readonly UserRoot _root;
    List<PasswdRecord>? _users;
    List<GroupRecord>? _groups;
    Dictionary<string, ShadowRecord>? _shadow;
    bool _shadowTried;

    public Accounts(UserRoot root) => _root = root;

    public UserRoot Root => _root;
    public string Source => _root.IsHost ? "nss" : "files";

    public IReadOnlyList<PasswdRecord> Users => _users ??= _root.IsHost ? Nss.AllUsers() : ParsePasswd(ReadOrEmpty(_root.Passwd));
    public IReadOnlyList<GroupRecord> Groups => _groups ??= _root.IsHost ? Nss.AllGroups() : ParseGroup(ReadOrEmpty(_root.Group));

    public PasswdRecord? User(string name)
    {
        if (_root.IsHost && _users is null) return Nss.User(name);
        foreach (var u in Users) if (u.Name == name) return u;
        return null;
    }

    public GroupRecord? Group(string name)
    {
        if (_root.IsHost && _groups is null) return Nss.Group(name);
        foreach (var g in Groups) if (g.Name == name) return g;
        return null;
    }

    public GroupRecord? GroupById(long gid)
    {
        if (_root.IsHost && _groups is null) return Nss.Group(gid);
        foreach (var g in Groups) if (g.Gid == gid) return g;
        return null;
    }

    public PasswdRecord? UserById(long uid)
    {
        if (_root.IsHost && _users is null) return Nss.User(uid);
        foreach (var u in Users) if (u.Uid == uid) return u;
        return null;
    }

    /// <summary>A group given by name or number.</summary>
    public GroupRecord? ResolveGroup(string nameOrGid) =>
        long.TryParse(nameOrGid, NumberStyles.None, CultureInfo.InvariantCulture, out var gid) ? GroupById(gid) : Group(nameOrGid);

    /// <summary>Supplementary groups of a user (groups that list it as a member), sorted.</summary>
    public List<string> SupplementaryGroups(string user)
    {
        var list = new List<string>();
        foreach (var g in Groups) if (g.Members.Contains(user)) list.Add(g.Name);
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    /// <summary>The shadow entry, or null when there is none or the file is not readable (not root).</summary>
    public ShadowRecord? Shadow(string name)
    {
        if (!_shadowTried)
        {
            _shadowTried = true;
            try { _shadow = ParseShadow(File.ReadAllText(_root.Shadow)).ToDictionary(s => s.Name, StringComparer.Ordinal); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return _shadow is not null && _shadow.TryGetValue(name, out var s) ? s : null;
    }

    public bool ShadowReadable { get { Shadow(""); return _shadow is not null; } }

    /// <summary>Forget what was read (after a change, the next read sees the new state).</summary>
    public void Refresh()
    {
        _users = null; _groups = null; _shadow = null; _shadowTried = false;
    }

    static string ReadOrEmpty(string path)
    {
        try { return File.ReadAllText(path); }
        catch (FileNotFoundException) { return ""; }
        catch (DirectoryNotFoundException) { return ""; }
    }

    public static List<PasswdRecord> ParsePasswd(string text)
    {
        var list = new List<PasswdRecord>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] is '#' or '+' or '-') continue;
            var f = line.Split(':');
            if (f.Length < 7 || !long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                || !long.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var gid)) continue;
            list.Add(new PasswdRecord(f[0], uid, gid, f[4], f[5], f[6]));
        }
        return list;
    }

    public static List<GroupRecord> ParseGroup(string text)
    {
        var list = new List<GroupRecord>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] is '#' or '+' or '-') continue;
            var f = line.Split(':');
            if (f.Length < 4 || !long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var gid)) continue;
            list.Add(new GroupRecord(f[0], gid, f[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        }
        return list;
    }

    public static List<ShadowRecord> ParseShadow(string text)
    {
        var list = new List<ShadowRecord>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var f = line.Split(':');
            if (f.Length < 2) continue;
            list.Add(new ShadowRecord(f[0], f[1], Long(f, 2), Int(f, 3), Int(f, 4), Int(f, 5), Int(f, 6), Long(f, 7)));
        }
        return list;
    }

    static long? Long(string[] f, int i) => i < f.Length && long.TryParse(f[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null;
    static int? Int(string[] f, int i) => i < f.Length && int.TryParse(f[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null;
}
