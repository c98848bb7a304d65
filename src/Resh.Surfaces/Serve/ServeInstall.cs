using System.ComponentModel;
using System.Net;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Surfaces.Serve;

/// <summary>
/// `resh serve install`: a systemd unit that runs `resh serve` with the given flags, sandboxed, written through
/// svc://NAME.create (and started through svc://NAME.enable when asked), so it is idempotent, dry-runnable and audited
/// like any svc:// change.
/// </summary>
public static class ServeInstall
{
    static readonly Arg<string?> Name = Arg.String("name", "The unit's name (NAME.service).", "resh-serve", examples: ["resh-serve"]);
    static readonly Arg<string?> Listen = Arg.String("listen", "ADDRESS:PORT the service listens on (resh serve --listen).", "127.0.0.1:8080", examples: ["127.0.0.1:8080", "0.0.0.0:8443"]);
    static readonly Arg<string?> TlsCert = Arg.String("tls_cert", "PEM certificate (resh serve --tls-cert); made absolute.", path: PathUse.Read);
    static readonly Arg<string?> TlsKey = Arg.String("tls_key", "PEM private key (resh serve --tls-key); made absolute.", path: PathUse.Read);
    static readonly Arg<string?> ClientCa = Arg.String("client_ca", "PEM roots of client certificates (resh serve --client-ca); made absolute.", path: PathUse.Read);
    static readonly Arg<bool> AllowPlaintext = Arg.Bool("allow_plaintext", "resh serve --allow-plaintext (a non-loopback address without TLS).");
    static readonly Arg<bool> Mcp = Arg.Bool("mcp", "resh serve --mcp: MCP (Streamable HTTP) at /mcp too.");
    static readonly Arg<IReadOnlyList<string>> McpOrigin = Arg.List("mcp_origin", "resh serve --mcp-origin, once per item.");
    static readonly Arg<string?> StateDir = Arg.String("state_dir",
        "The service's state directory (RESH_HOME: tokens, audit trail, caches), 0700; with the paths of `writable` the only places it may write.", "/var/lib/resh");
    static readonly Arg<string?> Config = Arg.String("config_file", "The config file the service reads (RESH_CONFIG: roles, [serve]); default: /etc/resh/config.toml as for root.", path: PathUse.Read);
    static readonly Arg<IReadOnlyList<string>> Writable = Arg.List("writable",
        "More paths the service may write (ReadWritePaths=): the directories its roles grant writes under. Everything else is read-only to it (ProtectSystem=strict).",
        examples: ["/srv/www"], path: PathUse.Read);
    static readonly Arg<string?> User = Arg.String("user", "User= to run as (default root: the verbs act on the whole host).");
    static readonly Arg<bool> Start = Arg.Bool("start", "Also enable and start it now (svc://NAME.enable now=true).");

    /// <summary>The sandbox of the unit: what `resh serve` needs (the network, its state dir, the paths of `writable`) and little else.</summary>
    internal static readonly string[] Sandbox =
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

    public static VerbInfo Declaration() => VerbInfo.Define("serve.install", Effect.Mutate,
        "Install `resh serve` as a systemd service: a sandboxed unit written through svc://NAME.create, enabled and started with start=true.",
        [Name, Listen, TlsCert, TlsKey, ClientCa, AllowPlaintext, Mcp, McpOrigin, StateDir, Config, Writable, User, Start], () => ServeJson.Default.ServeInstallResult, RunAsync,
        notes: "The unit runs this resh binary as `resh serve` with the flags given, Restart=on-failure, after network-online.target. Sandbox: " + string.Join(", ", Sandbox) +
               "; the state dir (StateDirectory= under /var/lib, else ReadWritePaths=) and the paths of `writable` are the only places it may write, so a role that grants " +
               "writes elsewhere needs them in `writable`. SIGTERM (systemctl stop) drains calls in flight for up to 30 s. The same arguments again are `changed: false`; " +
               "--dry-run shows the unit as a diff. Tokens are made with RESH_HOME set to the state dir: `RESH_HOME=/var/lib/resh resh token create name=ci role=ops`.",
        examples:
        [
            new("serve install listen=127.0.0.1:8080 --mcp start=true", "REST and MCP on loopback as resh-serve.service, started now."),
            new("serve install listen=0.0.0.0:8443 tls_cert=/etc/resh/tls.pem tls_key=/etc/resh/tls.key writable=/srv/www --dry-run", "Show the unit of an HTTPS server that may write under /srv/www."),
        ]);

    static async ValueTask<Outcome<ServeInstallResult>> RunAsync(VerbContext ctx)
    {
        var name = ctx.Get(Name)!;
        if (name.EndsWith(".service", StringComparison.Ordinal)) name = name[..^8];
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@'))
            return ReshError.Usage($"`{Clip(name)}` is not a unit name.", "Use letters, digits, - _ . (name=resh-serve).");
        var listenText = ctx.Get(Listen)!;
        var endPoint = ServeCommand.ParseListen(listenText);
        var tls = ctx.Get(TlsCert) is not null;
        if (ctx.Get(TlsKey) is not null && !tls) return ReshError.Usage("tls_key needs tls_cert.", "Give tls_cert=FILE.pem with tls_key=FILE.key.");
        if (ctx.Get(ClientCa) is not null && !tls) return ReshError.Usage("client_ca needs TLS.", "Give tls_cert (and tls_key) with client_ca.");
        if (!tls && !IPAddress.IsLoopback(endPoint.Address) && !ctx.Get(AllowPlaintext))
            return ReshError.Usage($"{endPoint} is not a loopback address, and without TLS the API tokens would cross the network in clear.",
                "Give tls_cert (and tls_key), or allow_plaintext=true behind a TLS proxy, or listen on 127.0.0.1.");
        if (ctx.Get(McpOrigin).Count > 0 && !ctx.Get(Mcp)) return ReshError.Usage("mcp_origin needs mcp=true.", "Add --mcp.");

        var stateDir = Path.GetFullPath(ctx.Get(StateDir)!);
        if (stateDir == "/" || stateDir.Contains('\n')) return ReshError.Usage($"state_dir `{Clip(stateDir)}` cannot be the service's state directory.", "Example: state_dir=/var/lib/resh");
        var files = new List<(string Flag, string Path)>();
        foreach (var (flag, arg) in new[] { ("--tls-cert", TlsCert), ("--tls-key", TlsKey), ("--client-ca", ClientCa) })
            if (ctx.Get(arg) is { } f) files.Add((flag, Path.GetFullPath(f)));
        var config = ctx.Get(Config) is { } c ? Path.GetFullPath(c) : null;
        foreach (var f in files.Select(x => x.Path).Concat(config is null ? [] : [config]))
            if (!File.Exists(f)) return ReshError.NotFound($"{f} does not exist; the service would fail at every start.", "Give the path of an existing file.", new JsonObject { ["path"] = f });
        var writable = ctx.Get(Writable).Select(Path.GetFullPath).ToList();
        foreach (var w in writable)
            if (!Directory.Exists(w) && !File.Exists(w))
                return ReshError.NotFound($"{w} does not exist; systemd would refuse to start the service (ReadWritePaths=).", "Create it first, or leave it out of writable.", new JsonObject { ["path"] = w });

        var exec = new List<string> { Environment.ProcessPath ?? "/usr/bin/resh", "serve", "--listen", listenText.Trim() };
        foreach (var (flag, path) in files) { exec.Add(flag); exec.Add(path); }
        if (ctx.Get(AllowPlaintext)) exec.Add("--allow-plaintext");
        if (ctx.Get(Mcp)) exec.Add("--mcp");
        foreach (var o in ctx.Get(McpOrigin)) { exec.Add("--mcp-origin"); exec.Add(o); }

        var directives = new JsonArray(Sandbox.Select(s => (JsonNode?)s).ToArray());
        // Under /var/lib systemd makes the state dir itself (owned by User=, 0700); elsewhere it must exist and is made writable.
        var stateDirectory = stateDir.StartsWith("/var/lib/", StringComparison.Ordinal) && stateDir.Length > 9 ? stateDir[9..] : null;
        if (stateDirectory is not null)
        {
            directives.Add((JsonNode?)("StateDirectory=" + stateDirectory));
            directives.Add((JsonNode?)("StateDirectoryMode=0700"));
        }
        else if (!Directory.Exists(stateDir))
            return ReshError.NotFound($"{stateDir} does not exist; outside /var/lib the service cannot make its own state directory.", "Create it (mode 0700), or use a state_dir under /var/lib.", new JsonObject { ["path"] = stateDir });
        var readWrite = (stateDirectory is null ? [stateDir] : new List<string>()).Concat(writable).ToList();
        if (readWrite.Count > 0) directives.Add((JsonNode?)("ReadWritePaths=" + string.Join(' ', readWrite.Select(QuotePath))));

        var env = new JsonArray("RESH_HOME=" + stateDir);
        if (config is not null) env.Add((JsonNode?)("RESH_CONFIG=" + config));
        var args = new JsonObject
        {
            ["exec"] = new JsonArray(exec.Select(a => (JsonNode?)a).ToArray()),
            ["description"] = $"resh serve on {listenText.Trim()}{(ctx.Get(Mcp) ? " (REST and MCP)" : "")}",
            ["env"] = env,
            ["restart"] = "on-failure",
            ["restart_sec"] = "2s",
            ["after"] = new JsonArray("network-online.target"),
            ["wants"] = new JsonArray("network-online.target"),
            ["directives"] = directives,
        };
        if (ctx.Get(User) is { } user) args["user"] = user;
        var created = await NestedCall.RunAsync(ctx, "svc://" + name, "create", args).ConfigureAwait(false);
        if (!created.Ok) throw created.Error!.ToException();
        var r = created.ResultAsNode();
        var started = false;
        // A dry run has written no unit, so there is nothing to enable yet: it shows the unit, and says it would start it.
        if (ctx.Get(Start) && ctx.DryRun) ctx.Warn($"start=true: {name}.service would be enabled and started (svc://{name}.enable now=true).");
        else if (ctx.Get(Start))
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
            return Outcome.Changed(new ServeInstallResult(name + ".service", r?["path"]?.GetValue<string>() ?? "", exec, r?["diff"]?.GetValue<string>(), started),
                created.Changed || enabled.Changed);
        }
        return Outcome.Changed(new ServeInstallResult(name + ".service", r?["path"]?.GetValue<string>() ?? "", exec, r?["diff"]?.GetValue<string>(), started), created.Changed);
    }

    /// <summary>A path in ReadWritePaths= (space-separated): systemd reads C-style escapes, so a space is \x20 and a backslash \\.</summary>
    static string QuotePath(string path) => path.Replace("\\", "\\\\").Replace(" ", "\\x20");

    static string Clip(string s) => s.Length > 64 ? s[..64] + "…" : s;
}

public sealed record ServeInstallResult(
    [property: Description("The unit (NAME.service).")] string Unit,
    [property: Description("The unit file written.")] string Path,
    [property: Description("Its ExecStart= as argv.")] IReadOnlyList<string> Exec,
    [property: Description("Unified diff of the unit file (the whole unit when new; null when nothing changed).")] string? Diff,
    [property: Description("True when it was enabled and started now (start=true).")] bool Started);
