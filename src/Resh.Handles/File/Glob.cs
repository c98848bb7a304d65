using System.Text;
using System.Text.RegularExpressions;
using Resh.Core.Errors;

namespace Resh.Handles.Files;

/// <summary>
/// Shell-style glob patterns: <c>*</c> and <c>?</c> within a name, <c>[abc]</c>/<c>[!a-z]</c> classes,
/// <c>{a,b}</c> alternatives and <c>**</c> for any number of directories. A pattern without a slash
/// matches names at any depth (find -name); one with a slash matches the path below the listed directory.
/// </summary>
internal sealed class Glob
{
    readonly Regex _regex;

    Glob(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    public string Pattern { get; }
    /// <summary>True when the pattern matches paths (it has a slash) rather than names.</summary>
    public bool MatchesPaths => Pattern.Contains('/');
    /// <summary>True when it can match below any depth (it has <c>**</c>).</summary>
    public bool Deep => Pattern.Contains("**", StringComparison.Ordinal);
    /// <summary>Directory levels a slash pattern spans when it has no <c>**</c>.</summary>
    public int Segments => Pattern.Trim('/').Split('/').Length;
    /// <summary>The last segment names dotfiles explicitly (<c>.*</c>, <c>.bashrc</c>).</summary>
    public bool NamesHidden => Pattern.TrimEnd('/').Split('/')[^1].StartsWith('.');

    public bool IsMatch(string nameOrRelativePath) => _regex.IsMatch(nameOrRelativePath);

    public static Glob Parse(string pattern)
    {
        var p = pattern.Trim();
        if (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        if (p.Length == 0 || p.StartsWith('/'))
            throw ReshError.Usage($"`{pattern}` is not a usable pattern.", "Give a glob relative to the listed directory: *.log, **/*.conf, sub/*.txt.").ToException();
        var sb = new StringBuilder("^");
        int depth = 0; // inside {...}
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            switch (c)
            {
                case '*' when i + 1 < p.Length && p[i + 1] == '*':
                    i++;
                    if (i + 1 < p.Length && p[i + 1] == '/') { i++; sb.Append("(?:[^/]*/)*"); }
                    else sb.Append(".*");
                    break;
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '[':
                    var end = p.IndexOf(']', i + 2);
                    if (end < 0) { sb.Append(@"\["); break; }
                    var body = p[(i + 1)..end];
                    var negate = body.StartsWith('!') || body.StartsWith('^');
                    if (negate) body = body[1..];
                    sb.Append('[').Append(negate ? "^/" : "").Append(body.Replace(@"\", @"\\").Replace("[", @"\[")).Append(']');
                    i = end;
                    break;
                case '{': depth++; sb.Append("(?:"); break;
                case '}' when depth > 0: depth--; sb.Append(')'); break;
                case ',' when depth > 0: sb.Append('|'); break;
                case '\\' when i + 1 < p.Length: sb.Append(Regex.Escape(p[++i].ToString())); break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        if (depth != 0)
            throw ReshError.Usage($"`{pattern}` has an unclosed {{.", "Close every {a,b} group.").ToException();
        sb.Append("/?$");
        try
        {
            return new Glob(p, new Regex(sb.ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2)));
        }
        catch (ArgumentException)
        {
            throw ReshError.Usage($"`{pattern}` is not a valid glob.", "Check the [...] classes and {a,b} groups.").ToException();
        }
    }
}
