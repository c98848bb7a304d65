using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

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
    /// <summary>
    /// The sandbox of a resh surface's unit: the network, its state dir, the paths of `writable`, and little else. Besides
    /// the file system read-only, the kernel's tunables (/proc/sys), modules, logs and cgroups and the clock cannot be
    /// changed, and /dev holds only the pseudo devices (null, zero, random, tty...; s43 F6). Left out because they break
    /// what an agent or serve does: ProtectHostname= (a private UTS namespace would hide a renamed host from the facts),
    /// RestrictNamespaces= and RestrictAddressFamilies= (programs a role runs), MemoryDenyWriteExecute= (the JIT build),
    /// ProtectProc= (proc:// lists every process).
    /// </summary>
    public static readonly IReadOnlyList<string> Sandbox =
    [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=read-only",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "RestrictSUIDSGID=yes",
        "RestrictRealtime=yes",
        "LockPersonality=yes",
        "ProtectClock=yes",
        "SystemCallArchitectures=native",
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

    /// <summary>
    /// The binary the unit runs (as root by default) must be changeable by root (or the installing user) only, as sshd and
    /// sudo refuse insecure paths: the file and every directory on its path owned by root or you and writable by neither
    /// group nor others (a sticky directory like /tmp may be: others cannot replace an entry they do not own). Otherwise
    /// whoever can replace it runs their code as the service's user at its next start (s43 attacker F4).
    /// </summary>
    public static string TrustedBinary(string path)
    {
        var full = Path.GetFullPath(path);
        var euid = LibC.GetEUid();
        const string Hint = "Copy it to a directory only root can change (install -o root -g root -m 0755 {0} /usr/local/bin/resh), "
            + "or install the .deb; then run the install with that binary.";
        for (var p = full; p is not null; p = Path.GetDirectoryName(p))
        {
            var what = p == full ? "binary" : "directory";
            if (Posix.Stat(p, follow: true, out _) is not { } st)
                throw ReshError.PermissionDenied($"The {what} {p} of the resh binary {full} cannot be read, so it cannot be checked as the service's program.",
                    string.Format(System.Globalization.CultureInfo.InvariantCulture, Hint, full), new JsonObject { ["path"] = p }).ToException();
            if (st.Uid != 0 && st.Uid != euid)
                throw ReshError.PermissionDenied($"The {what} {p} belongs to user {st.Uid}, who could replace the resh binary {full} that the service would run; the unit is not written.",
                    string.Format(System.Globalization.CultureInfo.InvariantCulture, Hint, full), new JsonObject { ["path"] = p, ["owner_uid"] = st.Uid }).ToException();
            if ((st.Permissions & 0x12) != 0 && !(st.IsDirectory && (st.Permissions & 0x200) != 0))
                throw ReshError.PermissionDenied($"The {what} {p} is writable by {((st.Permissions & 0x2) != 0 ? "others" : "its group")} (mode {Convert.ToString(st.Permissions, 8)}), who could replace the resh binary {full} that the service would run; the unit is not written.",
                    string.Format(System.Globalization.CultureInfo.InvariantCulture, Hint, full), new JsonObject { ["path"] = p, ["mode"] = Convert.ToString(st.Permissions, 8) }).ToException();
        }
        return full;
    }

    /// <summary>
    /// An existing state dir must be the service's own: the service keeps its audit trail there only in a directory of its
    /// user that no one else may write (AuditTrail), so another user's directory would leave it without one (s43 attacker F5).
    /// Under /var/lib (StateDirectory=) systemd gives the directory to User= and makes it 0700 at every start, so a directory
    /// of root or that user is fine; elsewhere it must already be that user's, writable by no one else, with its audit dir.
    /// </summary>
    static void CheckStateDir(string stateDir, bool managed, string? user)
    {
        var owner = user is null ? 0u : Users.ResolveUid(user);
        if (owner is null) return; // an unknown User= is the unit's own error
        var runAs = user ?? "root";
        foreach (var dir in managed ? [stateDir] : new[] { stateDir, Path.Combine(stateDir, "audit") })
        {
            if (Posix.Stat(dir, follow: false, out _) is not { } st) continue; // not there yet: made by systemd or by the service
            var fix = managed ? $"Remove {dir} or chown {runAs} it, or choose another state_dir."
                : $"chown {runAs} {dir} && chmod 700 {dir}  (or use a state_dir under /var/lib, which systemd makes for the service)";
            if (!st.IsDirectory)
                throw ReshError.PermissionDenied($"{dir} is a {(st.IsSymlink ? "symbolic link" : "file")}, not a directory; the service would keep no audit trail there.",
                    $"Remove it, or choose another state_dir.", new JsonObject { ["path"] = dir }).ToException();
            if (st.Uid != owner && !(managed && st.Uid == 0))
                throw ReshError.PermissionDenied($"The state directory {dir} belongs to user {st.Uid}, not to {runAs} (the service's user): the service would keep no audit trail there, and that user could change what it keeps.",
                    fix, new JsonObject { ["path"] = dir, ["owner_uid"] = st.Uid }).ToException();
            if (!managed && (st.Permissions & 0x12) != 0)
                throw ReshError.PermissionDenied($"The state directory {dir} is writable by group or others (mode {Convert.ToString(st.Permissions, 8)}): the service would keep no audit trail there.",
                    $"chmod 700 {dir}", new JsonObject { ["path"] = dir, ["mode"] = Convert.ToString(st.Permissions, 8) }).ToException();
        }
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
        TrustedBinary(spec.Exec[0]);
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
        CheckStateDir(stateDir, stateDirectory is not null, spec.User);
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
