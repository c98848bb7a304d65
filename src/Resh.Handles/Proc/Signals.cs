namespace Resh.Handles.Proc;

/// <summary>Linux (x86_64, arm64) signal numbers and names; the reference resh used BSD numbers by mistake.</summary>
public static class Signals
{
    static readonly (int Number, string Name)[] Table =
    [
        (1, "HUP"), (2, "INT"), (3, "QUIT"), (4, "ILL"), (5, "TRAP"), (6, "ABRT"), (7, "BUS"), (8, "FPE"),
        (9, "KILL"), (10, "USR1"), (11, "SEGV"), (12, "USR2"), (13, "PIPE"), (14, "ALRM"), (15, "TERM"),
        (16, "STKFLT"), (17, "CHLD"), (18, "CONT"), (19, "STOP"), (20, "TSTP"), (21, "TTIN"), (22, "TTOU"),
        (23, "URG"), (24, "XCPU"), (25, "XFSZ"), (26, "VTALRM"), (27, "PROF"), (28, "WINCH"), (29, "IO"),
        (30, "PWR"), (31, "SYS"),
    ];

    public const int Term = 15, Kill = 9;

    public static IReadOnlyList<string> Names { get; } = Table.Select(t => t.Name).ToArray();

    /// <summary>Accepts TERM, SIGTERM, sigterm, 15, 0 (existence check), RTMIN+N and aliases IOT, POLL, CLD.</summary>
    public static bool TryParse(string text, out int number)
    {
        var t = text.Trim().ToUpperInvariant();
        if (int.TryParse(t, out number)) return number is >= 0 and <= 64;
        if (t.StartsWith("SIG", StringComparison.Ordinal)) t = t[3..];
        t = t switch { "IOT" => "ABRT", "POLL" => "IO", "CLD" => "CHLD", _ => t };
        foreach (var (n, name) in Table)
            if (name == t) { number = n; return true; }
        if (t.StartsWith("RTMIN", StringComparison.Ordinal))
        {
            var off = t.Length == 5 ? 0 : int.TryParse(t[5..], out var o) ? o : -1;
            number = 34 + off;
            return off >= 0 && number <= 64;
        }
        if (t.StartsWith("RTMAX", StringComparison.Ordinal))
        {
            var off = t.Length == 5 ? 0 : int.TryParse(t[5..], out var o) ? o : 1;
            number = 64 + off;
            return off <= 0 && number >= 34;
        }
        number = -1;
        return false;
    }

    public static string Name(int number)
    {
        foreach (var (n, name) in Table) if (n == number) return name;
        if (number == 0) return "0";
        if (number >= 34 && number <= 64) return number == 34 ? "RTMIN" : number == 64 ? "RTMAX" : $"RTMIN+{number - 34}";
        return number.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
