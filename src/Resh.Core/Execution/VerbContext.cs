using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Secrets;

namespace Resh.Core.Execution;

/// <summary>Everything a verb needs for one call: its target, typed arguments, dry-run flag, cancellation and sinks.</summary>
public sealed class VerbContext
{
    readonly BoundArgs _args;
    readonly List<string> _warnings = [];
    readonly CancellationToken _timeoutToken, _terminateToken;
    readonly long? _deadline;

    internal VerbContext(HandleInfo handle, VerbInfo verb, string target, string rawTarget, BoundArgs args,
        bool dryRun, OutputFormat format, ReshRuntime runtime, IEventSink events,
        CancellationToken cancellation, CancellationToken timeoutToken, TimeSpan? timeout = null, CancellationToken terminateToken = default,
        long? deadline = null)
    {
        _terminateToken = terminateToken;
        Timeout = timeout;
        _deadline = deadline ?? (timeout is { } t ? Environment.TickCount64 + (long)t.TotalMilliseconds : null);
        Handle = handle;
        Verb = verb;
        Target = target;
        RawTarget = rawTarget;
        _args = args;
        DryRun = dryRun;
        Format = format;
        Runtime = runtime;
        Events = events;
        Cancellation = cancellation;
        _timeoutToken = timeoutToken;
        foreach (var (arg, value) in args.Given)
            if (value is SecretRef { WarnLiteral: true }) Warn(LiteralWarning($"Argument `{arg.Name}`"));
    }

    public HandleInfo Handle { get; }
    public VerbInfo Verb { get; }
    /// <summary>The target with percent escapes decoded (a path for file://, a unit for svc://).</summary>
    public string Target { get; }
    /// <summary>The target as written, escapes intact (for handles that nest stages).</summary>
    public string RawTarget { get; }
    public bool DryRun { get; }
    public OutputFormat Format { get; }
    /// <summary>The caller wants the raw payload only: skip building large JSON results.</summary>
    public bool WantsRaw => Format == OutputFormat.Raw;
    public ReshRuntime Runtime { get; }
    public IEventSink Events { get; }
    /// <summary>Fires on --timeout, Ctrl-C or SIGTERM.</summary>
    public CancellationToken Cancellation { get; }
    /// <summary>True when cancellation came from --timeout (a follow ends normally then).</summary>
    public bool TimedOut => _timeoutToken.IsCancellationRequested;
    /// <summary>
    /// True when cancellation came from SIGTERM (a supervisor's stop: systemctl stop, docker stop). A long-lived server
    /// (webhook listen, event serve) then ends normally, with its counts and status 0; other verbs end `interrupted`.
    /// </summary>
    public bool Terminated => _terminateToken.IsCancellationRequested;
    public IReadOnlyList<string> Warnings => _warnings;
    /// <summary>The call's --retry policy, when one was given (a fleet retries each host on its own with it).</summary>
    public RetryPolicy? Retry { get; init; }
    /// <summary>The call's --timeout (or batch "timeout"), when one was given.</summary>
    public TimeSpan? Timeout { get; }
    /// <summary>Time left before --timeout fires, or null without one (a remote resh is handed what is left).</summary>
    public TimeSpan? TimeRemaining => _deadline is { } d ? TimeSpan.FromMilliseconds(Math.Max(0, d - Environment.TickCount64)) : null;

    /// <summary>
    /// The process exit status to end with instead of the one the envelope's error code maps to (SPEC §3).
    /// Only for verbs that run a program in the foreground and pass its status through (secret.exec, like `op run`).
    /// </summary>
    public int? ExitStatus { get; set; }

    public T Get<T>(Arg<T> arg) => _args.Get(arg);
    public bool IsSet(ArgInfo arg) => _args.IsSet(arg);
    public BoundArgs Args => _args;

    // ---- secrets (docs/architecture.md, "Secrets") ----------------------------------------

    Dictionary<object, SecretValue>? _secrets;
    List<string>? _revealed;

    /// <summary>
    /// The value of a secret-typed argument (<see cref="Arg.Secret"/>), resolved now from its source
    /// (secret store, environment, file, stdin or literal); null when the argument was not given.
    /// A source that cannot be read throws a ReshException (usage, not_found, permission_denied...).
    /// </summary>
    public SecretValue? GetSecret(Arg<SecretRef?> arg)
    {
        var source = Get(arg);
        if (source is null) return null;
        _secrets ??= new(ReferenceEqualityComparer.Instance);
        if (_secrets.TryGetValue(arg, out var cached)) return cached;
        return _secrets[arg] = SecretResolver.Resolve(source, $"argument `{arg.Name}`", Runtime, Cancellation);
    }

    /// <summary>Resolves a source written elsewhere (a config value, a field of a JSON argument); <paramref name="what"/> names it in errors.</summary>
    public SecretValue ResolveSecret(SecretRef source, string what)
    {
        if (source.WarnLiteral) Warn(LiteralWarning(what));
        return SecretResolver.Resolve(source, what, Runtime, Cancellation);
    }

    /// <summary>
    /// A secret-typed config value (SPEC §9), such as <c>password</c> of a <c>[db.prod]</c> table: the same
    /// sources as an argument (<c>secret:NAME</c>, <c>env:VAR</c>, <c>file:PATH</c>, <c>@-</c>), a literal with
    /// a warning. Null when the key is absent. <paramref name="tableName"/> (<c>db.prod</c>) names it in messages.
    /// </summary>
    public SecretValue? GetConfigSecret(JsonObject? table, string key, string tableName)
    {
        if (table is null || !table.TryGetPropertyValue(key, out var node) || node is null) return null;
        var what = $"config value `{tableName}.{key}`";
        if (node is not JsonValue v || !v.TryGetValue<string>(out var text) || text.Length == 0)
            throw ReshError.Usage($"The {what} must be a non-empty string.", $"Write {key} = \"secret:NAME\" (or env:VAR, file:PATH).").ToException();
        if (text == "@-")
        {
            var bytes = Runtime.Stdin.ReadSecret($"{what} = @-", $"{tableName}.{key}");
            var value = SecretResolver.FromInput(bytes);
            if (value.Length == 0) throw ReshError.Usage($"The {what} read an empty value from stdin.", null).ToException();
            return value;
        }
        SecretRef source;
        try { source = SecretRef.Parse(text); }
        catch (FormatException ex) { throw ReshError.Usage($"The {what} is not a valid secret source: {ex.Message}", SecretNames.Rule).ToException(); }
        return ResolveSecret(source, what);
    }

    /// <summary>
    /// Lets this call's envelope show <paramref name="secret"/> (secret://NAME.get reveal=true): every other
    /// secret stays masked. Returns the text to put in the result.
    /// </summary>
    public string Reveal(SecretValue secret)
    {
        var text = secret.Reveal();
        lock (_warnings) (_revealed ??= []).Add(text);
        return text;
    }

    /// <summary>Values this call chose to show (<see cref="Reveal"/>); output paths leave them unmasked.</summary>
    public IReadOnlyList<string> Revealed => _revealed ?? (IReadOnlyList<string>)[];

    static string LiteralWarning(string what) =>
        $"{what} was given as a literal secret, which other users can read in /proc/PID/cmdline and which stays in shell history and logs; " +
        "pass secret:NAME, env:VAR, file:PATH or @- instead.";

    public void Warn(string message)
    {
        lock (_warnings) _warnings.Add(message);
    }

    /// <summary>A progress bar on stderr when it is a terminal; a no-op otherwise (never in JSON output).</summary>
    public ProgressBar Progress(string label, long? total) => Runtime.CreateProgress(label, total);
}
