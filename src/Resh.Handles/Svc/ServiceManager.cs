using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;

namespace Resh.Handles.Svc;

/// <summary>What every service backend can do; verbs are written once against this.</summary>
internal abstract class ServiceManager : IDisposable
{
    public abstract string Backend { get; }

    /// <summary>The backend's own spelling of a service name (systemd appends .service).</summary>
    public abstract string Normalize(string target);

    public abstract Task<ServiceStatus> StatusAsync(string name, CancellationToken ct);

    /// <summary>start, stop, restart, reload, try-restart. Returns an error (with recent log lines) when the backend says no.</summary>
    public abstract Task<ReshError?> ActAsync(string action, string name, CancellationToken ct);

    /// <summary>enable, disable, mask, unmask.</summary>
    public abstract Task<ReshError?> SetUnitFileStateAsync(string action, string name, CancellationToken ct);

    public abstract Task<List<SvcUnitRow>> ListAsync(IReadOnlyList<string> states, IReadOnlyList<string> patterns, bool all, CancellationToken ct);

    /// <summary>Names that exist, for "did you mean" hints.</summary>
    public abstract Task<IReadOnlyList<string>> KnownNamesAsync(CancellationToken ct);

    /// <summary>
    /// After a successful start or restart: watch the unit for a short window and answer the error (with
    /// its log lines) when it fails or dies in that time; null when it held. Backends without such state say null.
    /// </summary>
    public virtual Task<ReshError?> SettleAsync(string name, string action, long startedUs, TimeSpan window, CancellationToken ct) => Task.FromResult<ReshError?>(null);

    /// <summary>Makes the service manager re-read its unit files (systemctl daemon-reload).</summary>
    public virtual Task DaemonReloadAsync(CancellationToken ct) =>
        throw ReshError.Unsupported($"{Backend} has no unit files to reload.", "Nothing to do: OpenRC reads init scripts at each start.").ToException();

    public virtual void Dispose() { }

    /// <summary>not_found with the closest existing names in the hint and details.</summary>
    public async Task<ReshError> NotFoundAsync(string name, CancellationToken ct)
    {
        var known = await KnownNamesAsync(ct).ConfigureAwait(false);
        var bare = StripSuffix(name);
        var similar = known
            .Select(k => (Name: k, Distance: Math.Min(Suggest.Distance(bare, StripSuffix(k)),
                StripSuffix(k).Split('-', '@', '.', '_').Where(p => p.Length > 0).Select(p => Suggest.Distance(bare, p) + 1).DefaultIfEmpty(99).Min())))
            .Where(x => x.Distance <= Math.Max(2, bare.Length / 3) || StripSuffix(x.Name).Contains(bare, StringComparison.OrdinalIgnoreCase))
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal).Take(5).Select(x => x.Name).ToList();
        var hint = similar.Count > 0 ? $"did you mean `{similar[0]}`? (similar: {string.Join(", ", similar)})" : "List services with: resh 'svc://.list(all=true)'";
        return ReshError.NotFound($"No service `{name}` ({Backend}).", hint,
            new JsonObject { ["name"] = name, ["backend"] = Backend, ["similar"] = new JsonArray(similar.Select(s => (JsonNode?)s).ToArray()) });
    }

    static string StripSuffix(string n) => n.EndsWith(".service", StringComparison.Ordinal) ? n[..^8] : n;
}

/// <summary>Chooses the backend: backend=..., else systemd when it is PID 1, else OpenRC when it runs.</summary>
internal static class ServiceManagers
{
    public static readonly Arg<string?> BackendArg = Arg.Enum("backend", "Service manager: auto (systemd when it is PID 1, else OpenRC), systemd or openrc.",
        ["auto", "systemd", "openrc"], "auto");

    public static string Detect()
    {
        if (Directory.Exists("/run/systemd/system")) return "systemd";
        if (System.IO.File.Exists("/run/openrc/softlevel")) return "openrc";
        return "none";
    }

    public static readonly Arg<bool> DaemonReloadArg = Arg.Bool("daemon_reload",
        "Run daemon-reload first when the unit file changed on disk since systemd loaded it (otherwise the old definition runs, with a warning).");

    public static readonly Arg<TimeSpan?> SettleArg = Arg.Duration("settle",
        "After a start, watch a Type=simple unit this long and report `failed` if it dies (a missing User=, a crash at start-up); 0 does not wait.",
        TimeSpan.FromMilliseconds(500));

    public static async Task<ServiceManager> OpenAsync(VerbContext ctx)
    {
        var choice = ctx.Get(BackendArg)!;
        if (choice == "auto") choice = Detect();
        return choice switch
        {
            "systemd" => await Systemd.SystemdManager.ConnectAsync(ctx.Cancellation).ConfigureAwait(false),
            "openrc" => new OpenRc.OpenRcManager(),
            // Not transient: retrying on the same host cannot make a service manager appear.
            _ => throw (ReshError.Unavailable("No service manager is running here (systemd is not PID 1 and OpenRC has not booted).",
                "Pass backend=systemd or backend=openrc to choose one.") with { Transient = false }).ToException(),
        };
    }

    /// <summary>The service name from the target; an empty target is a usage error.</summary>
    public static string TargetName(VerbContext ctx, ServiceManager mgr) => TargetName(ctx, mgr.Normalize);

    /// <summary>As above, normalized by a backend's rule without its connection.</summary>
    public static string TargetName(VerbContext ctx, Func<string, string> normalize)
    {
        var t = ctx.Target.Trim();
        if (t.Length == 0)
            throw ReshError.Usage($"svc://.{ctx.Verb.Name} needs a service name.", $"Example: resh svc://nginx.{ctx.Verb.Name}").ToException();
        // systemd's unit-name alphabet (OpenRC's names are a subset): anything else is a typo or an injection attempt.
        if (t.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is ':' or '-' or '_' or '.' or '@' or '\\')))
            throw ReshError.Usage($"`{t}` is not a service name.", "Names look like nginx, nginx.service or getty@tty1.service.").ToException();
        return normalize(t);
    }
}
