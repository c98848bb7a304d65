namespace Resh.Core.Secrets;

/// <summary>
/// What a secret name may be: path-like segments of letters, digits and <c>. _ - @ +</c> separated by
/// <c>/</c> (<c>db/app</c>, <c>ci/github-token</c>), at most 200 characters, no empty, <c>.</c> or
/// <c>..</c> segment. The same rule holds for every backend, so a name is portable between them.
/// </summary>
public static class SecretNames
{
    public const int MaxLength = 200;

    public static bool IsValid(string name)
    {
        if (name.Length == 0 || name.Length > MaxLength) return false;
        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or "..") return false;
            foreach (var c in segment)
                if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-' or '@' or '+')) return false;
        }
        return true;
    }

    public const string Rule = "Use letters, digits and . _ - @ + in /-separated segments, e.g. db/app.";
}
