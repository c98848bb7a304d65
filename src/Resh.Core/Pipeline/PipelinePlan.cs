using System.Text.Json.Nodes;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Grammar;
using Resh.Core.Model;
using Resh.Core.Registry;

namespace Resh.Core.Pipeline;

/// <summary>A later stage that runs once per item: its argv words, with {field} placeholders in the target and in key=value values.</summary>
public sealed class StageTemplate
{
    public required string Text { get; init; }
    public required ItemTemplate Target { get; init; }
    /// <summary>The other words: literal, or a key=value word whose value is templated (Prefix is "key=" / "--key=" / "key:=").</summary>
    public required IReadOnlyList<(string? Literal, string? Prefix, ItemTemplate? Value)> Words { get; init; }
    public required VerbInfo Verb { get; init; }

    public IReadOnlyList<string> Fields => Target.Fields.Concat(Words.Where(w => w.Value is not null).SelectMany(w => w.Value!.Fields)).Distinct().ToList();

    /// <summary>The argv of this stage for one item.</summary>
    public List<string> Render(JsonObject item)
    {
        var argv = new List<string> { Target.Render(item, percentEncode: true) };
        foreach (var (literal, prefix, value) in Words)
        {
            if (literal is not null) { argv.Add(literal); continue; }
            var text = value!.Render(item, percentEncode: false);
            // A value that starts with @ would read a file (key=@path): a filled value is always the text itself.
            if (text.StartsWith('@') && value.StartsWithField && !prefix!.EndsWith(":=", StringComparison.Ordinal)) text = "@" + text;
            argv.Add(prefix + text);
        }
        return argv;
    }

    /// <summary>
    /// One item's envelope target as users read it (s41, D11): the values filled into the target shown as themselves
    /// (<c>file:///tmp/a b</c>), not percent-encoded, but for a <c>%</c> and control characters, so that the target
    /// given back to resh addresses the same item. The call ran with the encoded target, so a value still could not
    /// change its handle, verb or arguments; only the text shown differs. A remote stage (<c>ssh://{host}/file://{path}</c>)
    /// answers with the remote's own target: it is shown with the <c>ssh://HOST/</c> it ran under (s42 user review). When
    /// the call's target is not a prefix of the rendered one (a password masked, a handle that rewrites it), the call's
    /// own target is kept.
    /// </summary>
    /// <param name="host">The host that answered (the envelope's <c>host</c>): other than <c>local</c> for a remote stage.</param>
    public string Shown(JsonObject item, string callTarget, string host = "local")
    {
        try
        {
            var rendered = Target.Render(item, percentEncode: true);
            if (host != "local" && rendered.StartsWith("ssh://", StringComparison.Ordinal) && !callTarget.StartsWith("ssh://", StringComparison.Ordinal)
                && rendered.IndexOf('/', "ssh://".Length) is var slash and > 0 && rendered.AsSpan(slash + 1).StartsWith(callTarget, StringComparison.Ordinal))
                callTarget = rendered[..(slash + 1)] + callTarget;
            if (!Target.HasFields || !rendered.StartsWith(callTarget, StringComparison.Ordinal)) return callTarget;
            var shown = Target.RenderShown(item, callTarget.Length);
            var sep = shown.IndexOf("://", StringComparison.Ordinal);
            return sep > 0 ? shown[..(sep + 3)] + Invocation.WithoutPassword(shown[(sep + 3)..]) : shown;
        }
        catch (ReshException) { return callTarget; }
    }

    /// <summary>The argv with every placeholder filled by a sample of its argument's type, to check the stage before anything runs.</summary>
    public List<string> Sample(Func<string, string> sampleFor)
    {
        var argv = new List<string> { Target.Sample("0") };
        foreach (var (literal, prefix, value) in Words)
            argv.Add(literal ?? prefix + (value!.IsOnlyField ? value.Sample(sampleFor(prefix!)) : value.Sample("1"))); // `delay={ms}ms`: a digit fits most surroundings
        return argv;
    }
}

/// <summary>One step after the first stage: a filter, or a stage run per item.</summary>
public sealed record PipelineStep(ItemFilter? Filter, StageTemplate? Stage)
{
    public string Text => Filter?.Text ?? Stage!.Text;
}

/// <summary>
/// A whole pipeline, parsed and checked before anything runs: the first stage (a bound invocation), the steps after it,
/// the global flags (merged from every segment) and <c>--parallel</c>/<c>--stop-on-error</c>.
/// </summary>
public sealed class PipelinePlan
{
    public required GlobalOptions Globals { get; init; }
    public required Invocation Source { get; init; }
    public required string SourceText { get; init; }
    public required IReadOnlyList<PipelineStep> Steps { get; init; }
    public int Parallel { get; init; } = 1;
    public bool StopOnError { get; init; }
    /// <summary>The item fields the first stage's result type declares (null when it does not say: a remote host's answer).</summary>
    public IReadOnlySet<string>? SourceFields { get; init; }

    /// <summary>The pipeline as one line (the envelope's target).</summary>
    public string Text => string.Join(" | ", new[] { SourceText }.Concat(Steps.Select(s => s.Text)));

    /// <summary>
    /// Parses and checks the whole pipeline: every stage's handle, verb and arguments, every filter, every {field}
    /// against the fields the items will have. Any error is `usage` and nothing has run.
    /// </summary>
    /// <param name="globals">Filled with the global flags of every segment.</param>
    public static PipelinePlan Parse(IReadOnlyList<string> argv, HandleRegistry registry, StdinSource stdin, Func<JsonObject?>? defaults, GlobalOptions globals)
    {
        var split = PipelineSyntax.Split(argv);
        int segment = -1; // the segment being read: an error there names it
        try { return Parse(split, registry, stdin, defaults, globals, ref segment); }
        catch (ReshException ex) when (segment >= 0 && segment < split.Segments.Count)
        {
            throw InStage(ex.Error, segment + 1, WithoutTrailingFlags(split.Segments[segment])).ToException();
        }
    }

    /// <summary>
    /// An error of one stage of the pipeline, naming it: <c>details.stage</c> (its text) and <c>details.stage_index</c>
    /// (1 for the first stage), and its text in the message when the message does not quote it already (a batch line
    /// or a long command line would otherwise leave the reader to guess which stage failed; s42 user review).
    /// </summary>
    static ReshError InStage(ReshError error, int index, string text)
    {
        var details = error.Details?.DeepClone() as JsonObject ?? new JsonObject();
        if (details.ContainsKey("stage")) return error;
        details["stage"] = text;
        details["stage_index"] = index;
        var message = error.Message;
        if (!message.Contains($"`{text}`", StringComparison.Ordinal) && !message.Contains($"`{Clip(text)}`", StringComparison.Ordinal))
            message = $"{message.TrimEnd().TrimEnd('.')} (stage {index}: `{Clip(text)}`).";
        return error with { Message = message, Details = details };
    }

    static PipelinePlan Parse(PipelineArgv split, HandleRegistry registry, StdinSource stdin, Func<JsonObject?>? defaults, GlobalOptions globals, ref int segment)
    {
        int parallel = 1;
        bool stopOnError = false;

        // Flags before the first stage.
        var leading = split.LeadingFlags;
        for (int i = 0; i < leading.Count; i++)
            i = ApplyFlag(leading, i, globals, ref parallel, ref stopOnError);

        segment = 0;
        var first = split.Segments[0];
        var sourceWords = TakePipelineFlags(first.Words, ref parallel, ref stopOnError);
        var source = new Invocation();
        new CommandLineParser(registry, stdin) { Defaults = defaults }.Parse(sourceWords, source);
        if (source.Handle is null || source.Handle.Scheme == HandleRegistry.MetaScheme)
            throw ReshError.Usage("A pipeline starts with a stage (scheme://target.verb).", "Example: resh 'proc://.list | where name == \"sleep\" | count'").ToException();
        Merge(globals, source.Globals);
        if (globals.Become)
            throw ReshError.Usage("--become does not apply to a pipeline.", "Run the pipeline as the user it needs, or give ssh:// stages become=true.").ToException();

        IReadOnlySet<string>? fields = ItemFields.OfResultType(source.Verb!.ResultType);
        if (fields is { Count: 0 })
            throw ReshError.Usage($"{source.Verb.FullName} answers with one result, not a list of items, so nothing flows into `{Clip(WithoutTrailingFlags(split.Segments[1]))}`.",
                "Start the pipeline with a verb that lists (its result is a list, or has one list field): resh help " + source.HandleName).ToException();
        var sourceFields = fields;

        var steps = new List<PipelineStep>();
        foreach (var seg in split.Segments.Skip(1))
        {
            segment++;
            if (seg.Words.Count > 0 && StageParser.LooksLikeStage(seg.Words[0]))
            {
                var words = TakePipelineFlags(seg.Words, ref parallel, ref stopOnError);
                var stage = ParseStage(words, registry, defaults, globals, WithoutTrailingFlags(seg));
                foreach (var f in stage.Fields)
                    if (fields is not null && !ItemFields.Knows(fields, f))
                        throw ReshError.Usage($"`{{{f}}}` in `{Clip(WithoutTrailingFlags(seg))}` is not a field of the items flowing into it.",
                            Resh.Core.Text.Suggest.Hint(f, fields, prefix: "{", suffix: "}") ?? $"Fields: {string.Join(", ", fields.Order(StringComparer.Ordinal))}.",
                            new JsonObject { ["field"] = f }).ToException();
                steps.Add(new PipelineStep(null, stage));
                fields = new HashSet<string>(StringComparer.Ordinal) { "item", "ok", "changed", "result", "error" };
                continue;
            }
            // A filter: flags written after it (`| where x > 1 --format table`) are the pipeline's.
            var text = seg.Text;
            int flagAt = seg.Words.ToList().FindIndex(w => w.StartsWith("--", StringComparison.Ordinal) && w.Length > 2 && IsFlagWord(w));
            if (flagAt > 0)
            {
                for (int i = flagAt; i < seg.Words.Count; i++)
                {
                    if (!seg.Words[i].StartsWith("--", StringComparison.Ordinal) || !IsFlagWord(seg.Words[i]))
                        throw ReshError.Usage($"`{Clip(seg.Words[i])}` follows the flags of `{Clip(seg.Words[0])}`; a filter's operands come before the flags.",
                            "Write flags at the end: resh 'proc://.list | where rss > 1MiB' --format table").ToException();
                    i = ApplyFlag(seg.Words, i, globals, ref parallel, ref stopOnError);
                }
                var at = text.IndexOf(" " + seg.Words[flagAt], StringComparison.Ordinal);
                text = at > 0 ? text[..at] : string.Join(' ', seg.Words.Take(flagAt));
            }
            var filter = ItemFilter.Parse(text);
            // A misspelt field is refused before anything runs, by every filter alike (where, select, sort, unique,
            // group): `where not siz > 1` would match every item. Items whose type is not declared (a remote host's
            // answer) are checked as they flow: a field no item has is a warning (PipelineRunner).
            foreach (var f in filter.Reads)
                if (fields is not null && !ItemFields.Knows(fields, f))
                    throw ReshError.Usage($"`{Clip(f)}` in `{Clip(text)}` is not a field of the items flowing into it.",
                        Resh.Core.Text.Suggest.Hint(f, fields) ?? $"Fields: {string.Join(", ", fields.Order(StringComparer.Ordinal))}.",
                        new JsonObject { ["field"] = f }).ToException();
            steps.Add(new PipelineStep(filter, null));
            fields = filter.FieldsAfter(fields);
        }
        return new PipelinePlan
        {
            Globals = globals, Source = source, SourceText = WithoutTrailingFlags(first), Steps = steps, Parallel = parallel, StopOnError = stopOnError,
            SourceFields = sourceFields,
        };
    }

    /// <summary>A segment's text for the envelope's target: without the global and pipeline flags written at its end.</summary>
    static string WithoutTrailingFlags(PipelineSegment seg)
    {
        var words = seg.Words;
        int k = words.Count;
        for (int i = words.Count - 1; i >= 1; i--)
        {
            if (words[i].StartsWith("--", StringComparison.Ordinal) && words[i].Length > 2 && IsFlagWord(words[i])) { k = i; continue; }
            // a value after a flag that takes one
            if (i - 1 >= 1 && words[i - 1].StartsWith("--", StringComparison.Ordinal) && !words[i - 1].Contains('=') && IsFlagWord(words[i - 1])
                && (PipelineFlags.TakesValue(words[i - 1][2..]) || GlobalFlags.Find(words[i - 1][2..])?.ValueName is not null)) { k = i - 1; i--; continue; }
            break;
        }
        var text = seg.Text.Trim();
        if (k >= words.Count) return text;
        var at = text.LastIndexOf(" " + words[k], StringComparison.Ordinal);
        return at > 0 ? text[..at].TrimEnd() : text;
    }

    static bool IsFlagWord(string w)
    {
        var name = w[2..];
        var eq = name.IndexOf('=');
        if (eq >= 0) name = name[..eq];
        return PipelineFlags.IsFlag(name) || GlobalFlags.Find(name) is not null;
    }

    /// <summary>Applies the flag at argv[i] (a pipeline flag or a global one) and returns the index of the last word it used.</summary>
    static int ApplyFlag(IReadOnlyList<string> argv, int i, GlobalOptions globals, ref int parallel, ref bool stopOnError)
    {
        var w = argv[i];
        string name;
        string? value = null;
        if (w.StartsWith("--", StringComparison.Ordinal))
        {
            name = w[2..];
            var eq = name.IndexOf('=');
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
        }
        else if (w.Length == 2 && w[0] == '-' && GlobalFlags.FindShort(w[1..]) is { } s) name = s.Name;
        else throw ReshError.Usage($"`{Clip(w)}` is not a flag.", "Global flags: resh help").ToException();
        if (name == "stop-on-error")
        {
            if (value is not null) throw ReshError.Usage("--stop-on-error takes no value.", "Write --stop-on-error.").ToException();
            stopOnError = true;
            return i;
        }
        if (name == "parallel")
        {
            if (value is null)
            {
                if (i + 1 >= argv.Count) throw ReshError.Usage("--parallel needs a number.", "Example: --parallel 4").ToException();
                value = argv[++i];
            }
            if (!int.TryParse(value, out parallel) || parallel < 1 || parallel > PipelineFlags.MaxParallel)
                throw ReshError.Usage($"--parallel expects a number from 1 to {PipelineFlags.MaxParallel}, got `{Clip(value)}`.", "Example: --parallel 4").ToException();
            return i;
        }
        var flag = GlobalFlags.Find(name) ?? throw ReshError.Usage($"Unknown flag --{Clip(name)}.",
            Resh.Core.Text.Suggest.Hint(name, GlobalFlags.Names.Concat(["parallel", "stop-on-error"]), prefix: "--") ?? "Run `resh help` for the global flags.").ToException();
        if (flag.ValueName is not null && value is null)
        {
            if (i + 1 >= argv.Count) throw ReshError.Usage($"--{name} needs a value.", $"Example: --{name} {flag.ValueName}").ToException();
            value = argv[++i];
        }
        flag.Apply(globals, value);
        return i;
    }

    /// <summary>Removes --parallel N and --stop-on-error from a stage's words (the stage's own parser does not know them).</summary>
    static List<string> TakePipelineFlags(IReadOnlyList<string> words, ref int parallel, ref bool stopOnError)
    {
        var kept = new List<string>();
        for (int i = 0; i < words.Count; i++)
        {
            var w = words[i];
            if (w == "--") { kept.AddRange(words.Skip(i)); break; }
            if (w == "--stop-on-error" || w == "--parallel" || w.StartsWith("--parallel=", StringComparison.Ordinal))
            {
                i = ApplyFlag(words, i, new GlobalOptions(), ref parallel, ref stopOnError);
                continue;
            }
            kept.Add(w);
        }
        return kept;
    }

    static StageTemplate ParseStage(List<string> words, HandleRegistry registry, Func<JsonObject?>? defaults, GlobalOptions globals, string text)
    {
        var target = new ItemTemplate(words[0]);
        var open = words[0].IndexOf('(');
        if (open >= 0 && target.FieldOffsets.Any(o => o > open))
            throw ReshError.Usage("A {field} cannot stand inside the stage's parentheses.",
                "Write the argument after the stage as key={field}: resh '... | proc://{pid}.kill grace={g}'").ToException();
        var rest = new List<(string?, string?, ItemTemplate?)>();
        bool afterDashes = false;
        for (int i = 1; i < words.Count; i++)
        {
            var w = words[i];
            if (w == "--") afterDashes = true;
            var t = new ItemTemplate(w);
            if (!t.HasFields) { rest.Add((t.Sample(""), null, null)); continue; }
            var m = System.Text.RegularExpressions.Regex.Match(w, @"^(--)?[A-Za-z_][A-Za-z0-9_.-]*:?=");
            if (afterDashes || !m.Success)
                throw ReshError.Usage($"`{Clip(w)}`: a {{field}} may stand in the target or in a key=value argument, not in a word of its own.",
                    "Write it as key={field}, so a value can never become a flag or another argument.").ToException();
            rest.Add((null, m.Value, new ItemTemplate(w[m.Length..])));
        }
        // Check the stage now, with samples in place of the fields: an unknown handle, verb or argument is `usage`
        // before the first stage runs.
        var parser = new CommandLineParser(registry, BatchRunner.NoStdin) { Defaults = defaults };
        var probe = new Invocation();
        var firstSample = target.Sample("0");
        var syntax = StageParser.Parse(firstSample);
        var handle = registry.Find(syntax.Scheme);
        string SampleFor(string prefix)
        {
            var key = prefix.TrimStart('-').TrimEnd('=', ':');
            var arg = probe.Verb?.FindArg(CommandLineParser.Normalize(key));
            if (arg is null) return "0";
            return arg.Examples.Count > 0 && !arg.Examples[0].Contains('{') ? arg.Examples[0]
                : arg.Choices is { Count: > 0 } c ? c[0]
                : arg.Kind switch
                {
                    ArgKind.Bool => "true",
                    ArgKind.Duration => "1s",
                    ArgKind.Json => "null",
                    ArgKind.Secret => "env:RESH_PIPELINE_SAMPLE",
                    _ => "1",
                };
        }
        var tmpl = new StageTemplate { Text = text.Trim(), Target = target, Words = rest, Verb = null! };
        // First pass without the templated words, to learn the verb; then the whole stage with samples.
        var literalOnly = new List<string> { firstSample };
        literalOnly.AddRange(rest.Where(r => r.Item1 is not null).Select(r => r.Item1!));
        try { new CommandLineParser(registry, BatchRunner.NoStdin) { Defaults = defaults }.Parse(literalOnly, probe); }
        catch (ReshException) { /* the full parse below reports it (a required argument may be templated) */ }
        var checkedInv = new Invocation();
        parser.Parse(tmpl.Sample(SampleFor), checkedInv);
        if (checkedInv.Handle is null || checkedInv.Handle.Scheme == HandleRegistry.MetaScheme || handle is null)
            throw ReshError.Usage($"`{Clip(text)}` is not a stage.", "A later stage is a filter or scheme://target.verb.").ToException();
        Merge(globals, checkedInv.Globals);
        return new StageTemplate { Text = tmpl.Text, Target = target, Words = rest, Verb = checkedInv.Verb! };
    }

    /// <summary>The global flags written in a stage are the pipeline's (one --format, one --dry-run for every stage).</summary>
    static void Merge(GlobalOptions into, GlobalOptions from)
    {
        if (from.FormatGiven) { into.Format = from.Format; into.FormatGiven = true; }
        into.DryRun |= from.DryRun;
        into.Quiet |= from.Quiet;
        into.Verbose |= from.Verbose;
        into.NoColor |= from.NoColor;
        into.Become |= from.Become;
        if (from.Timeout is not null) into.Timeout = from.Timeout;
        if (from.ConfigPath is not null) into.ConfigPath = from.ConfigPath;
        if (from.Forks is not null) into.Forks = from.Forks;
        if (from.Columns is not null) into.Columns = from.Columns;
        // --retry written after the pipeline or inside a stage is the pipeline's too (s40 user D5: it was dropped silently).
        if (from.Retry is not null) into.Retry = from.Retry;
        if (from.RetryDelay is not null) into.RetryDelay = from.RetryDelay;
        if (from.RetryMaxDelay is not null) into.RetryMaxDelay = from.RetryMaxDelay;
        if (from.Help || from.Version || from.ListSchemas)
            throw ReshError.Usage("--help, --version and --list-schemas do not apply to a pipeline.", "Ask for help on one stage: resh help proc.kill").ToException();
    }

    static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
