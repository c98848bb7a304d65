using System.Globalization;

namespace Resh.Handles.User;

/// <summary>The settings of /etc/login.defs that decide account kinds and the password scheme.</summary>
public sealed record LoginDefs(long UidMin, long UidMax, long GidMin, long GidMax, string EncryptMethod)
{
    /// <summary>The cost passwd(1) would use for a scheme (crypt_gensalt's count; 0 is the library's default): SHA_CRYPT_MIN_ROUNDS,
    /// YESCRYPT_COST_FACTOR, BCRYPT_MIN_ROUNDS (13 when unset, as shadow-utils: libxcrypt's own default, 5, is too cheap).</summary>
    public IReadOnlyDictionary<string, long> Costs { get; init; } = new Dictionary<string, long>();

    public ulong CostFor(string method) => method.ToUpperInvariant() switch
    {
        "SHA512" or "SHA256" => (ulong)Costs.GetValueOrDefault("SHA_CRYPT_MIN_ROUNDS", 0),
        "YESCRYPT" => (ulong)Costs.GetValueOrDefault("YESCRYPT_COST_FACTOR", 0),
        "BCRYPT" => (ulong)Costs.GetValueOrDefault("BCRYPT_MIN_ROUNDS", 13),
        _ => 0,
    };

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
        var costs = new Dictionary<string, long>();
        foreach (var key in new[] { "SHA_CRYPT_MIN_ROUNDS", "YESCRYPT_COST_FACTOR", "BCRYPT_MIN_ROUNDS" })
            if (Num(key, -1) is var n and > 0) costs[key] = n;
        return new LoginDefs(Num("UID_MIN", 1000), Num("UID_MAX", 60000), Num("GID_MIN", 1000), Num("GID_MAX", 60000),
            values.TryGetValue("ENCRYPT_METHOD", out var m) ? m.ToUpperInvariant() : "SHA512") { Costs = costs };
    }

    /// <summary>human for UID_MIN..UID_MAX (nobody, 65534, is a system account), else system.</summary>
    public string UserKind(long uid) => uid >= UidMin && uid <= UidMax ? "human" : "system";
    public string GroupKind(long gid) => gid >= GidMin && gid <= GidMax ? "human" : "system";
}
