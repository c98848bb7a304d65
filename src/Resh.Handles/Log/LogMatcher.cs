using System.Text;
using System.Text.RegularExpressions;
using Resh.Core.Errors;

namespace Resh.Handles.Log;

/// <summary>
/// A search pattern. A pattern without regex metacharacters is searched as bytes (vectorised, like grep's fixed
/// strings); any other runs on .NET's linear-time engine (RegexOptions.NonBacktracking), so a hostile line cannot
/// make it run away. Patterns that need backtracking (backreferences, lookarounds) run on the backtracking
/// engine with a limit of one second per line.
/// </summary>
public sealed class LogMatcher
{
    readonly byte[]? _literal;
    readonly Regex? _regex;
    char[] _chars = [];

    public string Pattern { get; }

    LogMatcher(string pattern, byte[]? literal, Regex? regex) { Pattern = pattern; _literal = literal; _regex = regex; }

    public bool IsLiteral => _literal is not null;
    public ReadOnlySpan<byte> Literal => _literal;

    public static LogMatcher? Create(string? pattern, bool ignoreCase)
    {
        if (pattern is null) return null;
        if (pattern.Length == 0) throw ReshError.Usage("pattern= is empty.", "Give a word or a regular expression: pattern=error, pattern='timeout|refused'.").ToException();
        if (!ignoreCase && pattern.IndexOfAny(@"\^$.|?*+()[]{}".ToCharArray()) < 0) return new LogMatcher(pattern, Encoding.UTF8.GetBytes(pattern), null);
        var options = RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : 0);
        try
        {
            try { return new LogMatcher(pattern, null, new Regex(pattern, options | RegexOptions.NonBacktracking)); }
            catch (NotSupportedException) { return new LogMatcher(pattern, null, new Regex(pattern, options, TimeSpan.FromSeconds(1))); }
        }
        catch (ArgumentException ex)
        {
            throw ReshError.Usage($"pattern= is not a valid regular expression: {ex.Message}", "Escape regex characters with \\ (pattern='a\\.b'), or give a plain word.").ToException();
        }
    }

    public bool IsMatch(ReadOnlySpan<byte> line)
    {
        if (_literal is not null) return line.IndexOf(_literal) >= 0;
        if (_chars.Length < line.Length) _chars = new char[Math.Max(line.Length, 4096)];
        int n = Encoding.UTF8.GetChars(line, _chars);
        try { return _regex!.IsMatch(_chars.AsSpan(0, n)); }
        catch (RegexMatchTimeoutException) { return false; }
    }

    public bool IsMatch(string text)
    {
        if (_literal is not null) return text.Contains(Pattern, StringComparison.Ordinal);
        try { return _regex!.IsMatch(text); }
        catch (RegexMatchTimeoutException) { return false; }
    }
}
