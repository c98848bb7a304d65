using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Introspection;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Platform;
using Resh.Core.Registry;
using Resh.Core.Text;

namespace Resh.Core.Meta;

/// <summary>
/// The top-level commands (help, schema, handles, completion, docs, batch, version) declared as
/// verbs of a hidden <c>resh</c> handle, so they are parsed, validated and documented like any verb.
/// </summary>
public static class MetaHandle
{
    static readonly Arg<IReadOnlyList<string>> Topic = Arg.List("topic", "A handle (file) or a verb (file.read); empty for the overview.", positional: true);
    static readonly Arg<IReadOnlyList<string>> SchemaTopic = Arg.List("topic", "A verb (file.read), a handle (file) for all its verbs, or empty for every verb.", positional: true);
    static readonly Arg<bool> Envelope = Arg.Bool("envelope", "Also include the JSON Schema of the whole envelope.");
    static readonly Arg<IReadOnlyList<string>> Shell = Arg.List("shell", "bash, zsh or fish.", required: true, choices: Completion.Shells, positional: true);
    static readonly Arg<string?> Line = Arg.String("line", "The command line up to the cursor.", required: true);
    static readonly Arg<string?> CompleteShell = Arg.Enum("shell", "How the raw output writes candidates: plain words, or for bash's COMPREPLY (shell-escaped, from the last : or = of the word).",
        ["none", "bash"], "none");
    static readonly Arg<IReadOnlyList<string>> ManTopic = Arg.List("topic", "A handle (file) for its page; empty for resh(1).", positional: true);
    static readonly Arg<string?> DocsHandle = Arg.String("handle", "Only this handle (default: all).");
    static readonly Arg<string?> DocsOut = Arg.String("out", "Write <handle>.md files into this directory (atomically) instead of printing markdown.", examples: ["docs/handles"], path: PathUse.Write);

    public static HandleInfo Create(HandleRegistry registry, BuildInfo build, IReadOnlyList<VerbInfo>? surfaces = null)
    {
        var verbs = new List<VerbInfo>
        {
            VerbInfo.Define("help", Effect.Read, "Show help for resh, a handle, or one verb.", [Topic], () => MetaJson.Default.HelpResult,
                ctx => Help(registry, ctx.Get(Topic)),
                examples: [new("help file", "The verbs of file://."), new("help file.read --format json", "One verb's arguments and result schema as JSON.")],
                preferredFormat: OutputFormat.Table, human: RenderHelp),
            VerbInfo.Define("handles", Effect.Read, "List the handles of this build.", [], () => MetaJson.Default.HandlesResult,
                _ => new HandlesResult(Catalog.Handles(registry)),
                examples: [new("handles", "Every scheme with its summary.")]),
            VerbInfo.Define("schema", Effect.Read, "Print the JSON Schema (draft 2020-12) of verb arguments and results.", [SchemaTopic, Envelope], () => MetaJson.Default.SchemaResult,
                ctx => Schema(registry, ctx.Get(SchemaTopic), ctx.Get(Envelope)),
                examples: [new("schema file.read", "Arguments and result of file.read."), new("schema file", "Every verb of file://.")],
                preferredFormat: OutputFormat.JsonPretty),
            VerbInfo.Define("completion", Effect.Read, "Print a shell completion script (bash, zsh or fish).", [Shell], () => MetaJson.Default.CompletionResult,
                ctx =>
                {
                    var shell = ctx.Get(Shell);
                    if (shell.Count != 1) return ReshError.Usage("Name one shell.", "resh completion bash");
                    var script = Completion.Script(shell[0]);
                    return new Outcome<CompletionResult>(new CompletionResult(shell[0], script), false).WithRaw(RawPayload.FromText(script, newline: false));
                },
                examples: [new("completion bash", "Load with: source <(resh completion bash)")],
                preferredFormat: OutputFormat.Raw),
            VerbInfo.Define("complete", Effect.Read, "Completion candidates for a command line (used by the completion scripts).", [Line, CompleteShell], () => MetaJson.Default.CompleteResult,
                ctx =>
                {
                    var candidates = Completion.Candidates(registry, ctx.Get(Line)!);
                    var printed = ctx.Get(CompleteShell) == "bash" ? Completion.ForBash(candidates, ctx.Get(Line)!) : candidates;
                    var text = printed.Count == 0 ? "" : string.Join("\n", printed) + "\n";
                    return new Outcome<CompleteResult>(new CompleteResult(candidates), false).WithRaw(RawPayload.FromText(text, newline: false));
                },
                preferredFormat: OutputFormat.Raw),
            VerbInfo.Define("docs", Effect.Mutate, "Generate docs/handles/<handle>.md from the verb declarations.", [DocsHandle, DocsOut], () => MetaJson.Default.DocsResult,
                ctx => Docs(registry, ctx),
                examples: [new("docs out=docs/handles", "Regenerate the committed handle docs."), new("docs handle=file --format raw", "Print file://'s page.")]),
            VerbInfo.Define("man", Effect.Read, "Print a man page (resh(1), or resh-HANDLE(1)) generated from the declarations.", [ManTopic], () => MetaJson.Default.ManResult,
                ctx => Man(registry, build, ctx.Get(ManTopic)),
                examples: [new("man file | man -l -", "Read file://'s page with man.")],
                preferredFormat: OutputFormat.Raw),
            VerbInfo.Define("version", Effect.Read, "Print the version and build of this binary.", [], () => MetaJson.Default.VersionResult,
                _ => new VersionResult(build.Version, build.Commit, build.BuildDate, RuntimeInformation.FrameworkDescription, RuntimeInformation.RuntimeIdentifier,
                    MachineArch(), !RuntimeFeature.IsDynamicCodeSupported, Output.Envelope.SchemaVersion),
                notes: "envelope_version is the version of the envelope's shape (SPEC §2); it changes only when a field of the envelope changes meaning or goes away.",
                examples: [new("version", "Version, commit, build date, runtime and architecture."), new("version --format json", "The same as JSON: result.envelope_version is what a script checks.")],
                human: v => $"resh {v.Version} (commit {v.Commit}, built {v.BuildDate ?? "unknown"}, {v.Runtime}, {v.Rid}/{v.Arch}{(v.NativeAot ? ", native" : "")}, envelope v{v.EnvelopeVersion})\n"),
            VerbInfo.Define("batch", Effect.Mutate, "Run NDJSON requests from stdin in one process, one envelope per line.", [], () => MetaJson.Default.BatchResult,
                _ => ReshError.Usage("batch reads requests from stdin.", "printf '{\"id\":1,\"stage\":\"file:///etc/hosts\",\"verb\":\"stat\"}\\n' | resh batch"),
                notes: "Each stdin line is one request: {\"id\": any, \"stage\": \"scheme://target[.verb][(args)]\", \"verb\": optional, \"args\": {object}, \"dry_run\": bool, \"timeout\": \"30s\"}. " +
                       "Each answer is one envelope on one line, with the request's id first. A malformed line gets an error envelope and the rest go on. " +
                       "The exit status is 0 when every request succeeded, 9 (partial) otherwise.",
                examples: [new("batch < requests.ndjson", "Many operations, one process.")]),
        };
        verbs.AddRange(Audit.AuditVerbs.Create());
        if (surfaces is not null) verbs.AddRange(surfaces); // server surfaces (mcp), declared where they are implemented
        return new HandleInfo(HandleRegistry.MetaScheme, "resh itself: help, schemas, completion, docs, batch.", "(none)", verbs) { Hidden = true };
    }

    /// <summary>The machine name uname -m gives (x86_64, aarch64), which is what operators and ssh:// compare.</summary>
    public static string MachineArch() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        var a => a.ToString().ToLowerInvariant(),
    };

    static Outcome<HelpResult> Help(HandleRegistry registry, IReadOnlyList<string> topic)
    {
        if (topic.Count == 0)
            return new HelpResult("", "overview", Catalog.Handles(registry), Catalog.Commands(registry), Catalog.Flags(), null, null);
        if (topic.Count > 1) return ReshError.Usage("Ask for help on one topic at a time.", "resh help file.read");
        var t = topic[0].Replace("://", "").TrimEnd('/');
        var dot = t.IndexOf('.');
        var scheme = dot < 0 ? t : t[..dot];
        var handle = registry.Find(scheme);
        if (handle is null)
        {
            if (registry.Meta?.FindVerb(t) is { } builtin)
                return new HelpResult(t, "verb", null, null, null, null, Catalog.Verb(registry.Meta, builtin));
            return ReshError.NotFound($"No help topic `{topic[0]}`.",
                Suggest.Hint(scheme, registry.Visible.Select(h => h.Scheme).Concat((registry.Meta?.Verbs ?? []).Select(v => v.Name))) ?? "Run `resh help` for the list of handles.");
        }
        if (dot < 0) return new HelpResult(t, "handle", null, null, null, Catalog.Handle(handle), null);
        var verbName = t[(dot + 1)..];
        var verb = handle.FindVerb(verbName);
        if (verb is null)
            return ReshError.NotFound($"`{verbName}` is not a verb of {scheme}://.", Suggest.Hint(verbName, handle.Verbs.Select(v => v.Name), prefix: scheme + ".") ?? $"resh help {scheme}");
        return new HelpResult(t, "verb", null, null, null, null, Catalog.Verb(handle, verb));
    }

    static string RenderHelp(HelpResult r) => r.Kind switch
    {
        "overview" => HelpText.Overview(r.Handles!, r.Commands!, r.GlobalFlags!),
        "handle" => HelpText.Handle(r.Handle!),
        _ => HelpText.Verb(r.Verb!),
    };

    static Outcome<ManResult> Man(HandleRegistry registry, BuildInfo build, IReadOnlyList<string> topic)
    {
        string roff;
        if (topic.Count == 0) roff = ManPage.Overview(Catalog.Handles(registry), Catalog.Commands(registry), Catalog.Flags(), build.Version);
        else
        {
            var scheme = topic[0].Replace("://", "");
            var handle = registry.Find(scheme);
            if (handle is null || handle.Hidden)
                return ReshError.NotFound($"No handle `{scheme}`.", Suggest.Hint(scheme, registry.Visible.Select(h => h.Scheme)) ?? "Run `resh handles`.");
            roff = ManPage.Handle(Catalog.Handle(handle), build.Version);
        }
        return new Outcome<ManResult>(new ManResult(topic.Count == 0 ? "resh" : topic[0], roff), false).WithRaw(RawPayload.FromText(roff, newline: false));
    }

    static Outcome<SchemaResult> Schema(HandleRegistry registry, IReadOnlyList<string> topics, bool envelope)
    {
        var verbs = new List<VerbInfo>();
        if (topics.Count == 0)
        {
            verbs.AddRange(registry.Visible.SelectMany(h => h.Verbs));
        }
        foreach (var topic in topics)
        {
            var t = topic.Replace("://", "");
            var dot = t.IndexOf('.');
            var scheme = dot < 0 ? t : t[..dot];
            var handle = registry.Find(scheme);
            if (handle is null || handle.Hidden)
                return ReshError.NotFound($"No handle `{scheme}`.", Suggest.Hint(scheme, registry.Visible.Select(h => h.Scheme)) ?? "Run `resh handles`.");
            if (dot < 0) { verbs.AddRange(handle.Verbs); continue; }
            var verb = handle.FindVerb(t[(dot + 1)..]);
            if (verb is null)
                return ReshError.NotFound($"`{t[(dot + 1)..]}` is not a verb of {scheme}://.", Suggest.Hint(t[(dot + 1)..], handle.Verbs.Select(v => v.Name), prefix: scheme + ".") ?? $"resh help {scheme}");
            verbs.Add(verb);
        }
        return new SchemaResult(verbs.Select(v => new VerbSchema(v.FullName, v.Effect.ToWire(), v.Summary,
            SchemaBuilder.ArgsSchema(v), SchemaBuilder.ResultSchema(v), envelope ? SchemaBuilder.EnvelopeSchema(v) : null)).ToArray());
    }

    static Outcome<DocsResult> Docs(HandleRegistry registry, VerbContext ctx)
    {
        var only = ctx.Get(DocsHandle);
        var handles = registry.Visible.Where(h => only is null || h.Scheme == only).ToList();
        if (only is not null && handles.Count == 0)
            return ReshError.NotFound($"No handle `{only}`.", Suggest.Hint(only, registry.Visible.Select(h => h.Scheme)) ?? "Run `resh handles`.");
        var pages = handles.Select(h => (h.Scheme, Text: MarkdownDocs.Handle(Catalog.Handle(h)))).ToList();
        var outDir = ctx.Get(DocsOut);
        if (outDir is null)
        {
            var all = string.Join("\n", pages.Select(p => p.Text));
            return new Outcome<DocsResult>(new DocsResult([], all), false).WithRaw(RawPayload.FromText(all, newline: false));
        }
        var files = new List<DocsFile>();
        if (!ctx.DryRun) Directory.CreateDirectory(outDir);
        foreach (var (scheme, text) in pages)
        {
            var path = Path.Combine(outDir, scheme + ".md");
            var bytes = Encoding.UTF8.GetBytes(text);
            var same = File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes);
            if (!same && !ctx.DryRun) AtomicFile.Write(path, bytes);
            files.Add(new DocsFile(scheme, path, !same));
        }
        return Outcome.Changed(new DocsResult(files, null), files.Any(f => f.Changed));
    }
}
