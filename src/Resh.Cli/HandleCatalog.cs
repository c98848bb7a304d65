using System.Reflection;
using Resh.Core.Cli;
using Resh.Core.Meta;
using Resh.Core.Registry;

namespace Resh.Cli;

/// <summary>
/// The handles of this build, registered explicitly: adding a handle means adding one line here.
/// Each is a factory: a call builds only the handle its stage names.
/// </summary>
public static class HandleCatalog
{
    public static HandleRegistry Build()
    {
        var registry = new HandleRegistry();
        registry.Add("file", Resh.Handles.Files.FileHandle.Create);
        registry.Add("system", Resh.Handles.Sys.SystemHandle.Create);
        registry.Add("archive", Resh.Handles.Archive.ArchiveHandle.Create);
        Resh.Handles.Plugin.Sources.PluginSources.Register(Resh.Handles.Archive.PluginArchiveExtraction.Extract); // plugin://.install from archives (archive://'s safe extraction), git and a signed registry; update, search
        registry.Add("snapshot", Resh.Handles.Snapshot.SnapshotHandle.Create);
        registry.Add("fs", Resh.Handles.Fs.FsHandle.Create);
        registry.Add("ssh", () => Resh.Handles.Ssh.SshHandle.Create(registry));
        registry.Add("agent", () => Resh.Agent.AgentHandle.Create(registry)); // fleets over NATS: agent://FILTER/STAGE (resh agent on each host)
        registry.Add("proc", Resh.Handles.Proc.ProcHandle.Create);
        registry.Add("lock", Resh.Handles.Lock.LockHandle.Create);
        Resh.Handles.Lock.LockTarget.RedisProvider = Resh.Handles.Cache.Lock.RedisLockBackend.ConnectAsync; // lock://PROFILE/NAME on Redis (the cache project owns Redis)
        Resh.Handles.Mq.MqTarget.NatsProvider = Resh.Handles.Nats.Mq.NatsMqBackend.ConnectAsync; // mq://HOST:PORT/Q and mq://PROFILE/Q on NATS JetStream (its own project)
        Resh.Handles.Mq.MqTarget.RedisProvider = Resh.Handles.Cache.Mq.RedisMqBackend.ConnectAsync; // mq://... backend=redis and [mq.NAME] url = "redis://..." on Redis Streams (the cache project owns Redis)
        Resh.Handles.Mq.MqTarget.MqttProvider = Resh.Handles.Mqtt.Mq.MqttMqBackend.ConnectAsync; // backend=mqtt, url = "mqtt://..." on an MQTT 5 broker (its own project)
        registry.Add("log", Resh.Handles.Log.LogHandle.Create);
        registry.Add("mq", Resh.Handles.Mq.MqHandle.Create);
        registry.Add("event", Resh.Handles.Event.EventHandle.Create);
        Resh.Handles.Event.EventLogs.NatsProvider = Resh.Handles.Nats.Event.NatsEventLog.ConnectAsync; // [events] backend = "nats": the trail on a JetStream stream (its own project)
        Resh.Core.Execution.ReshRuntime.ChangeRecorder = Resh.Handles.Event.EventRecorder.Record; // [events] record = true: changed calls become events
        registry.Add("svc", Resh.Handles.Svc.SvcHandle.Create);
        registry.Add("cron", Resh.Handles.Cron.CronHandle.Create);
        registry.Add("backup", Resh.Handles.Backup.BackupHandle.Create);
        registry.Add("secret", Resh.Handles.Secret.SecretHandle.Create);
        registry.Add("cert", Resh.Handles.Cert.CertHandle.Create);
        Resh.Core.Secrets.SecretStore.Provider = Resh.Handles.Secret.SecretHandle.ReferenceStore; // secret:NAME in any secret-typed argument
        registry.Add("user", Resh.Handles.User.UserHandle.Create);
        registry.Add("firewall", Resh.Handles.Firewall.FirewallHandle.Create);
        registry.Add("pkg", Resh.Handles.Pkg.PkgHandle.Create);
        registry.Add("http", () => Resh.Handles.Net.Http.HttpHandle.Create("http"));
        registry.Add("https", () => Resh.Handles.Net.Http.HttpHandle.Create("https"));
        registry.Add("dns", Resh.Handles.Dns.DnsHandle.Create);
        registry.Add("net", Resh.Handles.Net.Network.NetHandle.Create);
        registry.Add("webhook", Resh.Handles.Net.Webhook.WebhookHandle.Create);
        registry.Add("mail", Resh.Handles.Mail.MailHandle.Create);
        registry.Add("cache", Resh.Handles.Cache.CacheHandle.Create);
        registry.Add("config", Resh.Handles.Config.ConfigHandle.Create);
        registry.Add("template", Resh.Handles.Template.TemplateHandle.Create);
        registry.Add("git", Resh.Handles.Git.GitHandle.Create);
        registry.Add("plugin", Resh.Handles.Plugin.PluginHandle.Create);
        Resh.Handles.Plugin.PluginHandles.Attach(registry); // installed plugins: asked only for schemes no built-in has, and by listings
        Resh.Surfaces.Mcp.McpHttpTransport.RefreshPlugins = Resh.Handles.Plugin.PluginHandles.Changed; // resh serve --mcp: a change by another process
        Resh.Handles.Plugin.PluginSchema.Validator = Resh.Handles.Config.SchemaValidation.Problems; // plugin://.test checks with config://'s validator
        registry.Add(HandleRegistry.MetaScheme, () => MetaHandle.Create(registry, BuildInfo(),
            [Resh.Surfaces.Mcp.McpCommand.Declaration(), Resh.Surfaces.Serve.ServeCommand.Declaration(), Resh.Surfaces.Serve.ServeInstall.Declaration(),
             .. Resh.Surfaces.Serve.TokenVerbs.Create(), Resh.Agent.AgentCommand.Declaration(), Resh.Agent.AgentInstall.Declaration(), .. Resh.Agent.AgentKeyVerbs.Create(),
             Resh.Surfaces.Shell.ShellCommand.Declaration()]));
        return registry;
    }

    /// <summary>The server surfaces by meta verb name (ReshApp asks only after parsing a meta verb).</summary>
    public static SurfaceCommand? Surface(string verb) => verb switch
    {
        "mcp" => start => Resh.Surfaces.Mcp.McpCommand.RunAsync(start, BuildInfo().Version),
        "serve" => start => Resh.Surfaces.Serve.ServeCommand.RunAsync(start, BuildInfo().Version),
        "agent" => start => Resh.Agent.AgentCommand.RunAsync(start, BuildInfo().Version),
        "shell" => start => Resh.Surfaces.Shell.ShellCommand.RunAsync(start, Surface), // the interactive shell (docs/shell.md)
        _ => null,
    };

    static BuildInfo BuildInfo()
    {
        var informational = typeof(HandleCatalog).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var parts = informational.Split('+');
        var date = typeof(HandleCatalog).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "BuildDate")?.Value;
        return new BuildInfo(parts[0], parts.ElementAtOrDefault(1) ?? "dev", string.IsNullOrEmpty(date) ? null : date);
    }
}
