using Resh.Core.Errors;
using Resh.Core.Secrets;

namespace Resh.Core.Execution;

/// <summary>
/// The process's standard input, read at most once per call (<c>key=@-</c>, <c>--args -</c>, a secret's
/// <c>@-</c>). A secret read from a terminal is prompted for without echo instead of read to end of file.
/// </summary>
public sealed class StdinSource(Func<byte[]> readAll, bool isTerminal = false, Func<string, byte[]>? promptHidden = null, Func<Stream>? open = null)
{
    bool _used;

    /// <summary>True when stdin is a terminal: a secret read from it is prompted for without echo.</summary>
    public bool IsTerminal => isTerminal && promptHidden is not null;

    /// <summary>Everything on stdin; a second read in the same call is a usage error naming <paramref name="what"/>.</summary>
    public byte[] ReadAll(string what)
    {
        Claim(what);
        return readAll();
    }

    /// <summary>A secret from stdin: a no-echo prompt on a terminal, else all of stdin.</summary>
    public byte[] ReadSecret(string what, string label)
    {
        Claim(what);
        if (isTerminal && promptHidden is not null) return promptHidden($"resh: {label}: ");
        return readAll();
    }

    /// <summary>Standard input as a stream, for content that is copied rather than held (<c>content=@-</c>);
    /// null where stdin is only available whole.</summary>
    public Stream? OpenStream(string what)
    {
        if (open is null) return null;
        Claim(what);
        return open();
    }

    void Claim(string what)
    {
        if (_used) throw ReshError.Usage($"Standard input is read twice ({what}).", "Only one value can come from stdin (@-).").ToException();
        _used = true;
    }

    /// <summary>Standard input that is not available (batch mode: stdin carries the requests).</summary>
    public static StdinSource Unavailable(string why, string hint) =>
        new(() => throw ReshError.Usage(why, hint).ToException());

    /// <summary>The process's console: prompts go to <paramref name="stderr"/>.</summary>
    public static StdinSource Console(Stream stdin, bool isTerminal, TextWriter stderr) =>
        new(() => ReadToEnd(stdin), isTerminal, prompt => TerminalPrompt.ReadHidden(prompt, stderr), () => stdin);

    public static byte[] ReadToEnd(Stream s)
    {
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
