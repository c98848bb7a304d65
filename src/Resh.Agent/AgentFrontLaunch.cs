using System.Collections;
using System.IO.Compression;
using System.Text.Json;
using NATS.Client.Core;
using Resh.Core.Cli;
using Resh.Core.Platform;

namespace Resh.Agent;

/// <summary>
/// How `resh agent` becomes its front (issue 21; docs/agent.md "The front"): the native binary carries the small
/// front program compressed at its end (scripts/build-native.sh, section <see cref="Magic"/> read by
/// <see cref="AppendedData"/>). Once the config is read, the secrets resolved and NATS answered, the front goes into a
/// memfd and this process execs it, keeping its PID: the full image leaves memory. The front gets its settings (the
/// resolved credentials among them) as JSON in a second memfd whose number is its only argument, and a read-only
/// descriptor of this binary, which it runs as the worker (/proc/self/fd/N: this very binary even if the file is
/// replaced meanwhile). The environment variables the credentials came from (env: references) are not passed on.
/// </summary>
public sealed class AgentFrontLaunch
{
    static readonly byte[] Magic = "RESHFRNT"u8.ToArray();
    const long MaxFront = 32L << 20;
    /// <summary>Set to 0, `resh agent` runs in one process (no front).</summary>
    public const string UseVariable = "RESH_AGENT_FRONT";

    readonly byte[] _front;
    readonly SurfaceStart _start;
    readonly AgentSettings _settings;
    readonly NatsOpts _opts;
    readonly string _ready;
    readonly IReadOnlyList<string> _hidden;

    AgentFrontLaunch(byte[] front, SurfaceStart start, AgentSettings settings, NatsOpts opts, string ready, IReadOnlyList<string> hidden)
    {
        _front = front;
        _start = start;
        _settings = settings;
        _opts = opts;
        _ready = ready;
        _hidden = hidden;
    }

    /// <summary>The launch, or null with the reason the agent runs in one process.</summary>
    public static AgentFrontLaunch? Prepare(SurfaceStart start, AgentSettings settings, NatsOpts opts, string ready, IReadOnlyList<string> hidden, out string why)
    {
        why = "";
        if (Environment.GetEnvironmentVariable(UseVariable) == "0") { why = $"{UseVariable}=0"; return null; }
        if (AppendedData.Read("/proc/self/exe", Magic, MaxFront) is not { } packed)
        {
            why = "this binary carries no agent front (a build other than scripts/build-native.sh)";
            return null;
        }
        try
        {
            using var inflate = new ZLibStream(new MemoryStream(packed), CompressionMode.Decompress);
            using var front = new MemoryStream(packed.Length * 4);
            inflate.CopyTo(front);
            return new AgentFrontLaunch(front.ToArray(), start, settings, opts, ready, hidden);
        }
        catch (InvalidDataException e)
        {
            why = $"the agent front in this binary is damaged ({e.Message})";
            return null;
        }
    }

    /// <summary>Execs the front; returns only when that failed, with the reason (the caller then runs the agent in one process).</summary>
    public string Exec()
    {
        var front = MemfdExec.Create("resh-agent-front", _front, closeOnExec: true, out var errno);
        if (front < 0) return $"memfd_create refused the agent front (errno {errno})";
        var self = LibC.Open("/proc/self/exe", LibC.O_RDONLY, 0); // inherited by the front, and by it by every worker
        if (self < 0) { LibC.Close(front); return "this binary cannot be opened again through /proc/self/exe"; }
        var settings = MemfdExec.Create("resh-agent-settings", Settings(self), closeOnExec: false, out errno);
        if (settings < 0) { LibC.Close(front); LibC.Close(self); return $"memfd_create refused the agent's settings (errno {errno})"; }
        var secrets = _settings.SecretVariables().ToHashSet(StringComparer.Ordinal);
        var env = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
            if (e.Key is string k && !secrets.Contains(k) && k != AgentWorker.Variable) env.Add(k + "=" + e.Value);
        _start.IO.Stderr.Flush();
        _start.IO.Stdout.Flush();
        var argv0 = Environment.GetCommandLineArgs().FirstOrDefault() ?? "resh";
        errno = MemfdExec.Exec($"/proc/self/fd/{front}", [argv0, "--settings-fd", settings.ToString(System.Globalization.CultureInfo.InvariantCulture)], env);
        LibC.Close(front);
        LibC.Close(self);
        LibC.Close(settings);
        return $"the agent front could not be started (execve errno {errno})";
    }

    byte[] Settings(int self)
    {
        var inv = _start.Invocation;
        var worker = new List<string> { $"/proc/self/fd/{self}", "agent" };
        if (_start.Runtime.Config.Path is { } config) worker.AddRange(["--config", Path.GetFullPath(config)]);
        if (inv.Globals.DryRun) worker.Add("--dry-run");
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("url", _opts.Url);
            w.WriteString("name", _opts.Name);
            void Opt(string key, string? value) { if (value is not null) w.WriteString(key, value); }
            Opt("user", _opts.AuthOpts.Username);
            Opt("password", _opts.AuthOpts.Password);
            Opt("token", _opts.AuthOpts.Token);
            Opt("seed", _opts.AuthOpts.Seed);
            Opt("nkey", _opts.AuthOpts.NKey);
            Opt("creds_file", _opts.AuthOpts.CredsFile);
            w.WriteString("tls", _opts.TlsOpts.Mode switch { TlsMode.Require => "on", TlsMode.Disable => "off", _ => "auto" });
            Opt("ca", _opts.TlsOpts.CaFile);
            w.WriteString("host", _settings.Host);
            w.WriteString("ready", _ready);
            w.WriteStartArray("worker");
            foreach (var a in worker) w.WriteStringValue(a);
            w.WriteEndArray();
            w.WriteNumber("worker_idle_ms", (long)_settings.WorkerIdle.TotalMilliseconds);
            w.WriteStartArray("hidden");
            foreach (var h in _hidden) w.WriteStringValue(h);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
