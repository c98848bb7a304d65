using Resh.Core.Config;
using Resh.Core.Output;

namespace Resh.Core.Execution;

/// <summary>Process-wide services shared by every call: paths, lazily loaded config, stderr logging and progress.</summary>
public sealed class ReshRuntime
{
    readonly Lazy<ReshConfig> _config;

    public ReshRuntime(ReshPaths paths, string? configOverride, bool verbose, bool quiet, TextWriter stderr, bool stderrIsTerminal, bool color,
        ConfigFile? configFile = null)
    {
        Paths = paths;
        Verbose = verbose;
        Quiet = quiet;
        Stderr = stderr;
        StderrIsTerminal = stderrIsTerminal;
        Color = color;
        _configFile = configFile;
        _config = new Lazy<ReshConfig>(() => configFile is not null ? configFile.Config : ReshConfig.Load(paths, configOverride));
    }

    readonly ConfigFile? _configFile;

    /// <summary>The config's <c>[defaults]</c> table (null without one); batch requests bind argument defaults from it.</summary>
    public System.Text.Json.Nodes.JsonObject? Defaults => _configFile?.Defaults;

    public ReshPaths Paths { get; }
    /// <summary>The config file, read the first time something asks for it (local file verbs never do).</summary>
    public ReshConfig Config => _config.Value;
    public bool Verbose { get; }
    public bool Quiet { get; }
    public TextWriter Stderr { get; }
    public bool StderrIsTerminal { get; }
    public bool Color { get; }
    /// <summary>How many hosts a fleet call runs at once (<c>--forks</c>); null means the handle's default.</summary>
    public int? Forks { get; init; }

    /// <summary>A diagnostic line on stderr under --verbose; never contains secrets (callers redact).</summary>
    public void Log(string message)
    {
        if (!Verbose) return;
        lock (Stderr) Stderr.WriteLine($"resh: {message}");
    }

    public ProgressBar CreateProgress(string label, long? total) =>
        new(label, total, StderrIsTerminal && !Quiet ? Stderr : null);
}
