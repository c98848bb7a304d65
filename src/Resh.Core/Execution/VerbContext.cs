using Resh.Core.Model;
using Resh.Core.Output;

namespace Resh.Core.Execution;

/// <summary>Everything a verb needs for one call: its target, typed arguments, dry-run flag, cancellation and sinks.</summary>
public sealed class VerbContext
{
    readonly BoundArgs _args;
    readonly List<string> _warnings = [];
    readonly CancellationToken _timeoutToken;
    readonly long? _deadline;

    internal VerbContext(HandleInfo handle, VerbInfo verb, string target, string rawTarget, BoundArgs args,
        bool dryRun, OutputFormat format, ReshRuntime runtime, IEventSink events,
        CancellationToken cancellation, CancellationToken timeoutToken, TimeSpan? timeout = null)
    {
        Timeout = timeout;
        _deadline = timeout is { } t ? Environment.TickCount64 + (long)t.TotalMilliseconds : null;
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
    public IReadOnlyList<string> Warnings => _warnings;
    /// <summary>The call's --timeout (or batch "timeout"), when one was given.</summary>
    public TimeSpan? Timeout { get; }
    /// <summary>Time left before --timeout fires, or null without one (a remote resh is handed what is left).</summary>
    public TimeSpan? TimeRemaining => _deadline is { } d ? TimeSpan.FromMilliseconds(Math.Max(0, d - Environment.TickCount64)) : null;

    public T Get<T>(Arg<T> arg) => _args.Get(arg);
    public bool IsSet(ArgInfo arg) => _args.IsSet(arg);
    public BoundArgs Args => _args;

    public void Warn(string message)
    {
        lock (_warnings) _warnings.Add(message);
    }

    /// <summary>A progress bar on stderr when it is a terminal; a no-op otherwise (never in JSON output).</summary>
    public ProgressBar Progress(string label, long? total) => Runtime.CreateProgress(label, total);
}
