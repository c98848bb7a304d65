using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Log;

public static class LogRotate
{
    static readonly Arg<long?> Keep = Arg.Int("keep", "How many rotated copies to keep (NAME.1 ... NAME.keep); older ones are removed. 0 keeps none.", 5, min: 0, max: 1000);
    static readonly Arg<long?> Size = Arg.Size("size", "Rotate only when the file is at least this big.", examples: ["100MiB", "1GB"]);
    static readonly Arg<TimeSpan?> Age = Arg.Duration("age", "Rotate only when the last rotation (NAME.1's time) is at least this old, or there is none.", examples: ["1d", "7d"]);
    static readonly Arg<string?> Compress = Arg.Enum("compress", "Compress rotated copies (gzip: NAME.1.gz; zstd: NAME.1.zst, faster and smaller, read by log:// and `zstdcat`).", ["gzip", "zstd", "none"], "gzip");
    static readonly Arg<bool> DelayCompress = Arg.Bool("delay_compress", "Leave the newest copy (NAME.1) plain and compress it at the next rotation, for writers that keep the old file open until signalled.");
    static readonly Arg<string?> Mode = Arg.Enum("mode", "rename: move the file to NAME.1 and create a new empty one (writers must reopen: give signal=); copytruncate: copy it and truncate it in place (for writers that cannot reopen; lines written during the copy can be lost).",
        ["rename", "copytruncate"], "rename");
    static readonly Arg<bool> Force = Arg.Bool("force", "Rotate even when size=/age= say it is not due, and even when the file is empty.");
    static readonly Arg<string?> PidFile = Arg.String("pid_file", "After a rename rotation, signal the process whose PID this file holds (so it reopens its log).", path: PathUse.Read, examples: ["/run/nginx.pid"]);
    static readonly Arg<string?> Signal = Arg.Enum("signal", "The signal for pid_file=.", ["HUP", "USR1", "USR2"], "HUP");

    public static readonly VerbInfo Verb = VerbInfo.Define("rotate", Effect.Mutate,
        "Rotate a log file: NAME → NAME.1(.gz), older copies shifted, more than keep= removed; by size or age, by rename (and signal) or copytruncate.",
        [Keep, Size, Age, Compress, DelayCompress, Mode, Force, PidFile, Signal], () => LogJson.Default.LogRotateResult, RunAsync,
        examples:
        [
            new("log:///var/log/app.log.rotate size=100MiB keep=7", "Only when it reached 100 MiB: app.log → app.log.1.gz, keeping seven copies."),
            new("'log:///var/log/nginx/access.log.rotate(age=1d,pid_file=/run/nginx.pid,signal=USR1)'", "Daily, then nginx is told to reopen its logs."),
            new("log:///srv/app/out.log.rotate mode=copytruncate keep=3", "For a writer that cannot reopen its file."),
        ],
        notes: "The file and its copies are handled by name in their directory without following symbolic links: a log path or a copy that is a link is refused, "
            + "so a link planted in a log directory cannot make rotation clobber another file. The new file of a rename rotation keeps the old one's mode and owner. "
            + "An empty file is left alone unless force=true. Under --dry-run nothing changes and the result says what would happen.",
        targetHelp: "One log file: log:///var/log/app.log");

    static ValueTask<Outcome<LogRotateResult>> RunAsync(VerbContext ctx) => ValueTask.FromResult(Run(ctx));

    static Outcome<LogRotateResult> Run(VerbContext ctx)
    {
        var source = LogSource.Of(ctx);
        if (source.Kind != LogSourceKind.File) return ReshError.Unsupported("rotate works on files.", "Example: log:///var/log/app.log.rotate keep=5");
        var path = source.Path!;
        if (path.IndexOfAny(['*', '?', '[']) >= 0) return ReshError.Usage("rotate takes one file, not a glob.", "Rotate each file in its own call.");
        var display = source.Display;
        // s31 review: a directory link on the way (/var/log/app -> /etc) made rotation rename and create files where it led.
        LogWrite.ResolveNoLinks(path, "rotate").Dispose();
        var st = Posix.Stat(path, false, out var errno);
        if (st is null)
            return errno == Posix.ENOENT ? ReshError.NotFound($"{display} does not exist.", "Check the path.") : LogRotation.Fail(errno, display, "read").Error;
        if (st.Value.IsSymlink)
            return ReshError.Usage($"{display} is a symbolic link; rotation does not follow links.", $"Rotate the file it points to, if you trust it: log://{Posix.ReadLink(path, out _) ?? "TARGET"}.rotate");
        if (!st.Value.IsRegular) return ReshError.Usage($"{display} is a {st.Value.TypeName}, not a log file.", "Rotate a regular file.");

        var keep = (int)(ctx.Get(Keep) ?? 5);
        var mode = ctx.Get(Mode) ?? "rename";
        var compression = ctx.Get(Compress) switch { "zstd" => LogCompression.Zstd, "none" => LogCompression.None, _ => LogCompression.Gzip };
        var delay = ctx.Get(DelayCompress);
        var rotation = new LogRotation(path);
        var size = st.Value.Size;

        // Is it due?
        string reason;
        if (ctx.Get(Force)) reason = "force";
        else if (size == 0) return Outcome.Unchanged(new LogRotateResult(display, false, "empty", mode, null, 0, []));
        else
        {
            var bySize = ctx.Get(Size);
            var byAge = ctx.Get(Age);
            bool sizeDue = bySize is { } min && size >= min;
            DateTimeOffset? lastRotation = rotation.Existing(1) is { } prev ? Posix.Stat(prev, false, out _)?.ModifyTime : null;
            bool ageDue = byAge is { } age && (lastRotation is not { } when || DateTimeOffset.UtcNow - when >= age);
            if (bySize is null && byAge is null) reason = "asked";
            else if (sizeDue) reason = "size";
            else if (ageDue) reason = "age";
            else
                return Outcome.Unchanged(new LogRotateResult(display, false, bySize is not null && byAge is null ? "smaller than size=" : "not due", mode, null, size, []));
        }

        // Every copy name must be a plain file (or absent): a link among them is refused before anything moves.
        for (int k = 1; k <= Math.Max(keep, 1) + 1; k++)
            foreach (var kind in LogRotation.Kinds)
                if (Posix.Stat(rotation.Numbered(k, kind), false, out _) is { } c && !c.IsRegular)
                    return ReshError.Usage($"{rotation.Numbered(k, kind)} is a {c.TypeName}, not a rotated copy.", "Remove it, then rotate again.");

        var first = rotation.Numbered(1, delay ? LogCompression.None : compression);
        if (ctx.DryRun)
        {
            var wouldRemove = rotation.Shift(keep, dryRun: true);
            return Outcome.Changed(new LogRotateResult(display, true, reason, mode, keep == 0 ? null : first, size, wouldRemove));
        }

        var removed = rotation.Shift(keep, dryRun: false);
        string? rotatedTo = null;
        if (mode == "copytruncate")
        {
            if (keep > 0)
            {
                CopyTo(path, rotation.Numbered(1, LogCompression.None), st.Value);
                rotatedTo = rotation.Numbered(1, LogCompression.None);
            }
            var h = Posix.OpenHandle(Posix.AT_FDCWD, path, Posix.O_WRONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC | Posix.O_NONBLOCK, 0, out errno) ?? throw LogRotation.Fail(errno, display, "truncate");
            using (h) { var rc = Posix.FTruncate((int)h.DangerousGetHandle(), 0); if (rc != 0) throw LogRotation.Fail(rc, display, "truncate"); }
        }
        else
        {
            if (keep > 0)
            {
                var rc = Posix.RenameAt(Posix.AT_FDCWD, path, Posix.AT_FDCWD, rotation.Numbered(1, LogCompression.None));
                if (rc != 0) throw LogRotation.Fail(rc, display, "rename");
                rotatedTo = rotation.Numbered(1, LogCompression.None);
            }
            else
            {
                var rc = Posix.UnlinkAt(Posix.AT_FDCWD, path, false);
                if (rc != 0) throw LogRotation.Fail(rc, display, "remove");
            }
            CreateLike(path, st.Value);
            if (ctx.Get(PidFile) is { } pidFile) SignalWriter(ctx, Resh.Handles.Files.FilePaths.ResolveArg(ctx, pidFile, "pid_file"), ctx.Get(Signal) ?? "HUP");
        }
        if (compression != LogCompression.None)
        {
            if (!delay && rotatedTo is not null) rotatedTo = LogRotation.Compress(rotatedTo, compression, ctx.Cancellation);
            else if (delay && rotation.Existing(2) is { } second && LogCompressions.Of(second) == LogCompression.None) LogRotation.Compress(second, compression, ctx.Cancellation);
        }
        return Outcome.Changed(new LogRotateResult(display, true, reason, mode, rotatedTo is null ? null : Resh.Handles.Files.FilePaths.Display(rotatedTo), size, removed));
    }

    static void CopyTo(string from, string to, FileStatus st)
    {
        var src = Posix.OpenHandle(Posix.AT_FDCWD, from, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0, out var errno) ?? throw LogRotation.Fail(errno, from, "read");
        using (src)
        {
            var dst = Posix.OpenHandle(Posix.AT_FDCWD, to, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, st.Permissions, out errno)
                ?? throw LogRotation.Fail(errno, to, "create");
            try
            {
                using var output = new FileStream(dst, FileAccess.Write, 0);
                using var input = new FileStream(src, FileAccess.Read, 0);
                input.CopyTo(output, 1 << 20);
                output.Flush(flushToDisk: true);
                Posix.FChown((int)dst.DangerousGetHandle(), st.Uid, st.Gid);
            }
            catch
            {
                // A full disk (s31 review): no partial copy is left behind, and the log itself was not truncated yet.
                File.Delete(to);
                throw;
            }
        }
    }

    static void CreateLike(string path, FileStatus st)
    {
        var h = Posix.OpenHandle(Posix.AT_FDCWD, path, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, st.Permissions, out var errno)
            ?? throw LogRotation.Fail(errno, path, "create");
        using (h)
        {
            var fd = (int)h.DangerousGetHandle();
            Posix.FChmod(fd, st.Permissions);
            Posix.FChown(fd, st.Uid, st.Gid);
        }
    }

    static void SignalWriter(VerbContext ctx, string pidFile, string signal)
    {
        string text;
        try { text = File.ReadAllText(pidFile).Trim(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ctx.Warn($"Rotated, but the writer was not signalled: cannot read {pidFile} ({ex.Message}).");
            return;
        }
        if (!int.TryParse(text, out var pid) || pid <= 1)
        {
            ctx.Warn($"Rotated, but the writer was not signalled: {pidFile} does not hold a PID.");
            return;
        }
        // s31 review: the pid file is often the service user's to write; root must not signal whatever PID it names.
        // The process must belong to the pid file's owner (a root-owned pid file may name any process).
        var fileOwner = Posix.Stat(pidFile, follow: false, out _)?.Uid;
        var procOwner = Posix.Stat($"/proc/{pid}", follow: false, out _)?.Uid;
        if (fileOwner is null || procOwner is null)
        {
            ctx.Warn($"Rotated, but the writer was not signalled: PID {pid} from {pidFile} is not running (or {pidFile} is a link).");
            return;
        }
        if (fileOwner != 0 && procOwner != fileOwner)
        {
            ctx.Warn($"Rotated, but PID {pid} was not signalled: it runs as uid {procOwner}, while {pidFile} belongs to uid {fileOwner}; a pid file may only name its owner's processes.");
            return;
        }
        var sig = signal switch { "USR1" => 10, "USR2" => 12, _ => 1 };
        if (LibC.Kill(pid, sig) != 0) ctx.Warn($"Rotated, but signalling PID {pid} with SIG{signal} failed (is it running?).");
    }
}
