using System.Text;

namespace Resh.Handles.Ssh.Transport;

/// <summary>
/// Quoting for the remote login shell. ssh always hands the remote side one command string, which
/// the user's shell parses; every word resh sends is wrapped in single quotes, inside which a POSIX
/// shell treats nothing as special, and each embedded quote becomes <c>'\''</c> (close, escaped
/// quote, reopen). NUL cannot be carried in a command line and is refused.
/// </summary>
public static class ShellQuote
{
    public static string Quote(string word)
    {
        if (word.Contains('\0')) throw new ArgumentException("A shell word cannot contain NUL.", nameof(word));
        var sb = new StringBuilder(word.Length + 2);
        sb.Append('\'');
        foreach (var c in word)
        {
            if (c == '\'') sb.Append("'\\''");
            else sb.Append(c);
        }
        sb.Append('\'');
        return sb.ToString();
    }

    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));

    /// <summary>
    /// As <see cref="Quote"/>, but the result holds no line break: each newline becomes <c>'"$__nl"'</c>
    /// (close the quote, a variable holding a newline, reopen), so a whole script fits on the one line
    /// that <see cref="StdinBootstrap"/> reads.
    /// </summary>
    public static string QuoteOneLine(string word) => Quote(word).Replace("\n", "'\"$__nl\"'", StringComparison.Ordinal);

    public static string JoinOneLine(IEnumerable<string> words) => string.Join(' ', words.Select(QuoteOneLine));

    /// <summary>
    /// The only text on the remote command line when a script comes over the channel's stdin: it defines
    /// <c>$__nl</c>, reads one line and evaluates it. Everything after that line is the script's own stdin,
    /// so values (environment, arguments, passwords) never appear in a command line on either side.
    /// </summary>
    public const string StdinBootstrap = "__nl='\n'; IFS= read -r __s || exit 96; eval \"$__s\"";
}
