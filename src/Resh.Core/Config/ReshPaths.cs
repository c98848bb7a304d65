using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Core.Config;

/// <summary>Config and state locations of SPEC §7.</summary>
public sealed class ReshPaths
{
    public ReshPaths(Func<string, string?> env, bool isRoot)
    {
        var home = env("HOME") ?? "/root";
        Home = home;
        var explicitConfig = env("RESH_CONFIG");
        var xdgConfig = env("XDG_CONFIG_HOME") is { Length: > 0 } x ? x : Path.Combine(home, ".config");
        ConfigCandidates = explicitConfig is { Length: > 0 }
            ? [explicitConfig]
            : [Path.Combine(xdgConfig, "resh", "config.toml"), "/etc/resh/config.toml"];
        ExplicitConfig = explicitConfig is { Length: > 0 };

        var reshHome = env("RESH_HOME");
        if (reshHome is { Length: > 0 }) StateDir = reshHome;
        else if (isRoot) StateDir = "/var/lib/resh";
        else StateDir = Path.Combine(env("XDG_DATA_HOME") is { Length: > 0 } d ? d : Path.Combine(home, ".local", "share"), "resh");
    }

    public static ReshPaths FromEnvironment() => new(Environment.GetEnvironmentVariable, LibC.GetEUid() == 0);

    public string Home { get; }
    /// <summary>Files tried in order; the first that exists is the config.</summary>
    public IReadOnlyList<string> ConfigCandidates { get; }
    public bool ExplicitConfig { get; }
    public string StateDir { get; }

    /// <summary>A subdirectory of the state dir, created 0700 on first use.</summary>
    public string StateSubdir(string name)
    {
        var dir = Path.Combine(StateDir, name);
        EnsurePrivateDir(StateDir);
        EnsurePrivateDir(dir);
        return dir;
    }

    /// <summary>
    /// <see cref="StateSubdir"/> for state a verb cannot work without (lock leases, queues): a directory that cannot be
    /// made is `permission_denied` naming the state dir and RESH_HOME, not a bare path error.
    /// </summary>
    public string RequiredStateSubdir(string name)
    {
        var dir = Path.Combine(StateDir, name);
        try
        {
            EnsurePrivateDir(StateDir);
            EnsurePrivateDir(dir);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            // A daemon account's HOME is often /nonexistent: name the state dir and the way out, not a bare path error.
            throw ReshError.PermissionDenied($"resh cannot create its state directory {dir}: {ex.Message}",
                "Set RESH_HOME to a directory this user may write (state: locks, queues, caches, the audit trail), or give the user a home.",
                new System.Text.Json.Nodes.JsonObject { ["state_dir"] = StateDir, ["reason"] = ex.Message }).ToException();
        }
        return dir;
    }

    public static void EnsurePrivateDir(string dir)
    {
        if (Directory.Exists(dir)) return;
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
