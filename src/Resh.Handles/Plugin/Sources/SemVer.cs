namespace Resh.Handles.Plugin.Sources;

/// <summary>
/// A semantic version (semver.org 2.0: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]) ordered by precedence: a pre-release
/// sorts below its release, build metadata is ignored. Used to pick the highest version of a registry entry and to
/// decide whether an update is newer.
/// </summary>
public sealed class SemVer : IComparable<SemVer>
{
    public long Major { get; }
    public long Minor { get; }
    public long Patch { get; }
    public IReadOnlyList<string> Pre { get; }
    public string Text { get; }

    SemVer(long major, long minor, long patch, IReadOnlyList<string> pre, string text) => (Major, Minor, Patch, Pre, Text) = (major, minor, patch, pre, text);

    public static SemVer? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 128) return null;
        var core = text;
        var plus = core.IndexOf('+');
        if (plus >= 0) core = core[..plus];
        IReadOnlyList<string> pre = [];
        var dash = core.IndexOf('-');
        if (dash >= 0)
        {
            pre = core[(dash + 1)..].Split('.');
            if (pre.Any(p => p.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))) return null;
            core = core[..dash];
        }
        var parts = core.Split('.');
        if (parts.Length != 3) return null;
        var nums = new long[3];
        for (var i = 0; i < 3; i++)
        {
            if (parts[i].Length is 0 or > 18 || !parts[i].All(char.IsAsciiDigit)) return null;
            nums[i] = long.Parse(parts[i], System.Globalization.CultureInfo.InvariantCulture);
        }
        return new SemVer(nums[0], nums[1], nums[2], pre, text);
    }

    public int CompareTo(SemVer? other)
    {
        if (other is null) return 1;
        var c = Major.CompareTo(other.Major);
        if (c == 0) c = Minor.CompareTo(other.Minor);
        if (c == 0) c = Patch.CompareTo(other.Patch);
        if (c != 0) return c;
        if (Pre.Count == 0 || other.Pre.Count == 0) return other.Pre.Count.CompareTo(Pre.Count); // a release outranks its pre-releases
        for (var i = 0; i < Math.Min(Pre.Count, other.Pre.Count); i++)
        {
            var (a, b) = (Pre[i], other.Pre[i]);
            var an = a.All(char.IsAsciiDigit);
            var bn = b.All(char.IsAsciiDigit);
            c = an && bn ? (a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b))
                : an ? -1 : bn ? 1 : string.CompareOrdinal(a, b);
            if (c != 0) return c;
        }
        return Pre.Count.CompareTo(other.Pre.Count);
    }

    public override string ToString() => Text;
}
