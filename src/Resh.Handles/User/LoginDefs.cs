using System.Globalization;

namespace Resh.Handles.User;

/// <summary>The settings of /etc/login.defs that decide account kinds and the password scheme.</summary>
public sealed record LoginDefs(long UidMin, long UidMax, long GidMin, long GidMax, string EncryptMethod)
{
    public static LoginDefs Read(UserRoot root)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var raw in File.ReadLines(root.LoginDefs))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line[0] == '#') continue;
                var parts = line.Split([' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (parts.Length == 2) values[parts[0]] = parts[1];
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        long Num(string key, long dflt) => values.TryGetValue(key, out var v) && long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : dflt;
        return new LoginDefs(Num("UID_MIN", 1000), Num("UID_MAX", 60000), Num("GID_MIN", 1000), Num("GID_MAX", 60000),
            values.TryGetValue("ENCRYPT_METHOD", out var m) ? m.ToUpperInvariant() : "SHA512");
    }

    /// <summary>human for UID_MIN..UID_MAX (nobody, 65534, is a system account), else system.</summary>
    public string UserKind(long uid) => uid >= UidMin && uid <= UidMax ? "human" : "system";
    public string GroupKind(long gid) => gid >= GidMin && gid <= GidMax ? "human" : "system";
}
