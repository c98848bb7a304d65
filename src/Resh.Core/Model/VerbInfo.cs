using System.Text.Json.Serialization.Metadata;
using Resh.Core.Execution;

namespace Resh.Core.Model;

/// <summary>
/// The one declaration of a verb: name, effect, typed arguments, result type, examples and the code
/// that runs it. Help, JSON Schema, completion, docs and batch all derive from this object.
/// </summary>
public sealed class VerbInfo
{
    VerbInfo(string name, Effect effect, string summary, IReadOnlyList<ArgInfo> args, Func<JsonTypeInfo> resultType,
        Func<VerbContext, ValueTask<VerbOutcome>> invoke)
    {
        Name = name;
        Effect = effect;
        Summary = summary;
        Args = args;
        _resultTypeFactory = resultType;
        Invoke = invoke;
        CheckDeclaration();
    }

    readonly Func<JsonTypeInfo> _resultTypeFactory;
    JsonTypeInfo? _resultType;

    public string Name { get; }
    /// <summary>The scheme of the handle this verb belongs to (set when the handle is built).</summary>
    public string HandleScheme { get; internal set; } = "";
    /// <summary><c>handle.verb</c>, as used by help and schema.</summary>
    public string FullName => HandleScheme.Length == 0 ? Name : $"{HandleScheme}.{Name}";
    public Effect Effect { get; }
    /// <summary>One sentence for an operator.</summary>
    public string Summary { get; }
    public IReadOnlyList<ArgInfo> Args { get; }
    /// <summary>
    /// The result's JSON metadata. Getting a context's type info configures the whole type graph (every
    /// nested result type), so it is created on first use, not when the handle is registered at start-up.
    /// </summary>
    public JsonTypeInfo ResultType => _resultType ??= _resultTypeFactory();
    public IReadOnlyList<Example> Examples { get; private init; } = [];
    /// <summary>Longer notes for help and docs (may be several sentences).</summary>
    public string? Notes { get; private init; }
    /// <summary>Prints NDJSON events before its envelope (tail --follow, watch).</summary>
    public bool Streams { get; private init; }
    /// <summary>What the target means for this verb when it differs from the handle's description.</summary>
    public string? TargetHelp { get; private init; }
    /// <summary>Format used when the caller asked for none and stdout is not a terminal.</summary>
    public Output.OutputFormat? PreferredFormat { get; private init; }
    /// <summary>Optional human rendering for table mode (help text, for example), written to the output as it is made.</summary>
    public Action<object, TextWriter>? Human { get; private init; }

    /// <summary>
    /// Inside `resh batch` the verb may leave its fsync to the runner (<see cref="DeferredSync"/>): consecutive calls share one,
    /// and their envelopes wait for it. Any other verb runs only after every pending sync is done.
    /// </summary>
    public bool DefersSync { get; private set; }

    /// <summary>
    /// A result schema declared as JSON Schema rather than by a result type (a plugin's manifest): `resh schema`,
    /// MCP's outputSchema and the docs show it instead of the schema exported from <see cref="ResultType"/>.
    /// </summary>
    public System.Text.Json.Nodes.JsonObject? DeclaredResultSchema { get; private set; }

    /// <summary>Sets <see cref="DeclaredResultSchema"/>.</summary>
    public VerbInfo WithResultSchema(System.Text.Json.Nodes.JsonObject schema)
    {
        DeclaredResultSchema = schema;
        return this;
    }

    /// <summary>
    /// The verb's target, when it is a local path, is resolved to a descriptor and judged by <see cref="Platform.PathConfinement"/>
    /// on the kernel's name before the act, which then goes through the descriptor (path arguments say so on their own:
    /// <see cref="ArgInfo.ConfinesPath"/>). A server surface whose path patterns restrict the verb refuses a verb without
    /// it whose target is a path (a symlink swapped between its check by name and the act would take it elsewhere).
    /// </summary>
    public bool ConfinesPaths { get; private set; }

    /// <summary>
    /// The verb runs a program or command line of the caller's choosing (proc.spawn, lock.run, cron.add's job, a unit's
    /// ExecStart...), now or later: a server surface refuses it unless its grant says exec (an agent's and a role's
    /// <c>exec = true</c>), since its patterns judge the verb's target, not what that program does. A handle whose every
    /// verb does (ssh, git, plugins) says so once: <see cref="HandleInfo.RunsPrograms"/>. Beside
    /// <see cref="ArgRole.SideCommand"/>, an argument that adds a command to a verb that otherwise runs none.
    /// </summary>
    public bool RunsPrograms { get; internal set; }

    /// <summary>Marks the verb as <see cref="RunsPrograms"/>.</summary>
    public VerbInfo WithRunsPrograms()
    {
        RunsPrograms = true;
        return this;
    }

    /// <summary>
    /// The verb runs programs of the caller's choosing for some calls only, judged on the bound target and arguments
    /// (pkg.install of a local package file: its maintainer scripts run as the server's user; from the sources it
    /// does not). Server surfaces refuse such a call as they refuse <see cref="RunsPrograms"/> verbs.
    /// </summary>
    public Func<string, Execution.BoundArgs, bool>? RunsProgramsWhen { get; private set; }

    /// <summary>Sets <see cref="RunsProgramsWhen"/>.</summary>
    public VerbInfo WithRunsProgramsWhen(Func<string, Execution.BoundArgs, bool> when)
    {
        RunsProgramsWhen = when;
        return this;
    }

    /// <summary>Marks the verb as <see cref="ConfinesPaths"/>.</summary>
    public VerbInfo WithPathConfinement()
    {
        ConfinesPaths = true;
        return this;
    }

    /// <summary>
    /// Running the verb twice has the effect of running it once (HTTP PUT and DELETE, a cache set): <c>--retry</c> may
    /// repeat it after any transient error. A mutating verb without it is repeated only when its error says nothing
    /// reached the backend (<see cref="Errors.ReshError.NotSent"/>).
    /// </summary>
    public bool Idempotent { get; private set; }

    /// <summary>Marks the mutating verb as <see cref="Idempotent"/>.</summary>
    public VerbInfo WithIdempotence()
    {
        Idempotent = true;
        return this;
    }

    /// <summary>Marks the verb as one that may defer its fsync in a batch (<see cref="DefersSync"/>).</summary>
    public VerbInfo WithDeferredSync()
    {
        DefersSync = true;
        return this;
    }

    internal Func<VerbContext, ValueTask<VerbOutcome>> Invoke { get; }

    public ArgInfo? FindArg(string name)
    {
        foreach (var a in Args) if (a.Matches(name)) return a;
        return null;
    }

    public ArgInfo? PositionalArg => Args.FirstOrDefault(a => a.Positional);

    public static VerbInfo Define<TResult>(string name, Effect effect, string summary, ArgInfo[] args,
        JsonTypeInfo<TResult> result, Func<VerbContext, ValueTask<Outcome<TResult>>> run,
        Example[]? examples = null, string? notes = null, bool streams = false, string? targetHelp = null,
        Output.OutputFormat? preferredFormat = null, Func<TResult, string>? human = null,
        Action<TResult, TextWriter>? humanWriter = null)
        => Define(name, effect, summary, args, () => result, run, examples, notes, streams, targetHelp, preferredFormat, human, humanWriter);

    /// <summary>
    /// As above, with the result type named lazily (<c>() => MyJson.Default.MyResult</c>): a handle with many
    /// result types then costs nothing at start-up for the verbs that do not run.
    /// </summary>
    public static VerbInfo Define<TResult>(string name, Effect effect, string summary, ArgInfo[] args,
        Func<JsonTypeInfo<TResult>> result, Func<VerbContext, ValueTask<Outcome<TResult>>> run,
        Example[]? examples = null, string? notes = null, bool streams = false, string? targetHelp = null,
        Output.OutputFormat? preferredFormat = null, Func<TResult, string>? human = null,
        Action<TResult, TextWriter>? humanWriter = null)
        => new(name, effect, summary, args, result, async ctx => (await run(ctx).ConfigureAwait(false)).Erase(result))
        {
            Examples = examples ?? [],
            Notes = notes,
            Streams = streams,
            TargetHelp = targetHelp,
            PreferredFormat = preferredFormat,
            // humanWriter: a view too big to hold as one string (a listing of a whole tree) writes line by line.
            Human = humanWriter is not null ? (o, w) => humanWriter((TResult)o, w) : human is null ? null : (o, w) => w.Write(human((TResult)o)),
        };

    public static VerbInfo Define<TResult>(string name, Effect effect, string summary, ArgInfo[] args,
        JsonTypeInfo<TResult> result, Func<VerbContext, Outcome<TResult>> run,
        Example[]? examples = null, string? notes = null, bool streams = false, string? targetHelp = null,
        Output.OutputFormat? preferredFormat = null, Func<TResult, string>? human = null,
        Action<TResult, TextWriter>? humanWriter = null)
        => Define(name, effect, summary, args, result, ctx => ValueTask.FromResult(run(ctx)),
            examples, notes, streams, targetHelp, preferredFormat, human, humanWriter);

    public static VerbInfo Define<TResult>(string name, Effect effect, string summary, ArgInfo[] args,
        Func<JsonTypeInfo<TResult>> result, Func<VerbContext, Outcome<TResult>> run,
        Example[]? examples = null, string? notes = null, bool streams = false, string? targetHelp = null,
        Output.OutputFormat? preferredFormat = null, Func<TResult, string>? human = null,
        Action<TResult, TextWriter>? humanWriter = null)
        => Define(name, effect, summary, args, result, ctx => ValueTask.FromResult(run(ctx)),
            examples, notes, streams, targetHelp, preferredFormat, human, humanWriter);

    void CheckDeclaration()
    {
        // A broken declaration is a programming error: fail loudly at start-up in tests, not at a user.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in Args)
        {
            foreach (var n in a.Aliases.Prepend(a.Name))
            {
                if (!seen.Add(n)) throw new InvalidOperationException($"Verb {Name}: argument name `{n}` declared twice.");
            }
        }
        if (Args.Count(a => a.Positional) > 1) throw new InvalidOperationException($"Verb {Name}: more than one positional argument.");
        foreach (var a in Args)
        {
            // `--format json` must always mean the output format; only `timeout` (SPEC §1 example), `version`
            // (of a secret, a package: `resh --version` before any stage still prints resh's) and become's settings
            // (ssh:// takes them per host, with the same meaning) may be owned by a verb.
            foreach (var n in a.Aliases.Prepend(a.Name))
            {
                var flag = n.Replace('_', '-');
                if (flag is not ("timeout" or "version" or "become" or "become-user" or "become-method" or "become-password") && Cli.GlobalFlags.Find(flag) is not null)
                    throw new InvalidOperationException($"Verb {Name}: argument `{n}` would shadow the global flag --{flag}.");
            }
        }
    }
}
