using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Grammar;
using Resh.Core.Model;
using Resh.Core.Registry;
using Resh.Core.Text;

namespace Resh.Core.Cli;

/// <summary>
/// Turns argv into an <see cref="Invocation"/>: global flags, the stage (or a top-level command),
/// the verb, and typed arguments from every spelling of SPEC §1.
/// </summary>
public sealed class CommandLineParser(HandleRegistry registry, StdinSource stdin, Func<string, byte[]>? readFile = null)
{
    public CommandLineParser(HandleRegistry registry, Func<byte[]> readStdin, Func<string, byte[]>? readFile = null)
        : this(registry, new StdinSource(readStdin), readFile) { }

    /// <summary>The config's <c>[defaults]</c> table, asked when arguments are bound (after --config is known).</summary>
    public Func<JsonObject?>? Defaults { get; init; }

    /// <summary>An argument as written, before its declaration types it.</summary>
    sealed record Assignment(string Key, string? Text, JsonNode? Json, bool IsJson, bool Quoted, ValueOrigin Origin);

    public void Parse(IReadOnlyList<string> argv, Invocation inv)
    {
        int i = 0;
        while (i < argv.Count && argv[i].StartsWith('-') && argv[i].Length > 1)
        {
            if (argv[i] == "--") { i++; break; }
            i = ApplyGlobalFlag(argv, i, inv.Globals, verb: null) + 1; // it returns the last token it consumed
        }

        if (i >= argv.Count)
        {
            // `resh`, `resh --version`, `resh --list-schemas`, `resh --help`
            var name = inv.Globals.Version ? "version" : inv.Globals.ListSchemas ? "schema" : "help";
            inv.Handle = Meta();
            inv.Verb = inv.Handle.FindVerb(name) ?? throw new InvalidOperationException($"meta verb {name} missing");
            inv.Args = Bind(inv.Verb, [], [], inv.Globals);
            return;
        }

        var first = argv[i++];
        inv.StageText = first;
        if (StageParser.LooksLikeStage(first))
        {
            ParseStage(first, argv, i, inv);
            return;
        }

        var meta = Meta();
        VerbInfo? builtin;
        // Multi-word commands win over a shorter command followed by arguments: `agent key create` is the verb
        // agent.key.create, `serve install` is serve.install (not serve with an argument), `audit verify` audit.verify.
        if (i + 1 < argv.Count && IsWord(argv[i]) && IsWord(argv[i + 1]) && meta.FindVerb($"{first}.{argv[i]}.{argv[i + 1]}") is { } threeWord)
        {
            builtin = threeWord;
            i += 2;
        }
        else if (i < argv.Count && IsWord(argv[i]) && meta.FindVerb($"{first}.{argv[i]}") is { } twoWord)
        {
            builtin = twoWord;
            i++;
        }
        else builtin = meta.FindVerb(first);
        if (builtin is null && meta.Verbs.Where(v => v.Name.StartsWith(first + ".", StringComparison.Ordinal)).Select(v => v.Name[(first.Length + 1)..]).ToList() is { Count: > 0 } subcommands)
            throw ReshError.Usage($"`{Clip(first)}` needs one of: {string.Join(", ", subcommands)}.", $"Example: resh {first} {subcommands[0]}").ToException();
        if (builtin is null)
        {
            if (registry.Find(first.ToLowerInvariant()) is { } h)
                throw ReshError.Usage($"`{first}` is a handle; name a stage as {h.Scheme}://TARGET.verb.",
                    $"Example: resh {h.Scheme}://{(h.Verbs.Count > 0 ? "." + h.Verbs[0].Name : "")}   (resh help {h.Scheme} lists its verbs)").ToException();
            var commands = meta.Verbs.Select(v => v.Name).Concat(registry.Visible.Select(x => x.Scheme + "://"));
            throw ReshError.Usage($"`{Clip(first)}` is neither a command nor a stage.",
                Suggest.Hint(first, commands) ?? "Run `resh help` for commands, or give a stage like file:///etc/hosts.read.").ToException();
        }
        inv.Handle = meta;
        inv.Verb = builtin;
        inv.StageText = "";
        var assignments = new List<Assignment>();
        var positional = new List<RawValue>();
        ParseTokens(argv, i, builtin, inv.Globals, assignments, positional);
        if (inv.Globals.Help && builtin.Name != "help") { SwitchToHelp(inv, meta, builtin.Name); return; }
        inv.Args = Bind(builtin, assignments, positional, inv.Globals);
    }

    /// <summary>A batch request: the stage, an optional verb word and arguments as one JSON object.</summary>
    public void ParseRequest(string stage, string? verbWord, JsonObject? args, Invocation inv)
    {
        inv.StageText = stage;
        // One call per request (REST, MCP, the agent): a pipeline would otherwise be read as one stage with a strange target.
        if (Pipeline.PipelineSyntax.LooksLikePipeline(stage, verbWord)) throw Pipeline.PipelineSyntax.NotOnThisSurface().ToException();
        var syntax = StageParser.Parse(stage);
        var handle = FindHandle(syntax);
        inv.Handle = handle;
        inv.RawTarget = syntax.Body;
        StageResolution resolution;
        if (verbWord is not null)
        {
            resolution = VerbResolver.Resolve(handle, syntax.Body, verbWord);
            if (!resolution.ConsumedNextWord)
                throw ReshError.Usage($"`{Clip(verbWord)}` is not a verb of {handle.Scheme}://.",
                    Suggest.Hint(verbWord, handle.Verbs.Select(v => v.Name)) ?? $"Verbs: {string.Join(", ", handle.Verbs.Select(v => v.Name))}.").ToException();
        }
        else resolution = VerbResolver.Resolve(handle, syntax.Body, null);
        inv.Verb = resolution.Verb;
        inv.RawTarget = resolution.RawTarget;
        inv.Target = PercentDecoding.Decode(resolution.RawTarget);
        var assignments = new List<Assignment>();
        var positional = new List<RawValue>();
        foreach (var piece in syntax.ParenArgs) AddPiece(piece, resolution.Verb, assignments, positional);
        if (args is not null)
            foreach (var (k, v) in args) assignments.Add(new Assignment(k, null, v?.DeepClone(), true, false, ValueOrigin.Batch));
        inv.Args = Bind(resolution.Verb, assignments, positional, inv.Globals);
    }

    void ParseStage(string stage, IReadOnlyList<string> argv, int i, Invocation inv)
    {
        var syntax = StageParser.Parse(stage);
        var handle = FindHandle(syntax);
        inv.Handle = handle;
        inv.RawTarget = syntax.Body;
        var wantsHelp = argv.Skip(i).TakeWhile(t => t != "--").Any(t => t is "--help" or "-h");

        var nextWord = i < argv.Count && IsWord(argv[i]) ? argv[i] : null;
        StageResolution resolution;
        try
        {
            resolution = VerbResolver.Resolve(handle, syntax.Body, nextWord);
        }
        catch (ReshException) when (wantsHelp)
        {
            SwitchToHelp(inv, registry.Meta!, handle.Scheme);
            return;
        }
        if (resolution.ConsumedNextWord) i++;
        inv.Verb = resolution.Verb;
        inv.RawTarget = resolution.RawTarget;
        if (wantsHelp)
        {
            SwitchToHelp(inv, registry.Meta!, $"{handle.Scheme}.{resolution.Verb.Name}");
            return;
        }
        inv.Target = PercentDecoding.Decode(resolution.RawTarget);

        var assignments = new List<Assignment>();
        var positional = new List<RawValue>();
        foreach (var piece in syntax.ParenArgs) AddPiece(piece, resolution.Verb, assignments, positional);
        ParseTokens(argv, i, resolution.Verb, inv.Globals, assignments, positional);
        inv.Args = Bind(resolution.Verb, assignments, positional, inv.Globals);
    }

    HandleInfo Meta() => registry.Meta ?? throw new InvalidOperationException("The meta handle is not registered.");

    HandleInfo FindHandle(StageSyntax syntax)
    {
        var handle = registry.Find(syntax.Scheme);
        if (handle is null || handle.Hidden)
            throw ReshError.Usage($"Unknown handle {syntax.Scheme}://.",
                registry.UnknownHint(syntax.Scheme) ?? Suggest.Hint(syntax.Scheme, registry.Visible.Select(h => h.Scheme), suffix: "://") ?? "Run `resh handles` to list them.").ToException();
        return handle;
    }

    void SwitchToHelp(Invocation inv, HandleInfo meta, string topic)
    {
        inv.Handle = meta;
        inv.Verb = meta.FindVerb("help")!;
        inv.RawTarget = "";
        inv.StageText = "";
        inv.Args = Bind(inv.Verb, [], [RawValue.FromText(topic)], inv.Globals);
    }

    static bool IsWord(string t) => t.Length > 0 && !t.StartsWith('-') && !t.Contains('=') && !t.Contains("://");

    void AddPiece(ArgPiece piece, VerbInfo verb, List<Assignment> assignments, List<RawValue> positional)
    {
        if (piece.Key is not null)
        {
            if (piece.Json) assignments.Add(new Assignment(piece.Key, null, ParseJsonText(piece.Key, piece.Value), true, false, ValueOrigin.Parentheses));
            else assignments.Add(new Assignment(piece.Key, piece.Value, null, false, piece.Quoted, ValueOrigin.Parentheses));
            return;
        }
        var word = piece.Value.Trim();
        if (verb.FindArg(Normalize(word)) is { Kind: ArgKind.Bool } flag)
        {
            assignments.Add(new Assignment(flag.Name, "true", null, false, false, ValueOrigin.Parentheses));
            return;
        }
        // `(expression=0 3 * * 1,5)`: a piece without a key continues the previous value.
        if (assignments.Count > 0 && assignments[^1] is { IsJson: false, Origin: ValueOrigin.Parentheses } last)
        {
            assignments[^1] = last with { Text = last.Text + "," + piece.Value };
            return;
        }
        if (verb.PositionalArg is not null)
        {
            positional.Add(RawValue.FromText(piece.Value, ValueOrigin.Parentheses));
            return;
        }
        throw ReshError.Usage($"`{Clip(word)}` in the parentheses has no key.", $"Write it as key=value; {ArgList(verb)}").ToException();
    }

    void ParseTokens(IReadOnlyList<string> argv, int i, VerbInfo verb, GlobalOptions globals, List<Assignment> assignments, List<RawValue> positional)
    {
        // `--timeout` after a stage whose verb has its own `timeout` is that argument (SPEC §1), unless the argument is also
        // given another way (`.wait(timeout=60s) --timeout 3s`): then the flag is the global one, not a second value (s43 #6).
        var ownedFlags = new List<(Assignment Assignment, int Index)>();
        bool rest = false;
        for (; i < argv.Count; i++)
        {
            var t = argv[i];
            if (rest) { positional.Add(RawValue.Word(t)); continue; }
            if (t == "--") { rest = true; continue; }
            if (t.StartsWith("--", StringComparison.Ordinal) && t.Length > 2)
            {
                var eq = t.IndexOf('=');
                var name = eq < 0 ? t[2..] : t[2..eq];
                var inline = eq < 0 ? null : t[(eq + 1)..];
                var arg = verb.FindArg(Normalize(name));
                if (arg is null && name.StartsWith("no-", StringComparison.Ordinal) && verb.FindArg(Normalize(name[3..])) is { Kind: ArgKind.Bool } negated)
                {
                    if (inline is not null) throw ReshError.Usage($"--{name} takes no value.", $"Use --{name[3..]}={inline} instead.").ToException();
                    assignments.Add(new Assignment(negated.Name, "false", null, false, false, ValueOrigin.CommandLine));
                    continue;
                }
                if (arg is not null)
                {
                    var at = i;
                    string value;
                    if (arg.Kind == ArgKind.Bool) value = inline ?? "true";
                    else if (inline is not null) value = inline;
                    else if (i + 1 < argv.Count) value = argv[++i];
                    else throw ReshError.Usage($"--{name} needs a value.", $"Example: --{name} {Example(arg)}").ToException();
                    var assignment = new Assignment(arg.Name, value, null, false, false, ValueOrigin.CommandLine);
                    assignments.Add(assignment);
                    if (GlobalFlags.Find(name) is not null) ownedFlags.Add((assignment, at));
                    continue;
                }
                if (GlobalFlags.Find(name) is not null)
                {
                    i = ApplyGlobalFlag(argv, i, globals, verb);
                    continue;
                }
                var candidates = verb.Args.Select(a => a.Name.Replace('_', '-')).Concat(GlobalFlags.Names);
                throw ReshError.Usage($"Unknown flag --{Clip(name)} for {VerbTitle(verb)}.",
                    Suggest.Hint(name, candidates, prefix: "--") ?? ArgList(verb)).ToException();
            }
            if (t.Length == 2 && t[0] == '-' && GlobalFlags.FindShort(t[1..]) is not null)
            {
                i = ApplyGlobalFlag(argv, i, globals, verb);
                continue;
            }
            if (TrySplitAssignment(t, out var key, out var val, out var json))
            {
                if (json) assignments.Add(new Assignment(key, null, ParseJsonText(key, val), true, false, ValueOrigin.CommandLine));
                else assignments.Add(new Assignment(key, val, null, false, false, ValueOrigin.CommandLine));
                continue;
            }
            positional.Add(RawValue.Word(t));
        }

        if (globals.ArgsJson is { } argsJson)
        {
            globals.ArgsJson = null; // consumed once
            var text = argsJson == "-" ? System.Text.Encoding.UTF8.GetString(stdin.ReadAll("--args -")) : argsJson;
            JsonNode? node;
            try { node = JsonNode.Parse(text); }
            catch (Exception ex) when (ex is JsonException or ArgumentException)
            {
                throw ReshError.Usage($"--args is not valid JSON: {ExceptionTranslation.OneLine(ex.Message)}", "Pass one JSON object, e.g. --args '{\"lines\": 5}'.").ToException();
            }
            if (node is not JsonObject obj)
                throw ReshError.Usage("--args must be a JSON object.", "Example: --args '{\"lines\": 5}'.").ToException();
            // Values piped in with --args - never were on a command line (a literal secret there is not warned about).
            var origin = argsJson == "-" ? ValueOrigin.Stdin : ValueOrigin.ArgsJson;
            foreach (var (k, v) in obj) assignments.Add(new Assignment(k, null, v?.DeepClone(), true, false, origin));
        }

        foreach (var (assignment, at) in ownedFlags)
        {
            if (!assignments.Any(a => !ReferenceEquals(a, assignment) && !ownedFlags.Any(o => ReferenceEquals(o.Assignment, a))
                    && verb.FindArg(Normalize(a.Key)) is { } other && other.Name == assignment.Key)) continue;
            assignments.Remove(assignment);
            ApplyGlobalFlag(argv, at, globals, verb);
        }
    }

    /// <summary><c>key=value</c> or <c>key:=json</c> with a plausible key.</summary>
    static bool TrySplitAssignment(string t, out string key, out string value, out bool json)
    {
        key = value = "";
        json = false;
        int k = 0;
        while (k < t.Length && (char.IsAsciiLetterOrDigit(t[k]) || t[k] is '_' or '-' or '.')) k++;
        if (k == 0 || !char.IsAsciiLetter(t[0]) && t[0] != '_') return false;
        if (k < t.Length && t[k] == '=') { key = t[..k]; value = t[(k + 1)..]; return true; }
        if (k + 1 < t.Length && t[k] == ':' && t[k + 1] == '=') { key = t[..k]; value = t[(k + 2)..]; json = true; return true; }
        return false;
    }

    int ApplyGlobalFlag(IReadOnlyList<string> argv, int i, GlobalOptions globals, VerbInfo? verb)
    {
        var t = argv[i];
        GlobalFlag? flag;
        string? inline = null;
        if (t.StartsWith("--", StringComparison.Ordinal))
        {
            var eq = t.IndexOf('=');
            var name = eq < 0 ? t[2..] : t[2..eq];
            inline = eq < 0 ? null : t[(eq + 1)..];
            flag = GlobalFlags.Find(name);
            if (flag is null)
            {
                throw ReshError.Usage($"Unknown flag --{Clip(name)}.",
                    Suggest.Hint(name, GlobalFlags.Names, prefix: "--") ?? "Global flags go before or after the stage; run `resh help` for the list.").ToException();
            }
        }
        else
        {
            flag = GlobalFlags.FindShort(t[1..]);
            if (flag is null)
                throw ReshError.Usage($"Unknown flag {Clip(t)}.", "Run `resh help` for the global flags.").ToException();
        }
        string? value = null;
        if (flag.ValueName is not null)
        {
            if (inline is not null) value = inline;
            else if (i + 1 < argv.Count) value = argv[++i];
            else throw ReshError.Usage($"--{flag.Name} needs a value ({flag.ValueName}).", null).ToException();
        }
        else if (inline is not null)
        {
            throw ReshError.Usage($"--{flag.Name} takes no value.", null).ToException();
        }
        flag.Apply(globals, value);
        return i;
    }

    BoundArgs Bind(VerbInfo verb, List<Assignment> assignments, List<RawValue> positional, GlobalOptions globals)
    {
        var groups = new Dictionary<ArgInfo, List<RawValue>>(ReferenceEqualityComparer.Instance);
        var order = new List<ArgInfo>();
        foreach (var a in assignments)
        {
            var arg = verb.FindArg(Normalize(a.Key));
            if (arg is null)
            {
                var names = verb.Args.Select(x => x.Name).ToList();
                var hint = Suggest.Hint(Normalize(a.Key), names) ?? (names.Count == 0 ? $"{VerbTitle(verb)} takes no arguments." : ArgList(verb));
                throw ReshError.Usage($"`{Clip(a.Key)}` is not an argument of {VerbTitle(verb)}.", hint).ToException();
            }
            if (!groups.TryGetValue(arg, out var list)) { groups[arg] = list = []; order.Add(arg); }
            list.Add(Materialize(a, arg));
        }
        if (positional.Count > 0)
        {
            var p = verb.PositionalArg;
            if (p is null)
            {
                var word = positional[0].ToString();
                var asArg = Suggest.Closest(word, verb.Args.Select(x => x.Name));
                var hint = asArg is not null && string.Equals(asArg, Normalize(word), StringComparison.Ordinal)
                    ? $"Give it a value: {asArg}={Example(verb.FindArg(asArg)!)}"
                    : ArgList(verb);
                throw ReshError.Usage($"Unexpected word `{Clip(word)}` after {VerbTitle(verb)}.", hint).ToException();
            }
            if (!groups.TryGetValue(p, out var list)) { groups[p] = list = []; order.Add(p); }
            list.AddRange(positional);
        }

        var bound = new BoundArgs();
        foreach (var arg in order)
        {
            try { bound.Set(arg, arg.BindBoxed(groups[arg])); }
            catch (ArgValueException ex) { throw ReshError.Usage(ex.Message, ex.Hint ?? $"{arg.Name}: {arg.Description}").ToException(); }
        }
        ApplyConfigDefaults(verb, bound);
        foreach (var arg in verb.Args)
        {
            if (arg.Required && !bound.IsSet(arg))
                throw ReshError.Usage($"{VerbTitle(verb)} needs the argument `{arg.Name}`.",
                    arg.Positional ? $"Give it after the verb: {arg.Name} words…" : $"Add {arg.Name}={Example(arg)} ({arg.Description})").ToException();
        }
        return bound;
    }

    /// <summary>Arguments the call left unset take their value from [defaults.HANDLE] / [defaults.HANDLE.VERB].</summary>
    void ApplyConfigDefaults(VerbInfo verb, BoundArgs bound)
    {
        if (Defaults is null || verb.HandleScheme == RegistryMeta) return;
        if (Defaults() is not { } defaults || registry.Find(verb.HandleScheme) is not { } handle) return;
        foreach (var (arg, value) in Config.ConfigDefaults.ForVerb(defaults, handle, verb))
        {
            if (bound.IsSet(arg)) continue;
            try { bound.Set(arg, arg.BindBoxed([RawValue.FromJson(value?.DeepClone(), ValueOrigin.Config)])); }
            catch (ArgValueException ex)
            {
                throw ReshError.Usage($"The config file's default for {verb.FullName} `{arg.Name}` is not valid: {ex.Message}",
                    ex.Hint ?? $"{arg.Name}: {arg.Description}").ToException();
            }
        }
    }

    RawValue Materialize(Assignment a, ArgInfo arg)
    {
        if (a.IsJson) return RawValue.FromJson(a.Json, a.Origin);
        var text = a.Text!;
        if (!a.Quoted && !arg.LiteralAt && text.Length > 0 && text[0] == '@')
        {
            if (text.StartsWith("@@", StringComparison.Ordinal)) return RawValue.FromText(text[1..], a.Origin);
            if (text == "@-" && arg.Streams && stdin.OpenStream($"{arg.Name}=@-") is { } stream)
                return RawValue.FromSource(ContentSource.FromStream(stream, null, "@-"), ValueOrigin.Stdin);
            if (text == "@-")
                return RawValue.FromBytes(arg.Kind == ArgKind.Secret ? stdin.ReadSecret($"{arg.Name}=@-", arg.Name) : stdin.ReadAll($"{arg.Name}=@-"), ValueOrigin.Stdin);
            var path = text[1..];
            if (arg.Streams && readFile is null)
            {
                var handle = Platform.Posix.OpenHandle(Platform.Posix.AT_FDCWD, path, Platform.Posix.O_RDONLY, 0, out var errno);
                var st = handle is null ? null : Platform.Posix.FStat((int)handle.DangerousGetHandle(), out errno);
                if (handle is null || st is null || st.Value.IsDirectory)
                {
                    handle?.Dispose();
                    var why = handle is not null ? "it is a directory" : errno == Platform.Posix.ENOENT ? "it does not exist" : Platform.Posix.StrError(errno).ToLowerInvariant();
                    throw ReshError.Usage($"Cannot read {arg.Name}=@{Clip(path)}: {why}.", "key=@path reads the value from a file; write @@ for a literal @.").ToException();
                }
                var fs = new FileStream(handle, FileAccess.Read, 1);
                return RawValue.FromSource(ContentSource.FromStream(fs, st.Value.IsRegular && st.Value.Size > 0 ? st.Value.Size : null, "@" + Clip(path)), ValueOrigin.File);
            }
            try
            {
                return RawValue.FromBytes((readFile ?? ReadArgumentFile)(path), ValueOrigin.File);
            }
            catch (ArgumentFileTooLarge big)
            {
                throw ReshError.Usage($"{arg.Name}=@{Clip(path)} is {Values.SizeValue.Human(big.Length)}; a value read from a file is held in memory and may be at most 2 GiB.",
                    "Use a verb that streams a file by its path instead (file.copy, archive create, ssh upload).",
                    new JsonObject { ["path"] = path, ["size"] = big.Length }).ToException();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                var why = ex is FileNotFoundException or DirectoryNotFoundException ? "it does not exist" : ExceptionTranslation.Describe(ex).TrimEnd('.');
                throw ReshError.Usage($"Cannot read {arg.Name}=@{Clip(path)}: {why}.", "key=@path reads the value from a file; write @@ for a literal @.").ToException();
            }
        }
        return RawValue.FromText(text, a.Origin);
    }

    /// <summary>Reads a key=@file value; a file beyond what one array holds is refused before any byte is read.</summary>
    static byte[] ReadArgumentFile(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        if (fs.CanSeek && fs.Length > Array.MaxLength) throw new ArgumentFileTooLarge(fs.Length);
        using var ms = fs.CanSeek && fs.Length > 0 ? new MemoryStream((int)fs.Length) : new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = fs.Read(buffer)) > 0)
        {
            if (ms.Length + n > Array.MaxLength) throw new ArgumentFileTooLarge(ms.Length + n);
            ms.Write(buffer, 0, n);
        }
        return ms.Length == ms.Capacity ? ms.GetBuffer() : ms.ToArray();
    }

    sealed class ArgumentFileTooLarge(long length) : IOException
    {
        public long Length { get; } = length;
    }

    static JsonNode? ParseJsonText(string key, string text)
    {
        try { return JsonNode.Parse(text); }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw ReshError.Usage($"`{key}:=` expects JSON: {ExceptionTranslation.OneLine(ex.Message)}",
                $"Examples: {key}:=5, {key}:='[\"a\",\"b\"]', {key}:='{{\"k\":1}}'. Use {key}=text for a plain string.").ToException();
        }
    }

    public static string Normalize(string name) => name.Replace('-', '_');

    static string VerbTitle(VerbInfo verb) => verb.HandleScheme == RegistryMeta ? verb.Name : verb.FullName;

    const string RegistryMeta = HandleRegistry.MetaScheme;

    static string ArgList(VerbInfo verb) => verb.Args.Count == 0
        ? $"{VerbTitle(verb)} takes no arguments."
        : $"Arguments of {VerbTitle(verb)}: {string.Join(", ", verb.Args.Select(a => a.Name))}.";

    static string Example(ArgInfo arg) => arg.Examples.Count > 0 ? arg.Examples[0]
        : arg.Choices is { Count: > 0 } c ? c[0]
        : arg.Kind switch
        {
            ArgKind.Int => "10",
            ArgKind.Bool => "true",
            ArgKind.Duration => "30s",
            ArgKind.Size => "10MiB",
            ArgKind.List => "a,b",
            ArgKind.Json => "'{}'",
            ArgKind.Secret => "secret:NAME",
            _ => "VALUE",
        };

    static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
