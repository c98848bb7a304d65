using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Surfaces.Serve;

/// <summary>What a resh surface's systemd unit is made of (`resh serve install`, `resh agent install`).</summary>
/// <param name="Name">The unit's name without .service (checked by <see cref="ServiceUnitInstall.UnitName"/>).</param>
/// <param name="Exec">ExecStart= as argv.</param>
/// <param name="StateDir">RESH_HOME of the service, absolute: StateDirectory= under /var/lib, else it must exist and is made writable.</param>
/// <param name="ConfigFile">RESH_CONFIG, absolute and existing; null for none.</param>
/// <param name="Writable">More ReadWritePaths=, absolute and existing.</param>
/// <param name="Sandbox">The sandboxing directives.</param>
/// <param name="ReloadSignal">svc.create's reload_signal (HUP: ExecReload= sends it to the main process); null for none.</param>
public sealed record ServiceUnitSpec(string Name, IReadOnlyList<string> Exec, string Description, string StateDir, string? ConfigFile,
    IReadOnlyList<string> Writable, string? User, bool Start, IReadOnlyList<string> Sandbox, string? ReloadSignal = null);

/// <summary>
/// The one unit writer of the resh surfaces: a systemd unit that runs this resh binary, written through
/// svc://NAME.create (and enabled and started through svc://NAME.enable when asked, restarted when it ran an older
/// definition), so it is idempotent, dry-runnable and audited like any svc:// change.
/// </summary>
public static class ServiceUnitInstall
{
    /// <summary>The sandbox of a resh surface's unit: the network, its state dir, the paths of `writable`, and little else.</summary>
    public static readonly IReadOnlyList<string> Sandbox =
    [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=read-only",
        "PrivateTmp=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "RestrictSUIDSGID=yes",
        "RestrictRealtime=yes",
        "LockPersonality=yes",
        "UMask=0077",
        "LimitNOFILE=65536",
    ];

    /// <summary>The unit name without .service, or a usage error.</summary>
    public static string UnitName(string name, string example)
    {
        if (name.EndsWith(".service", StringComparison.Ordinal)) name = name[..^8];
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@'))
            throw ReshError.Usage($"`{Clip(name)}` is not a unit name.", $"Use letters, digits, - _ . (name={example}).").ToException();
        return name;
    }

    /// <summary>state_dir made absolute and checked (not /, one line), or a usage error.</summary>
    public static string StateDir(string stateDir)
    {
        var full = Path.GetFullPath(stateDir);
        if (full == "/" || full.Contains('\n')) throw ReshError.Usage($"state_dir `{Clip(full)}` cannot be the service's state directory.", "Example: state_dir=/var/lib/resh").ToException();
        return full;
    }

    /// <summary>Files the service reads at every start, made absolute: one that does not exist is not_found now, not a failing service later.</summary>
    public static string ExistingFile(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw ReshError.NotFound($"{full} does not exist; the service would fail at every start.", "Give the path of an existing file.", new JsonObject { ["path"] = full }).ToException();
        return full;
    }

    /// <summary>The paths of `writable`, absolute and existing (systemd refuses to start a unit whose ReadWritePaths= is missing).</summary>
    public static List<string> Writable(IEnumerable<string> paths)
    {
        var writable = paths.Select(Path.GetFullPath).ToList();
        foreach (var w in writable)
            if (!Directory.Exists(w) && !File.Exists(w))
                throw ReshError.NotFound($"{w} does not exist; systemd would refuse to start the service (ReadWritePaths=).", "Create it first, or leave it out of writable.", new JsonObject { ["path"] = w }).ToException();
        return writable;
    }

    /// <summary>PrivateTmp=yes gives the service its own empty /tmp and /var/tmp: a binary, config or directory there is
    /// not what the service sees, so it would fail (and restart) at every start while the install reports ok.</summary>
    static void WarnOfPrivateTmp(VerbContext ctx, ServiceUnitSpec spec, string stateDir)
    {
        if (!spec.Sandbox.Contains("PrivateTmp=yes")) return;
        IEnumerable<string?> paths = [.. spec.Exec, spec.ConfigFile, stateDir, .. spec.Writable];
        foreach (var path in paths.OfType<string>().Distinct())
            if (path.StartsWith("/tmp/", StringComparison.Ordinal) || path.StartsWith("/var/tmp/", StringComparison.Ordinal))
                ctx.Warn($"{path} is under {(path.StartsWith("/tmp/", StringComparison.Ordinal) ? "/tmp" : "/var/tmp")}, which the unit's PrivateTmp=yes replaces with an empty one: the service would not find it. "
                    + "Move it (the binary to /usr/local/bin, the config to /etc/resh), or install with sandbox=false.");
    }

    public static async ValueTask<Outcome<ServeInstallResult>> InstallAsync(VerbContext ctx, ServiceUnitSpec spec)
    {
        var name = spec.Name;
        var stateDir = spec.StateDir;
        var directives = new JsonArray(spec.Sandbox.Select(s => (JsonNode?)s).ToArray());
        // Under /var/lib systemd makes the state dir itself (owned by User=, 0700); elsewhere it must exist and is made writable.
        var stateDirectory = stateDir.StartsWith("/var/lib/", StringComparison.Ordinal) && stateDir.Length > 9 ? stateDir[9..] : null;
        if (stateDirectory is not null)
        {
            directives.Add((JsonNode?)("StateDirectory=" + stateDirectory));
            directives.Add((JsonNode?)("StateDirectoryMode=0700"));
        }
        else if (!Directory.Exists(stateDir))
            return ReshError.NotFound($"{stateDir} does not exist; outside /var/lib the service cannot make its own state directory.", "Create it (mode 0700), or use a state_dir under /var/lib.", new JsonObject { ["path"] = stateDir });
        var readWrite = (stateDirectory is null ? [stateDir] : new List<string>()).Concat(spec.Writable).ToList();
        if (readWrite.Count > 0) directives.Add((JsonNode?)("ReadWritePaths=" + string.Join(' ', readWrite.Select(QuotePath))));

        WarnOfPrivateTmp(ctx, spec, stateDir);
        var env = new JsonArray("RESH_HOME=" + stateDir);
        if (spec.ConfigFile is not null) env.Add((JsonNode?)("RESH_CONFIG=" + spec.ConfigFile));
        var args = new JsonObject
        {
            ["exec"] = new JsonArray(spec.Exec.Select(a => (JsonNode?)a).ToArray()),
            ["description"] = spec.Description,
            ["env"] = env,
            ["restart"] = "on-failure",
            ["restart_sec"] = "2s",
            ["after"] = new JsonArray("network-online.target"),
            ["wants"] = new JsonArray("network-online.target"),
            ["directives"] = directives,
        };
        if (spec.ReloadSignal is not null) args["reload_signal"] = spec.ReloadSignal;
        if (spec.User is { } user) args["user"] = user;
        var created = await NestedCall.RunAsync(ctx, "svc://" + name, "create", args).ConfigureAwait(false);
        if (!created.Ok) throw created.Error!.ToException();
        var r = created.ResultAsNode();
        var started = false;
        // A dry run has written no unit, so there is nothing to enable yet: it shows the unit, and says it would start it.
        if (spec.Start && ctx.DryRun) ctx.Warn($"start=true: {name}.service would be enabled and started (svc://{name}.enable now=true).");
        else if (spec.Start)
        {
            var enabled = await NestedCall.RunAsync(ctx, "svc://" + name, "enable", new JsonObject { ["now"] = true }).ConfigureAwait(false);
            if (!enabled.Ok) throw enabled.Error!.ToException();
            started = !ctx.DryRun;
            if (created.Changed && !created.DryRun && !enabled.Changed)
            {
                // Already running the old definition: a changed unit takes effect at a restart.
                var restarted = await NestedCall.RunAsync(ctx, "svc://" + name, "restart", new JsonObject()).ConfigureAwait(false);
                if (!restarted.Ok) throw restarted.Error!.ToException();
            }
            return Outcome.Changed(new ServeInstallResult(name + ".service", r?["path"]?.GetValue<string>() ?? "", spec.Exec, r?["diff"]?.GetValue<string>(), started),
                created.Changed || enabled.Changed);
        }
        return Outcome.Changed(new ServeInstallResult(name + ".service", r?["path"]?.GetValue<string>() ?? "", spec.Exec, r?["diff"]?.GetValue<string>(), started), created.Changed);
    }

    /// <summary>A path in ReadWritePaths= (space-separated): systemd reads C-style escapes, so a space is \x20 and a backslash \\.</summary>
    static string QuotePath(string path) => path.Replace("\\", "\\\\").Replace(" ", "\\x20");

    static string Clip(string s) => s.Length > 64 ? s[..64] + "…" : s;
}
