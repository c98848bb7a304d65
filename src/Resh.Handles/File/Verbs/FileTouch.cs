using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileTouch
{
    static readonly Arg<string?> Time = Arg.String("time", "Set access and modification times to this RFC 3339 instant instead of now.",
        examples: ["2024-01-31T12:00:00Z", "2024-01-31T12:00:00.5+01:00"]);
    static readonly Arg<bool> Follow = Arg.Bool("follow", "When the path is a symlink, touch what it points to; false sets the link's own times (touch -h).", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("touch", Effect.Mutate,
        "Create an empty file if missing, and set its access and modification times.",
        [Time, Follow], () => FileJson.Default.FileTouchResult, Run,
        examples:
        [
            new("file:///var/run/app.stamp.touch", "Create it, or set its times to now."),
            new("file:///srv/site/index.html.touch time=2024-01-31T12:00:00Z", "Pin the times (a second run is `changed: false`)."),
        ],
        notes: "Without `time` every run changes the times (that is what touch is for); with an explicit `time` equal to the current times nothing changes.").WithPathConfinement();

    static Outcome<FileTouchResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var follow = ctx.Get(Follow);
        DateTimeOffset when;
        bool explicitTime = ctx.Get(Time) is not null;
        if (ctx.Get(Time) is { } text)
        {
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out when))
                return ReshError.Usage($"`{text}` is not an RFC 3339 time.", "Example: time=2024-01-31T12:00:00Z");
        }
        else when = DateTimeOffset.UtcNow;

        // With follow, a dangling link reads as missing: touch creates the file it points to, as touch(1) does
        // (resh follows the link itself, under the fs.protected_symlinks rule).
        if (Path.GetDirectoryName(path) is { } parent && FileParents.Missing(parent).Count > 0)
            return ReshError.NotFound($"The directory {FilePaths.Display(parent)} does not exist.", $"Create it first: resh file://{FilePaths.Display(parent)}.mkdir",
                new System.Text.Json.Nodes.JsonObject { ["path"] = FilePaths.Display(path) });
        using var target = WriteTarget.Open(path, follow, "touch");
        var st = target.Existing;
        bool created = st is null;
        if (!created && explicitTime && st!.Value.ModifyTime == when && st.Value.AccessTime == when)
            return new FileTouchResult(FilePaths.Display(path), false, FileMetadata.Rfc3339(when), FileMetadata.Rfc3339(when));

        if (!ctx.DryRun)
        {
            if (created)
            {
                var fd = Posix.OpenAt(target.DirFd, target.Name, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_NOCTTY, 0x1B6 /* 0666 minus the umask, as touch */);
                if (fd < 0) throw FileErrors.Throw(-fd, path, "create");
                Posix.Close(fd);
            }
            var (sec, nsec) = Timespec(when);
            FileErrors.Check(Posix.SetTimesAt(target.DirFd, target.Name, sec, nsec, sec, nsec, follow: false), path, "set the times of");
        }
        return Outcome.Changed(new FileTouchResult(FilePaths.Display(path), created, FileMetadata.Rfc3339(when), FileMetadata.Rfc3339(when)));
    }

    static (long Sec, long Nsec) Timespec(DateTimeOffset t)
    {
        var ticks = t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var sec = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rem);
        if (rem < 0) { sec--; rem += TimeSpan.TicksPerSecond; }
        return (sec, rem * 100);
    }
}
