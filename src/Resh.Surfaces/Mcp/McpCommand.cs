using System.Text.Json.Serialization;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Model;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// `resh mcp`: declared as a verb of the hidden resh handle (so its flags are parsed, validated and documented like
/// any verb's), run by ReshApp as a server surface that owns stdin and stdout until EOF.
/// </summary>
public static class McpCommand
{
    static readonly Arg<bool> ReadOnly = Arg.Bool("read_only", "List and allow only verbs that read (effect read).");
    static readonly Arg<IReadOnlyList<string>> Allow = Arg.List("allow",
        "Only these verbs: globs of handle.verb, optionally :TARGET (svc.*, file.read, 'file.read:file:///var/log/**'); a TARGET also holds for the call's path arguments (to=, output=...), and ssh patterns for `host`. Repeat the flag for more.");
    static readonly Arg<IReadOnlyList<string>> Deny = Arg.List("deny", "Never these verbs (same patterns as --allow); deny wins over allow.");
    static readonly Arg<bool> AllowDestructive = Arg.Bool("allow_destructive",
        "Run verbs of effect destroy without asking; by default they are confirmed through MCP elicitation, or refused when the client cannot ask.");

    static readonly Arg<IReadOnlyList<string>> AllowSecret = Arg.List("allow_secret",
        "Secret-store names (globs) that secret arguments may name as secret:NAME. Without it, secret arguments take only literal values over MCP; file:, env: and @ sources are always refused (the server would read them with its own rights).");

    static readonly Arg<bool> AllowReveal = Arg.Bool("allow_reveal",
        "Let clients set `reveal` (secret.get, config.get/diff/validate/convert) and see secret values in clear; without it `reveal` is not offered and is refused.");

    static readonly Arg<bool> AllowPluginReads = Arg.Bool("allow_plugin_reads",
        "With --read-only, also list and run plugin verbs whose manifest declares them read; without it --read-only offers no plugin verb (resh cannot check what a plugin's program does).");

    public static VerbInfo Declaration() => VerbInfo.Define("mcp", Effect.Mutate,
        "Serve every verb as a Model Context Protocol tool on stdin/stdout (an MCP server for AI agents).",
        [ReadOnly, Allow, Deny, AllowDestructive, AllowSecret, AllowReveal, AllowPluginReads], () => McpJson.Default.McpResult,
        _ => ReshError.Usage("mcp speaks the Model Context Protocol on stdin and stdout.", "Configure your MCP client to run: resh mcp --read-only"),
        notes: "One tool per verb (file_read, svc_restart, ...) with the verb's argument schema plus `target`, `host` (run through ssh://) and " +
               "`dry_run` on mutating verbs; each answer is the envelope. --dry-run makes every call a dry run; --timeout bounds each call. " +
               "Secret arguments take literal values only, or secret:NAME where --allow-secret allows it; --read-only also refuses arguments that write files, ssh.tunnel, and plugin verbs unless --allow-plugin-reads; `reveal` (secret values in clear) needs --allow-reveal. " +
               "Path arguments meet the target patterns as scheme://PATH; a call with `host` also meets the patterns naming all of ssh (ssh, ssh.*) as ssh://HOST, and a host expression that fans out passes only an --allow that names it literally. " +
               "Resources are the handles' docs (resh://docs/SCHEME); prompts are operator workflows. See docs/mcp.md.",
        examples:
        [
            new("mcp --read-only", "An MCP server that can only read."),
            new("mcp --allow 'svc.*' --allow file.read --deny svc.remove", "Services and file reads only, never svc.remove."),
        ]);

    /// <summary>After EOF, how long calls already read may run to give their answers (`printf ... | resh mcp` gets them all).</summary>
    public static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(60);

    /// <summary>Runs the server until stdin ends; the exit status is 0 after a clean EOF.</summary>
    public static async Task<int> RunAsync(SurfaceStart start, string version)
    {
        var inv = start.Invocation;
        if (Environment.GetEnvironmentVariable(McpToolTable.DumpVariable) is { Length: > 0 } dump)
        {
            // At build time (scripts/build-native.sh): the tools' JSON, to be appended to this binary.
            File.WriteAllBytes(dump, McpToolTable.Build(start.Registry));
            return 0;
        }
        McpPolicy policy;
        try
        {
            policy = new McpPolicy
            {
                ReadOnly = inv.Args!.Get(ReadOnly),
                AllowDestructive = inv.Args.Get(AllowDestructive),
                Allow = inv.Args.Get(Allow).Select(McpPolicy.Pattern.Parse).ToArray(),
                Deny = inv.Args.Get(Deny).Select(McpPolicy.Pattern.Parse).ToArray(),
                AllowSecret = inv.Args.Get(AllowSecret).Select(p => p.Trim()).Where(p => p.Length > 0).ToArray(),
                AllowReveal = inv.Args.Get(AllowReveal),
                AllowPluginReads = inv.Args.Get(AllowPluginReads),
                IsPlugin = start.Registry.IsPlugin,
                ForceDryRun = inv.Globals.DryRun,
                Timeout = inv.Globals.Timeout,
            };
        }
        catch (ReshException ex)
        {
            // A bad pattern is a usage envelope on stdout, like any bad flag; the server does not start.
            var env = Resh.Core.Output.Envelope.Failure(ex.Error, "resh", "mcp", "", inv.Globals.DryRun);
            var bytes = McpToolCall.EnvelopeBytes(env);
            start.IO.Stdout.Write(bytes);
            start.IO.Stdout.WriteByte((byte)'\n');
            start.IO.Stdout.Flush();
            return env.ExitStatus;
        }

        // A server surface records every call, allowed or refused, whatever [audit] says (SPEC §10, docs/security.md).
        start.Runtime.Audit ??= new Resh.Core.Audit.AuditTrail(start.Runtime.Paths, "mcp", Resh.Core.Audit.AuditTrail.LocalIdentity());
        var server = new McpServerInfo(start.Registry, start.Runtime, policy, version);
        var transport = new StdioTransport(start.IO.Stdin, start.IO.Stdout);
        var session = new McpSession(server, transport);
        System.Runtime.InteropServices.PosixSignalRegistration? sigint = null, sigterm = null;
        if (start.IO.HandleSignals)
        {
            // A blocked read of stdin does not see a token: a signal cancels the calls, gives them the grace, and exits
            // (SIGTERM is how MCP clients end a stdio server: status 0; Ctrl-C is `interrupted`, 130).
            void Stop(System.Runtime.InteropServices.PosixSignalContext c, int status)
            {
                c.Cancel = true;
                _ = Task.Run(async () =>
                {
                    await session.CloseAsync(TimeSpan.Zero, start.CancelGrace).ConfigureAwait(false);
                    Resh.Core.Platform.Cleanup.RunAll();
                    Environment.Exit(status);
                });
            }
            sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => Stop(c, 130));
            sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => Stop(c, 0));
        }
        start.Runtime.Log($"mcp: serving on stdio{(policy.ReadOnly ? ", read-only" : "")}{(policy.ForceDryRun ? ", dry-run" : "")}");
        try
        {
            await transport.RunAsync(session, CancellationToken.None).ConfigureAwait(false);
            await session.CloseAsync(DrainLimit, start.CancelGrace).ConfigureAwait(false);
        }
        finally
        {
            sigint?.Dispose();
            sigterm?.Dispose();
        }
        return 0;
    }
}

/// <summary>The declared result of `resh mcp` (it never answers with one: the server owns stdout).</summary>
public sealed record McpResult(int Requests);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(McpResult))]
internal sealed partial class McpJson : JsonSerializerContext;
