using System.Text;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Grammar;

namespace Resh.Core.Pipeline;

/// <summary>
/// One stage of a pipeline as written: its argv words (quotes removed, for a resh stage) and its text (quotes kept,
/// for a filter's expression).
/// </summary>
public sealed record PipelineSegment(IReadOnlyList<string> Words, string Text);

/// <summary>A pipeline split into its stages, with the flags written before the first stage.</summary>
public sealed record PipelineArgv(IReadOnlyList<string> LeadingFlags, IReadOnlyList<PipelineSegment> Segments);

/// <summary>
/// Where a command line is a pipeline and how it splits (docs/pipelines.md). Two spellings mean the same pipeline:
/// one argv word holding <c> | </c> outside quotes and brackets (<c>'proc://.list | where name == "sleep" | count'</c>),
/// or stages separated by a bare <c>|</c> word (<c>proc://.list '|' count</c>). The first stage must be a resh stage;
/// a <c>|</c> after <c>--</c> is an ordinary argument, and so is a <c>|</c> inside an argument value
/// (<c>content='a | b'</c>): only a stage's first word is split.
/// </summary>
public static class PipelineSyntax
{
    /// <summary>True when argv is a pipeline (the entry the REPL and the command line share).</summary>
    public static bool IsPipeline(IReadOnlyList<string> argv)
    {
        var i = SkipLeadingFlags(argv);
        if (i >= argv.Count) return false;
        // Every command line asks: no `|` anywhere (the usual call) is answered without splitting or allocating.
        bool bar = false;
        for (int j = i; j < argv.Count && !bar; j++) bar = argv[j].Contains('|');
        if (!bar || !StageParser.LooksLikeStage(argv[i])) return false;
        if (argv[i].Contains('|') && SplitTopLevel(argv[i]).Count > 1) return true;
        for (int j = i + 1; j < argv.Count && argv[j] != "--"; j++)
            if (argv[j] == "|") return true;
        return false;
    }

    /// <summary>
    /// True when one stage text, as a surface that takes a single call receives it (REST /v1/call, an MCP tool's target,
    /// the agent), is written as a pipeline: a <c>|</c> splits it (<see cref="SplitTopLevel"/>) and every part after the
    /// first starts with a filter or a stage. A target that only holds <c> | </c> (a file named <c>a | b</c>) is not one.
    /// </summary>
    public static bool LooksLikePipeline(string stage)
    {
        if (!stage.Contains('|') || !StageParser.LooksLikeStage(stage.TrimStart())) return false;
        var parts = SplitTopLevel(stage);
        if (parts.Count < 2) return false;
        for (int k = 1; k < parts.Count; k++)
        {
            var first = parts[k].Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries) is [var w, ..] ? w : "";
            if (!ItemFilter.IsFilter(first) && !StageParser.LooksLikeStage(first)) return false;
        }
        return true;
    }

    /// <summary>
    /// True when a request's stage and verb make a pipeline: the stage is one, or the verb holds the rest of one
    /// (<c>"stage": "proc://", "verb": "list | where name == \"sleep\""</c>), which would otherwise be refused as an
    /// unknown verb rather than as a pipeline (s42 user review).
    /// </summary>
    public static bool LooksLikePipeline(string stage, string? verb) =>
        LooksLikePipeline(stage)
        || verb is not null && verb.Contains('|') && StageParser.LooksLikeStage(stage.TrimStart()) && LooksLikePipeline(stage.TrimEnd() + " " + verb.Trim());

    /// <summary>The answer of a surface that takes one call at a time to a pipeline (issue 19: pipelines are the CLI's, the shell's, batch's and ssh://'s).</summary>
    public static ReshError NotOnThisSurface() =>
        ReshError.Usage("Pipelines run from the command line, the shell, resh batch or ssh://; send each stage as its own call here.",
            "Call the first stage (e.g. proc://.list), then call the next stage once per item with that item's fields; or run the pipeline with resh on the command line or in resh batch.");

    /// <summary>Splits a pipeline's argv into segments (call only when <see cref="IsPipeline"/> is true).</summary>
    public static PipelineArgv Split(IReadOnlyList<string> argv)
    {
        var first = SkipLeadingFlags(argv);
        var leading = argv.Take(first).ToList();
        var segments = new List<PipelineSegment>();
        var words = new List<string>();
        var text = new StringBuilder();
        bool rest = false, atStart = true;

        void Close()
        {
            if (words.Count == 0 && text.ToString().Trim().Length == 0)
                throw ReshError.Usage("The pipeline has an empty stage (two `|` in a row, or one at an end).",
                    "Write one stage or filter between each pair of `|`: resh 'proc://.list | where name == \"sleep\" | count'").ToException();
            segments.Add(new PipelineSegment(words.ToList(), text.ToString().Trim()));
            words.Clear();
            text.Clear();
        }

        for (int i = first; i < argv.Count; i++)
        {
            var w = argv[i];
            if (!rest && w == "|") { Close(); atStart = true; continue; }
            if (!rest && w == "--") rest = true;
            if (atStart && !rest)
            {
                var pieces = SplitTopLevel(w);
                if (pieces.Count == 1 && StageParser.LooksLikeStage(w))
                {
                    // A stage that is its own argv word (`resh 'file:///tmp/a b.list' '|' count`, or a word the shell
                    // split) is already one word: splitting it again would part `a b` (s41).
                    words.Add(w);
                    text.Append(w).Append(' ');
                    atStart = false;
                    continue;
                }
                for (int p = 0; p < pieces.Count; p++)
                {
                    if (p > 0) Close();
                    words.AddRange(Words(pieces[p]));
                    text.Append(pieces[p]).Append(' ');
                }
                atStart = false;
                continue;
            }
            atStart = false;
            words.Add(w);
            text.Append(QuoteForText(w)).Append(' ');
        }
        Close();
        return new PipelineArgv(leading, segments);
    }

    /// <summary>Index of the first word that is not a leading global flag (or its value).</summary>
    static int SkipLeadingFlags(IReadOnlyList<string> argv)
    {
        int i = 0;
        while (i < argv.Count && argv[i].StartsWith('-') && argv[i].Length > 1 && argv[i] != "--")
        {
            var a = argv[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && !a.Contains('=')
                && (GlobalFlags.Find(a[2..])?.ValueName is not null || PipelineFlags.TakesValue(a[2..]))) i++;
            i++;
        }
        return i;
    }

    /// <summary>A separate argv word inside a filter's text: quoted when it holds a space or a quote, so the lexer sees one token.</summary>
    static string QuoteForText(string w) =>
        w.Length > 0 && !w.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '(' or ')') ? w
        : "\"" + w.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>Splits text at each <c>|</c> that has whitespace on both sides and is outside quotes and brackets.</summary>
    public static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == '\\' && quote == '"' && i + 1 < text.Length) { i++; continue; }
                if (c == quote) quote = '\0';
                continue;
            }
            switch (c)
            {
                case '"' or '\'': quote = c; break;
                case '(' or '[' or '{': depth++; break;
                case ')' or ']' or '}': if (depth > 0) depth--; break;
                case '|' when depth == 0 && i > 0 && char.IsWhiteSpace(text[i - 1]) && i + 1 < text.Length && char.IsWhiteSpace(text[i + 1]):
                    parts.Add(text[start..i].Trim());
                    start = i + 1;
                    break;
            }
        }
        parts.Add(text[start..].Trim());
        return parts;
    }

    /// <summary>
    /// The words of one stage written inside a quoted pipeline, split as the interactive shell splits a line (one
    /// splitter, <see cref="Text.WordSplitter"/>): whitespace outside quotes and brackets separates words, quotes are
    /// removed (inside brackets they are kept: the stage parser reads them), a backslash escapes one character.
    /// </summary>
    public static List<string> Words(string text) => Resh.Core.Text.WordSplitter.Split(text);
}

/// <summary>The flags only a pipeline has: <c>--parallel N</c> and <c>--stop-on-error</c>.</summary>
public static class PipelineFlags
{
    public const int MaxParallel = 256;

    public static bool TakesValue(string name) => name == "parallel";

    public static bool IsFlag(string name) => name is "parallel" or "stop-on-error";
}
