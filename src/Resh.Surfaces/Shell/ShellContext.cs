using Resh.Core.Cli;
using Resh.Core.Grammar;
using Resh.Core.Introspection;
using Resh.Core.Model;
using Resh.Core.Registry;
using Resh.Core.Secrets;

namespace Resh.Surfaces.Shell;

/// <summary>
/// What `use` set: a remote (<c>use ssh://web01</c> or <c>use agent://@web</c>: later stages run as ssh://web01/STAGE) and a base stage
/// (<c>use file:///etc/nginx</c>: <c>file://nginx.conf.read</c> and a bare <c>nginx.conf.read</c> resolve there).
/// </summary>
internal sealed class ShellContext(HandleRegistry registry)
{
    public string? Remote { get; private set; }
    public string? Base { get; private set; }

    public string Prompt => string.Join(' ', new[] { Remote, Base }.Where(x => x is not null)) is { Length: > 0 } ctx ? $"resh {ctx}> " : "resh> ";

    /// <summary>`use STAGE` or `use` alone; returns the message to print, or throws a usage message.</summary>
    public string Use(IReadOnlyList<string> args)
    {
        if (args.Count == 0) { Remote = Base = null; return "context cleared"; }
        if (args.Count > 1) throw new ShellWords.VariableException("use takes one stage: use ssh://web01, use file:///etc/nginx, or use alone to clear.");
        var stage = args[0].TrimEnd('/');
        if (!StageParser.LooksLikeStage(args[0])) throw new ShellWords.VariableException($"`{args[0]}` is not a stage (scheme://target).");
        var syntax = StageParser.Parse(args[0]);
        if (registry.Find(syntax.Scheme) is null) throw new ShellWords.VariableException($"`{syntax.Scheme}://` is not a handle here (resh handles lists them).");
        if (syntax.Scheme is "ssh" or "agent")
        {
            // A fleet context like a host: every later stage runs there (s43 user review: `use agent://@web` was taken
            // as a base and the stages ran on this machine).
            if (syntax.Body.Length == 0) throw new ShellWords.VariableException($"use {syntax.Scheme}://{(syntax.Scheme == "ssh" ? "HOST names a host" : "FILTER names agents (@web, role=db, web01,web02)")}.");
            Remote = syntax.Scheme + "://" + syntax.Body.TrimEnd('/');
            return $"stages run on {Remote}";
        }
        Base = syntax.Scheme == "file" && syntax.Body.Length > 1 ? stage : args[0];
        return $"relative targets resolve in {Base}";
    }

    /// <summary>
    /// The argv for ReshApp: the first word, and the first word of every later pipeline stage (after a `|` word), rewritten
    /// for the base stage and the remote, so that `use ssh://web01` runs every stage of a pipeline there (a later stage
    /// left local would act on this machine with the remote's items: the s40 user review killed local PIDs that way).
    /// </summary>
    public List<string> Apply(List<string> words)
    {
        if (words.Count == 0) return words;
        if ((Remote is not null || Base is not null) && words.Any(w => w != "|" && Resh.Core.Pipeline.PipelineSyntax.IsPipeline([w])))
            throw new ShellWords.VariableException("In a `use` context write a pipeline's `|` as a word of its own (unquoted), so that every stage gets the context; or `use` alone to clear it.");
        RewriteStage(words, 0, first: true);
        for (int i = 0; i + 1 < words.Count; i++)
            if (words[i] == "|") RewriteStage(words, i + 1, first: false);
        return words;
    }

    /// <summary>The stage word at <paramref name="at"/>: relative to the base, then on the remote. Filters (`where`, `count`) are left alone.</summary>
    void RewriteStage(List<string> words, int at, bool first)
    {
        var word = words[at];
        if (word.StartsWith('-')) return; // global flags first: left as typed
        string? stage = null;
        if (StageParser.LooksLikeStage(word)) stage = Relative(word);
        else if (first && Base is not null && registry.Meta?.FindVerb(word) is null && word != "|") stage = Bare(word);
        if (stage is null) return;
        if (Remote is not null && !stage.StartsWith("ssh://", StringComparison.Ordinal) && !stage.StartsWith("agent://", StringComparison.Ordinal)) stage = $"{Remote}/{stage}";
        words[at] = stage;
    }

    /// <summary><c>file://REL</c> under a file:// base becomes <c>file:///BASE/REL</c>.</summary>
    string Relative(string stage)
    {
        if (Base is null || !Base.StartsWith("file://", StringComparison.Ordinal) || !stage.StartsWith("file://", StringComparison.Ordinal)) return stage;
        var body = stage[7..];
        if (body.StartsWith('/') || body.StartsWith('.') || body.Length == 0) return stage;
        return $"{Base}/{body}";
    }

    /// <summary>A word without a scheme: <c>.verb</c> applies to the base target, <c>name.verb</c> to a target under it.</summary>
    string Bare(string word)
    {
        if (word.StartsWith('.')) return Base + word;
        var sep = Base!.IndexOf("://", StringComparison.Ordinal);
        var body = Base[(sep + 3)..];
        return body.Length == 0 || body.EndsWith('/') ? Base + word : $"{Base}/{word}";
    }
}

/// <summary>Which lines the history file may keep (SPEC §8: secrets never written), judged by the declarations.</summary>
internal static class HistoryFilter
{
    static readonly string[] SecretReferences = ["secret:", "env:", "file:", "@"];

    /// <summary>False when the line carries a secret literally: a secret-typed argument, anything the redactor masks, a URL password.</summary>
    public static bool MayKeep(string line, HandleRegistry registry)
    {
        // The redactor also masks a credential written into a header value (header='Authorization: Bearer …'), no argument of its own.
        if (SecretRedactor.Scrub(line) != line) return false;
        List<string> words;
        try { words = ShellWords.Split(line); }
        catch (ShellWords.VariableException) { return false; }
        // A credential inside a value, whatever the argument (s42 user D5: header=X-Api-Key:abc): a secret-named
        // `Name: value` pair, a URL's or connection string's password, a well-known token (CredentialText, Core's one
        // rule); a reference there (password=secret:db) is no secret.
        foreach (var w in words)
            foreach (var (start, length) in CredentialText.Spans(w))
                if (!SecretReferences.Any(r => w.AsSpan(start, length).StartsWith(r, StringComparison.Ordinal))) return false;
        // A pipeline: every stage is judged by its own verb's declaration (s40 user review: a later stage's bearer= was kept).
        var segments = new List<List<string>> { new() };
        foreach (var w in words)
        {
            if (w == "|") { segments.Add([]); continue; }
            if (w.Contains(" | ", StringComparison.Ordinal) && Resh.Core.Pipeline.PipelineSyntax.IsPipeline([w]))
            {
                List<string> stages;
                try { stages = Resh.Core.Pipeline.PipelineSyntax.SplitTopLevel(w); }
                catch (Exception ex) when (ex is not OutOfMemoryException) { return false; }
                for (int i = 0; i < stages.Count; i++)
                {
                    if (i > 0) segments.Add([]);
                    try { segments[^1].AddRange(ShellWords.Split(stages[i])); }
                    catch (ShellWords.VariableException) { return false; }
                }
                continue;
            }
            segments[^1].Add(w);
        }
        return segments.All(s => MayKeepStage(s, registry));
    }

    static bool MayKeepStage(List<string> words, HandleRegistry registry)
    {
        foreach (var w in words)
            if (w.Contains("://", StringComparison.Ordinal) && Invocation.WithoutPassword(w) != w) return false;
        var stageAt = words.FindIndex(w => StageParser.LooksLikeStage(w));
        if (stageAt < 0) return !words.Any(LooksSecret);
        try
        {
            var stage = words[stageAt];
            // The innermost stage of ssh://HOST/STAGE is the one whose arguments are declared.
            while (true)
            {
                var s = StageParser.Parse(stage);
                if (s.Scheme == "ssh" && s.Body.IndexOf('/') is var slash and > 0 && StageParser.LooksLikeStage(s.Body[(slash + 1)..])) { stage = s.Body[(slash + 1)..]; continue; }
                break;
            }
            var syntax = StageParser.Parse(stage);
            var handle = registry.Find(syntax.Scheme);
            if (handle is null) return !words.Any(LooksSecret);
            var next = stageAt + 1 < words.Count ? words[stageAt + 1] : null;
            VerbInfo verb;
            try { verb = VerbResolver.Resolve(handle, syntax.Body, next).Verb; }
            catch (Resh.Core.Errors.ReshException) { return !words.Any(LooksSecret); }
            var given = new List<(string Key, string Value)>();
            foreach (var p in syntax.ParenArgs) if (p.Key is not null) given.Add((p.Key, p.Value));
            for (int i = stageAt + 1; i < words.Count; i++)
            {
                var w = words[i];
                if (w.StartsWith("--", StringComparison.Ordinal))
                {
                    var eq = w.IndexOf('=');
                    if (eq > 0) given.Add((w[2..eq], w[(eq + 1)..]));
                    else if (i + 1 < words.Count) given.Add((w[2..], words[i + 1]));
                }
                else if (w.IndexOf('=') is var e and > 0) given.Add((w[..e].TrimEnd(':'), w[(e + 1)..]));
            }
            // --args '{"password":"…"}' (or args=…): each key of the JSON object is an argument of its own; in any other
            // JSON object value (headers:={"X-Api-Key":"…"}) a key that looks secret holds a secret (s42 user D5).
            foreach (var (key, value) in given.ToList())
            {
                if (!value.TrimStart().StartsWith('{')) continue;
                try
                {
                    if (System.Text.Json.Nodes.JsonNode.Parse(value) is System.Text.Json.Nodes.JsonObject o)
                        foreach (var (k, v) in o)
                        {
                            var text = v is System.Text.Json.Nodes.JsonValue jv && jv.TryGetValue<string>(out var str) ? str : v?.ToJsonString() ?? "";
                            if (key == "args") given.Add((k, text));
                            else if (SecretKeys.LooksSecret(k) && v is not null && !SecretReferences.Any(r => text.StartsWith(r, StringComparison.Ordinal))) return false;
                        }
                }
                catch (System.Text.Json.JsonException) { }
            }
            foreach (var (key, value) in given)
            {
                var arg = verb.FindArg(CommandLineParser.Normalize(key));
                var secret = arg is not null ? arg.Kind == ArgKind.Secret || arg.Secret : SecretKeys.LooksSecret(key);
                if (handle.Scheme == "secret" && key is "value" or "content") secret = true; // secret://NAME.set value=...
                if (secret && !SecretReferences.Any(r => value.StartsWith(r, StringComparison.Ordinal))) return false;
            }
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException) { return !words.Any(LooksSecret); }
    }

    static bool LooksSecret(string word) => word.IndexOf('=') is var eq and > 0 && SecretKeys.LooksSecret(word[..eq].TrimStart('-'));
}
