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
        notes: "Without `time` every run changes the times (that is what touch is for); with an explicit `time` equal to the current times nothing changes.");

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

        // With follow, a dangling link reads as missing: touch creates the file it points to, as touch(1) does.
        var st = FileMetadata.StatOrNull(path, follow);
        bool created = st is null;
        if (created) FileParents.Ensure(ctx, FilePaths.ContentPath(path), create: false);
        if (!created && explicitTime && st!.Value.ModifyTime == when && st.Value.AccessTime == when)
            return new FileTouchResult(path, false, FileMetadata.Rfc3339(when), FileMetadata.Rfc3339(when));

        if (!ctx.DryRun)
        {
            if (created)
            {
                var target = FilePaths.ContentPath(path);
                FileErrors.Guard(path, "create", () =>
                {
                    using var fs = new FileStream(target, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write,
                        UnixCreateMode = (UnixFileMode)0x1B6 /* 0666 minus the umask, as touch */ });
                });
            }
            FileErrors.Check(FileNative.SetTimes(path, when, when, follow), path, "set the times of");
        }
        return Outcome.Changed(new FileTouchResult(path, created, FileMetadata.Rfc3339(when), FileMetadata.Rfc3339(when)));
    }
}
