using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Surfaces.Serve;

namespace Resh.Agent;

/// <summary>
/// `resh agent install config_file=FILE`: a systemd unit that runs `resh agent --config FILE`, written by the same unit writer
/// as `resh serve install` (<see cref="ServiceUnitInstall"/>: svc://NAME.create, then svc://NAME.enable with start=true),
/// with Restart=on-failure and ExecReload= sending SIGHUP (systemctl reload re-reads the callers and roles).
/// </summary>
public static class AgentInstall
{
    static readonly Arg<string?> Name = Arg.String("name", "The unit's name (NAME.service).", "resh-agent", examples: ["resh-agent"]);
    static readonly Arg<string?> Config = Arg.String("config_file", "The agent's config file ([agent], [agent.callers], [roles]; `resh agent --config FILE`); made absolute, read and checked now.",
        required: true, examples: ["/etc/resh/agent.toml"], path: PathUse.Read);
    static readonly Arg<string?> StateDir = Arg.String("state_dir",
        "The agent's state directory (RESH_HOME: audit trail, caches), 0700; with the paths of `writable` the only places it may write while sandboxed.", "/var/lib/resh-agent");
    static readonly Arg<IReadOnlyList<string>> Writable = Arg.List("writable",
        "More paths the agent may write (ReadWritePaths=): the directories its roles grant writes under. Everything else is read-only to it while sandboxed (ProtectSystem=strict).",
        examples: ["/srv/app"], path: PathUse.Read);
    static readonly Arg<bool> Sandbox = Arg.Bool("sandbox",
        "Sandbox the agent as `resh serve install` does (default). sandbox=false for an agent whose roles manage the whole host (pkg://, svc.create, writes under /etc or /home).", true);
    static readonly Arg<string?> User = Arg.String("user", "User= to run as (default root: the verbs act on the whole host).");
    static readonly Arg<bool> Start = Arg.Bool("start", "Also enable and start it now (svc://NAME.enable now=true).");

    /// <summary>With sandbox=false: only the file limit (an agent that manages the host needs /usr, /etc, /home, the host's /tmp and setuid programs).</summary>
    static readonly string[] NoSandbox = ["LimitNOFILE=65536"];

    public static VerbInfo Declaration() => VerbInfo.Define("agent.install", Effect.Mutate,
        "Install `resh agent` as a systemd service: a sandboxed unit running `resh agent --config FILE`, written through svc://NAME.create, enabled and started with start=true.",
        [Name, Config, StateDir, Writable, Sandbox, User, Start], () => AgentJson.Default.ServeInstallResult, RunAsync,
        notes: "The unit runs this resh binary as `resh agent --config FILE`, Restart=on-failure (a first connection to NATS that fails exits, and systemd tries again), " +
               "ExecReload= sends SIGHUP (systemctl reload, svc://NAME.reload: callers, roles, exec and facts are read again), after network-online.target. " +
               "The config file is checked now as the agent checks it at start (it parses, owned by you or root, not writable by group or others). " +
               "Sandbox (the unit writer of `resh serve install`): " + string.Join(", ", ServiceUnitInstall.Sandbox) + ". " +
               "What it breaks for an agent's verbs: ProtectSystem=strict makes every path read-only but the state dir and `writable` (file.write elsewhere, " +
               "pkg.install, svc.create and cron.add fail with read-only file system), ProtectHome=read-only does the same for /home and /root, PrivateTmp=yes gives " +
               "the agent its own /tmp (file:///tmp/... is not the host's), NoNewPrivileges and RestrictSUIDSGID stop setuid programs from gaining privileges and " +
               "setuid bits from being set, UMask=0077 makes new files 0600 unless a mode is given. Name the directories the roles write in `writable`; an agent whose " +
               "roles manage packages, units or users runs with sandbox=false (only LimitNOFILE=65536). The same arguments again are `changed: false`; --dry-run shows the unit as a diff.",
        examples:
        [
            new("agent install config_file=/etc/resh/agent.toml start=true", "resh-agent.service, sandboxed, started now."),
            new("agent install config_file=/etc/resh/agent.toml writable=/srv/app --dry-run", "Show the unit of an agent that may write under /srv/app."),
            new("agent install config_file=/etc/resh/agent.toml sandbox=false start=true", "An agent whose roles install packages and manage units."),
        ]);

    static async ValueTask<Outcome<ServeInstallResult>> RunAsync(VerbContext ctx)
    {
        var name = ServiceUnitInstall.UnitName(ctx.Get(Name)!, "resh-agent");
        var config = ServiceUnitInstall.ExistingFile(ctx.Get(Config)!);
        // What the agent checks at every start, checked now: a file it would refuse makes a unit that fails in a restart loop.
        OwnedStateDir.CheckTrustedFile(config, "agent config file");
        AgentSettings settings;
        try { settings = AgentSettings.Read(ReshConfig.Parse(config)); }
        catch (IOException e) { return ReshError.Unavailable($"Cannot read {config}: {ExceptionTranslation.OneLine(e.Message)}", "Check the file's permissions.", new JsonObject { ["path"] = config }); }
        catch (UnauthorizedAccessException) { return ReshError.PermissionDenied($"Cannot read {config}.", "Run as a user who can read it (root).", new JsonObject { ["path"] = config }); }
        if (settings.Callers.Count == 0) ctx.Warn($"{config} has no [agent.callers]: the agent will refuse every call (add the lines `resh agent key create` prints).");
        var stateDir = ServiceUnitInstall.StateDir(ctx.Get(StateDir)!);
        var writable = ServiceUnitInstall.Writable(ctx.Get(Writable));
        var exec = new List<string> { Environment.ProcessPath ?? "/usr/bin/resh", "agent", "--config", config };
        return await ServiceUnitInstall.InstallAsync(ctx, new ServiceUnitSpec(name, exec, $"resh agent {settings.Host} ({config})", stateDir, null, writable,
            ctx.Get(User), ctx.Get(Start), ctx.Get(Sandbox) ? ServiceUnitInstall.Sandbox : NoSandbox, ReloadSignal: "HUP")).ConfigureAwait(false);
    }
}
