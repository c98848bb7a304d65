using System.Globalization;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Values;

namespace Resh.Handles.Ssh.Transport;

/// <summary>
/// How resh drives OpenSSH for one call: the config file's <c>[ssh]</c> section
/// (<c>config</c>, <c>connect_timeout</c>, <c>control_persist</c>, <c>command_timeout</c>, <c>hostkey</c>,
/// <c>binary</c>, <c>binaries</c>, <c>inventory</c>, <c>keep_builds</c>, <c>max_answer_line</c>) plus the
/// call's own <c>hostkey</c> choice. Everything else comes from the user's ~/.ssh/config.
/// </summary>
public sealed class SshSettings
{
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultControlPersist = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromMinutes(10);

    /// <summary>An ssh_config file given to every ssh as <c>-F</c>; null means ~/.ssh/config as usual.</summary>
    public string? ConfigFile { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;
    public TimeSpan ControlPersist { get; init; } = DefaultControlPersist;
    /// <summary>How long a remote stage may run when no --timeout was given (streaming verbs excepted).</summary>
    public TimeSpan CommandTimeout { get; init; } = DefaultCommandTimeout;
    /// <summary><c>strict</c> (unknown or changed keys refused) or <c>accept-new</c> (unknown keys recorded, changed refused).</summary>
    public string HostKeyPolicy { get; init; } = "strict";
    /// <summary>The directory of ControlMaster sockets (0700), short enough for a unix socket path.</summary>
    public required string ControlDir { get; init; }
    /// <summary>The resh binary shipped to remote hosts (default: this process's own executable).</summary>
    public string? Binary { get; init; }
    /// <summary>Builds for other architectures (<c>[ssh.binaries] aarch64 = "PATH"</c>), keyed by <c>uname -m</c> spelling.</summary>
    public IReadOnlyDictionary<string, string> Binaries { get; init; } = new Dictionary<string, string>();
    /// <summary>How many resh builds the remote cache keeps per host (<c>[ssh] keep_builds</c>, default 3); older ones go when a new one is uploaded.</summary>
    public int KeepBuilds { get; init; } = 3;
    /// <summary>The longest line of a remote stage's answer resh reads (<c>[ssh] max_answer_line</c>, bytes, default 64 MiB).</summary>
    public long MaxAnswerLine { get; init; } = DefaultMaxAnswerLine;
    public const long DefaultMaxAnswerLine = 64L << 20;
    /// <summary>The local state directory (build-id cache).</summary>
    public required string StateDir { get; init; }

    public static SshSettings From(VerbContext ctx, string? hostKeyPolicy)
    {
        var section = ctx.Runtime.Config.Section("ssh");
        var state = ctx.Runtime.Paths.StateSubdir("ssh");
        var connect = Duration(section, "connect_timeout") ?? DefaultConnectTimeout;
        // --timeout caps the connection attempts too: ssh gives up connecting with time left to answer.
        if (ctx.TimeRemaining is { } left)
        {
            var cap = TimeSpan.FromSeconds(Math.Max(1, Math.Floor(left.TotalSeconds * 0.75)));
            if (cap < connect) connect = cap;
        }
        return new SshSettings
        {
            ConfigFile = ConfigFileOf(section),
            ConnectTimeout = connect,
            ControlPersist = Duration(section, "control_persist") ?? DefaultControlPersist,
            CommandTimeout = Duration(section, "command_timeout") ?? DefaultCommandTimeout,
            HostKeyPolicy = hostKeyPolicy ?? Str(section, "hostkey") ?? "strict",
            ControlDir = ControlDirFor(state),
            Binary = Path(section, "binary"),
            Binaries = BinariesOf(section),
            KeepBuilds = section?["keep_builds"] is JsonValue kb && kb.TryGetValue<long>(out var keep)
                ? keep is >= 1 and <= 100 ? (int)keep : throw ReshError.Usage("[ssh] keep_builds in the config file must be a number from 1 to 100.", null).ToException()
                : 3,
            StateDir = state,
            MaxAnswerLine = section?["max_answer_line"] is JsonValue ml && ml.TryGetValue<long>(out var maxLine)
                ? maxLine >= 1024 ? maxLine : throw ReshError.Usage("[ssh] max_answer_line in the config file must be a number of bytes, at least 1024.", null).ToException()
                : DefaultMaxAnswerLine,
        };
    }

    /// <summary>
    /// ssh binds the socket as ControlPath (dir + "/" + the 40-hex %C) plus a 17-character random
    /// suffix, and a unix socket path holds at most 107 bytes: when the state dir is too deep, a private
    /// dir under /tmp is used. Connections are shared per %C: local host, remote host, port, user and jump host.
    /// </summary>
    static string ControlDirFor(string state)
    {
        var dir = System.IO.Path.Combine(state, "cm");
        if (dir.Length + 1 + 40 + 17 <= 107)
        {
            ReshPaths.EnsurePrivateDir(dir);
            return dir;
        }
        // A shared /tmp: anyone can create this name first. It is used only if it is, after creation, a real
        // directory owned by us and closed to others (checked with lstat, so a planted symlink is refused too).
        var euid = Resh.Core.Platform.LibC.GetEUid();
        dir = $"/tmp/resh-ssh-{euid}";
        if (!Directory.Exists(dir)) ReshPaths.EnsurePrivateDir(dir);
        var st = Resh.Core.Platform.Posix.Stat(dir, follow: false, out _);
        string? wrong = st switch
        {
            null => "cannot be examined",
            { IsSymlink: true } => "is a symbolic link",
            { IsDirectory: false } => "is not a directory",
            { Uid: var owner } when owner != euid => $"belongs to another user (uid {owner})",
            { Permissions: var mode } when (mode & 0x3f) != 0 => $"is open to other users (mode {Convert.ToString(mode & 0xfff, 8)})",
            _ => null,
        };
        if (wrong is not null)
            throw ReshError.PermissionDenied($"{dir} {wrong}; refusing to put ssh control sockets there.",
                "Remove it (as root, after checking who made it), or set RESH_HOME to a shorter path so the sockets stay in resh's state directory.",
                new JsonObject { ["path"] = dir }).ToException();
        return dir;
    }

    /// <summary>[ssh.binaries]: architecture (x86_64, aarch64; amd64 and arm64 accepted) → path of a resh build for it.</summary>
    static Dictionary<string, string> BinariesOf(JsonObject? section)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (section?["binaries"] is null) return map;
        if (section["binaries"] is not JsonObject table)
            throw ReshError.Usage("[ssh] binaries in the config file must be a table such as { aarch64 = \"/opt/resh/resh-linux-arm64\" }.", null).ToException();
        foreach (var (key, _) in table)
        {
            var arch = Resh.Handles.Ssh.Remote.RemoteBuilds.Normalize(key)
                ?? throw ReshError.Usage($"[ssh.binaries] {key} in the config file is not an architecture resh is built for (x86_64, aarch64).", null).ToException();
            map[arch] = Path(table, key) ?? throw ReshError.Usage($"[ssh.binaries] {key} in the config file must be the path of a resh build.", null).ToException();
        }
        return map;
    }

    static string? Str(JsonObject? section, string key) => section?[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    /// <summary>The ssh_config of <c>[ssh] config</c> (given to ssh as -F), or null for ssh's own ~/.ssh/config: one rule for calls and completion.</summary>
    public static string? ConfigFileOf(JsonObject? section) => Path(section, "config");

    static string? Path(JsonObject? section, string key) => Str(section, key) is { } p
        ? p.StartsWith("~/", StringComparison.Ordinal) ? System.IO.Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/", p[2..]) : p
        : null;

    static TimeSpan? Duration(JsonObject? section, string key)
    {
        if (section?[key] is not JsonValue v) return null;
        if (v.TryGetValue<long>(out var secs)) return TimeSpan.FromSeconds(secs);
        if (v.TryGetValue<string>(out var s) && DurationValue.TryParse(s, out var t)) return t;
        throw ReshError.Usage($"[ssh] {key} in the config file must be a duration such as \"10s\".", null).ToException();
    }

    public static string Seconds(TimeSpan t) => Math.Max(1, (int)Math.Ceiling(t.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
