using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cron;

/// <summary>Where cron keeps its tables, below an optional root (for images, chroots and tests).</summary>
internal sealed record CronLocations(string Root)
{
    public static readonly Arg<string?> RootArg = Arg.String("root", "Treat this directory as / for crontab locations (spool, /etc/crontab, /etc/cron.d).", "/",
        examples: ["/mnt/image"], path: PathUse.Read);

    public static CronLocations From(VerbContext ctx) => new(Path.GetFullPath(ctx.Get(RootArg) ?? "/"));

    public bool IsHostRoot => Root == "/";
    public string Spool => Path.Combine(Root, "var/spool/cron/crontabs");
    public string SystemCrontab => Path.Combine(Root, "etc/crontab");
    public string CronD => Path.Combine(Root, "etc/cron.d");
    public string UserCrontab(string user) => Path.Combine(Spool, user);

    /// <summary>
    /// The 0600 file a job's line sources for its secret environment: under root's /etc/resh/cron (below
    /// root=) when resh may write there, else in the user's own ~/.config/resh/cron.
    /// </summary>
    public string SecretEnvFile(string id, string user)
    {
        if (Resh.Core.Platform.LibC.GetEUid() == 0 || !IsHostRoot) return Path.Combine(Root, "etc/resh/cron", id + ".env");
        var home = Resh.Core.Platform.Users.User(user)?.Home ?? Environment.GetEnvironmentVariable("HOME") ?? "/";
        return Path.Combine(home, ".config/resh/cron", id + ".env");
    }

    static readonly Dictionary<string, Resh.Core.Platform.DirHandle> Opened = new(StringComparer.Ordinal);

    /// <summary>
    /// The path to read or write a location by. On the host it is the path itself. Below root= (an image, which
    /// may hold symbolic links pointing at the host's own /etc or spool) the directories are opened one component
    /// at a time without following links (missing ones created 0700 when create is set) and the file is named
    /// through that handle; a symbolic link on the way is refused, and a missing directory gives a path that does
    /// not exist. The handles stay open for the process (a few per root).
    /// </summary>
    public string Access(string path, bool create = false, int dirMode = 0x1ed)
    {
        if (IsHostRoot) return path;
        var rel = Path.GetRelativePath(Root, path);
        if (!Resh.Core.Platform.DirHandle.IsPlainRelative(rel))
            throw new IOException($"{path} is not below root {Root}.");
        var dir = Path.GetDirectoryName(rel) ?? "";
        var handle = DirBeneath(dir, create, dirMode);
        if (handle is null) return Path.Combine("/nonexistent-resh", rel);
        var name = Path.GetFileName(rel);
        // A symbolic link as the file itself is refused too (reads would follow it; renames replace it anyway).
        if (Resh.Core.Platform.Posix.Stat(handle.PathOf(name), follow: false, out _) is { IsSymlink: true })
            throw new IOException($"{path} is a symbolic link below root {Root}; refusing to follow it.");
        return handle.PathOf(name);
    }

    /// <summary>A directory below root by a path that resolves through a no-follow handle (see <see cref="Access"/>).</summary>
    public string AccessDir(string path, bool create = false)
    {
        if (IsHostRoot) return path;
        var rel = Path.GetRelativePath(Root, path);
        return DirBeneath(rel == "." ? "" : rel, create, 0x1ed) is { } h ? h.PathOf("").TrimEnd('/') : "/nonexistent-resh";
    }

    Resh.Core.Platform.DirHandle? DirBeneath(string rel, bool create, int mode)
    {
        lock (Opened)
        {
            var key = Root + "\0" + rel;
            if (Opened.TryGetValue(key, out var h)) return h;
            if (!Opened.TryGetValue(Root + "\0", out var root)) Opened[Root + "\0"] = root = Resh.Core.Platform.DirHandle.Open(Root);
            var d = root.OpenBeneath(rel, create, mode);
            if (d is not null) Opened[key] = d;
            return d;
        }
    }
}
