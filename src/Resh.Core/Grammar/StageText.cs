using System.Text;
using Resh.Core.Model;

namespace Resh.Core.Grammar;

/// <summary>
/// Writes a call the way a user types it, for hints and suggestions: a command that parses back to
/// the same handle, target and verb. The target is percent-encoded where the grammar would read it
/// otherwise (%, parentheses, control characters); the dotted form (<c>file:///etc/hosts.read</c>) is
/// used when it resolves back to the same target and verb, else the spaced form
/// (<c>file:///tmp/x.lines lines.ensure</c>); the stage is single-quoted when a shell needs it.
/// </summary>
public static class StageText
{
    /// <summary><c>resh STAGE[ VERB][ ARGS]</c>, ready to paste into a POSIX shell.</summary>
    public static string Command(HandleInfo handle, string target, string verb, string? args = null)
    {
        var body = Encode(target);
        string stage;
        var dotted = body + "." + verb;
        if (ResolvesTo(handle, dotted, target, verb)) stage = Quote($"{handle.Scheme}://{dotted}");
        else stage = Quote($"{handle.Scheme}://{body}") + " " + verb;
        return args is null ? $"resh {stage}" : $"resh {stage} {args}";
    }

    static bool ResolvesTo(HandleInfo handle, string body, string target, string verb)
    {
        try
        {
            var r = VerbResolver.Resolve(handle, body, null);
            return r.Verb.Name == verb && PercentDecoding.Decode(r.RawTarget) == target;
        }
        catch (Errors.ReshException) { return false; }
    }

    /// <summary>The target as stage text: % ( ) and control characters percent-encoded.</summary>
    public static string Encode(string target)
    {
        var sb = new StringBuilder(target.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in target.EnumerateRunes())
        {
            if (rune.Value is '%' or '(' or ')' || rune.Value < 0x20 || rune.Value == 0x7f || (rune.Value >= 0x80 && rune.Value <= 0x9f))
            {
                var n = rune.EncodeToUtf8(utf8);
                for (int i = 0; i < n; i++) sb.Append('%').Append(utf8[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else sb.Append(rune.ToString());
        }
        return sb.ToString();
    }

    /// <summary>Single-quotes a word for a POSIX shell unless it only holds characters no shell treats specially.</summary>
    public static string Quote(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._-:@%+=,".Contains(c))) return word;
        return "'" + word.Replace("'", "'\\''") + "'";
    }
}
