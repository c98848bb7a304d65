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
    internal static IReadOnlyList<string> Sandbox => ServiceUnitInstall.Sandbox;

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
        var name = ServiceUnitInstall.UnitName(ctx.Get(Name)!, "resh-serve");
        var listenText = ctx.Get(Listen)!;
        var endPoint = ServeCommand.ParseListen(listenText);
        var tls = ctx.Get(TlsCert) is not null;
        if (ctx.Get(TlsKey) is not null && !tls) return ReshError.Usage("tls_key needs tls_cert.", "Give tls_cert=FILE.pem with tls_key=FILE.key.");
        if (ctx.Get(ClientCa) is not null && !tls) return ReshError.Usage("client_ca needs TLS.", "Give tls_cert (and tls_key) with client_ca.");
        if (!tls && !IPAddress.IsLoopback(endPoint.Address) && !ctx.Get(AllowPlaintext))
            return ReshError.Usage($"{endPoint} is not a loopback address, and without TLS the API tokens would cross the network in clear.",
                "Give tls_cert (and tls_key), or allow_plaintext=true behind a TLS proxy, or listen on 127.0.0.1.");
        if (ctx.Get(McpOrigin).Count > 0 && !ctx.Get(Mcp)) return ReshError.Usage("mcp_origin needs mcp=true.", "Add --mcp.");

        var stateDir = ServiceUnitInstall.StateDir(ctx.Get(StateDir)!);
        var files = new List<(string Flag, string Path)>();
        foreach (var (flag, arg) in new[] { ("--tls-cert", TlsCert), ("--tls-key", TlsKey), ("--client-ca", ClientCa) })
            if (ctx.Get(arg) is { } f) files.Add((flag, ServiceUnitInstall.ExistingFile(f)));
        var config = ctx.Get(Config) is { } c ? ServiceUnitInstall.ExistingFile(c) : null;
        var writable = ServiceUnitInstall.Writable(ctx.Get(Writable));

        var exec = new List<string> { Environment.ProcessPath ?? "/usr/bin/resh", "serve", "--listen", listenText.Trim() };
        foreach (var (flag, path) in files) { exec.Add(flag); exec.Add(path); }
        if (ctx.Get(AllowPlaintext)) exec.Add("--allow-plaintext");
        if (ctx.Get(Mcp)) exec.Add("--mcp");
        foreach (var o in ctx.Get(McpOrigin)) { exec.Add("--mcp-origin"); exec.Add(o); }
        return await ServiceUnitInstall.InstallAsync(ctx, new ServiceUnitSpec(name, exec, $"resh serve on {listenText.Trim()}{(ctx.Get(Mcp) ? " (REST and MCP)" : "")}",
            stateDir, config, writable, ctx.Get(User), ctx.Get(Start), Sandbox)).ConfigureAwait(false);
    }
}

public sealed record ServeInstallResult(
    [property: Description("The unit (NAME.service).")] string Unit,
    [property: Description("The unit file written.")] string Path,
    [property: Description("Its ExecStart= as argv.")] IReadOnlyList<string> Exec,
    [property: Description("Unified diff of the unit file (the whole unit when new; null when nothing changed).")] string? Diff,
    [property: Description("True when it was enabled and started now (start=true).")] bool Started);
