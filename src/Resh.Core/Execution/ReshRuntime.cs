using Resh.Core.Config;
using Resh.Core.Output;
using Resh.Core.Secrets;

namespace Resh.Core.Execution;

/// <summary>Process-wide services shared by every call: paths, lazily loaded config, stderr logging and progress.</summary>
public sealed class ReshRuntime
{
    readonly Lazy<ReshConfig> _config;

    public ReshRuntime(ReshPaths paths, string? configOverride, bool verbose, bool quiet, TextWriter stderr, bool stderrIsTerminal, bool color,
        ConfigFile? configFile = null)
    {
        Paths = paths;
        Verbose = verbose;
        Quiet = quiet;
        Stderr = stderr;
        StderrIsTerminal = stderrIsTerminal;
        Color = color;
        _configFile = configFile;
        _config = new Lazy<ReshConfig>(() => configFile is not null ? configFile.Config : ReshConfig.Load(paths, configOverride));
    }

    readonly ConfigFile? _configFile;

    /// <summary>The config's <c>[defaults]</c> table (null without one); batch requests bind argument defaults from it.</summary>
    public System.Text.Json.Nodes.JsonObject? Defaults => _configFile?.Defaults;

    public ReshPaths Paths { get; }
    /// <summary>The config file, read the first time something asks for it (local file verbs never do).</summary>
    public ReshConfig Config => _config.Value;
    public bool Verbose { get; }
    public bool Quiet { get; }
    public TextWriter Stderr { get; }
    public bool StderrIsTerminal { get; }
    public bool Color { get; }
    /// <summary>How many hosts a fleet call runs at once (<c>--forks</c>); null means the handle's default.</summary>
    public int? Forks { get; init; }

    /// <summary>The handles of this build, for a verb that calls another handle's verb (<see cref="NestedCall"/>).</summary>
    public Registry.HandleRegistry? Handles { get; init; }

    /// <summary>The audit trail calls are recorded in (SPEC §10), or null when it is off.</summary>
    public Audit.AuditTrail? Audit { get; set; }

    /// <summary>
    /// A server surface that does not reveal secrets runs this call: programs the client wrote (a template's secret())
    /// may not read the keystore. Set by McpToolCall.Check from the policy (allow_reveal / --allow-reveal).
    /// </summary>
    public bool SecretsWithheld { get; set; }

    /// <summary>
    /// Records a call that answered <c>changed: true</c> as an event (event://, <c>[events] record = true</c>): set by the CLI's
    /// handle catalog, since the core knows no handle. Returns why it could not, or null.
    /// </summary>
    public static Func<ReshRuntime, Cli.Invocation, Envelope, string?>? ChangeRecorder { get; set; }

    /// <summary>True when <c>[events] record = true</c>: every changed call is also an event (see <see cref="ChangeRecorder"/>).</summary>
    public bool RecordChanges { get; set; }

    /// <summary>Appends the record of a finished call when the trail is on; a record that cannot be written is a warning on stderr.</summary>
    public void RecordCall(Cli.Invocation inv, Envelope env)
    {
        if (inv.Handle is null || inv.Handle.Hidden) return;
        if (Audit is not null && Audit.Record(inv, env, inv.AuditStarted) is { } why)
            lock (Stderr) Stderr.WriteLine($"resh: warning: {SecretRedactor.Scrub(why)}");
        if (RecordChanges && env.Changed && !env.DryRun && ChangeRecorder is { } record && record(this, inv, env) is { } failed)
            lock (Stderr) Stderr.WriteLine($"resh: warning: {SecretRedactor.Scrub(failed)}");
    }

    /// <summary>
    /// Before a call that may change something runs (not a read, not a dry run): its started record, so a process
    /// killed during the call still leaves one. The outcome names it (<see cref="Cli.Invocation.AuditStarted"/>).
    /// </summary>
    public void RecordStart(Cli.Invocation inv, bool dryRun)
    {
        if (Audit is null || inv.Handle is null || inv.Handle.Hidden || inv.Verb is null || dryRun || inv.Verb.Effect == Model.Effect.Read) return;
        inv.AuditStarted = Audit.RecordStart(inv, out var why);
        if (why is not null) lock (Stderr) Stderr.WriteLine($"resh: warning: {SecretRedactor.Scrub(why)}");
    }

    /// <summary>Inside `resh batch`: fsyncs a verb leaves to the runner, which answers only after they ran; null elsewhere (sync at once).</summary>
    public DeferredSync? Deferred { get; set; }

    /// <summary>Standard input of this call (read once); batch mode has none.</summary>
    public StdinSource Stdin { get; init; } = StdinSource.Unavailable("Standard input is not available here.", "Pass the value another way.");

    /// <summary>A diagnostic line on stderr under --verbose; resolved secrets are masked (<see cref="SecretRedactor"/>).</summary>
    public void Log(string message)
    {
        if (!Verbose) return;
        message = SecretRedactor.Scrub(message);
        lock (Stderr) Stderr.WriteLine($"resh: {message}");
    }

    public ProgressBar CreateProgress(string label, long? total) =>
        new(label, total, StderrIsTerminal && !Quiet ? Stderr : null, ProgressObserver);

    /// <summary>Told of every progress report (label, done, total): a server surface forwards them to its client.</summary>
    public Action<string, long, long?>? ProgressObserver { get; init; }

    /// <summary>
    /// The call comes through a server surface (resh serve, resh mcp, an agent: <see cref="ForCall"/>), whose client owns no
    /// process here: a verb that would tie state to the calling process (lock.acquire's owner) bounds it otherwise.
    /// </summary>
    public bool ServerCall { get; private init; }

    /// <summary>A runtime for one call of a server surface: the same paths, config and logging, its own progress observer and no stdin.</summary>
    public ReshRuntime ForCall(Action<string, long, long?>? progress, StdinSource stdin) => new(this)
    {
        ServerCall = true,
        Forks = Forks,
        Handles = Handles,
        Stdin = stdin,
        ProgressObserver = progress,
        Audit = Audit,
        RecordChanges = RecordChanges,
        SecretsWithheld = SecretsWithheld,
    };

    ReshRuntime(ReshRuntime other)
    {
        Paths = other.Paths;
        Verbose = other.Verbose;
        Quiet = other.Quiet;
        Stderr = other.Stderr;
        StderrIsTerminal = false; // no progress bar drawn over a protocol's logs
        Color = other.Color;
        _configFile = other._configFile;
        _config = other._config;
    }
}
