using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Log;

public static class LogFollow
{
    static readonly Arg<long?> Lines = Arg.Int("lines", "How many of the last lines to stream first (0: only new ones).", 0, min: 0, max: 100_000, aliases: ["n"]);
    static readonly Arg<long?> Count = Arg.Int("count", "Stop after this many lines (that pass pattern/level).", min: 1);

    public static readonly VerbInfo Verb = VerbInfo.Define("follow", Effect.Read,
        "Stream new lines of a log file, a glob of files or the journal as NDJSON events until --timeout, count= or Ctrl-C; survives rotation and truncation.",
        [Lines, Count, LogArgs.Pattern, LogArgs.IgnoreCase, LogArgs.Level, LogArgs.Format, LogArgs.MaxLine, LogArgs.Directory, LogArgs.Identifier],
        () => LogJson.Default.LogFollowResult, RunAsync,
        streams: true,
        examples:
        [
            new("log:///var/log/syslog.follow --timeout 1m", "Stream new lines for a minute: {\"event\":\"line\",\"text\":...} per line, then the envelope."),
            new("log:///var/log/app.log.follow pattern=ERROR count=1 --timeout 10m", "Wait for the first ERROR line, up to ten minutes."),
            new("log://journal/nginx.service.follow level=warning --timeout 1h", "nginx's warnings as they come."),
            new("'log:///var/log/nginx/*.log.follow' --timeout 10m", "Every nginx log at once, new files included; each line names its file."),
        ],
        notes: "A file is polled every 100 ms. When it is replaced (rename rotation: a new inode at the path) the rest of the old file is read, "
            + "a `rotated` event is emitted and the new file is read from its start; when it shrinks (copytruncate) a `truncated` event is emitted and it is read from the start. "
            + "A path that does not exist yet is waited for. A glob in the file name (log:///var/log/nginx/*.log) follows every matching file "
            + "(rotated copies such as NAME.1 or NAME.2.gz are not followed; at most 256 files), like tail -F: each line event names its file, "
            + "files there at the start are read from their end (after lines= of each), and files that appear later are picked up within a second and read from their start. "
            + "An end by --timeout is a normal end (`ended: \"timeout\"`).",
        targetHelp: "One file (log:///var/log/syslog), a glob of files (log:///var/log/nginx/*.log), log://journal or log://journal/UNIT.");

    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    static async ValueTask<Outcome<LogFollowResult>> RunAsync(VerbContext ctx)
    {
        var source = LogSource.Of(ctx);
        var filter = LogFilter.From(ctx, LogArgs.Pattern, LogArgs.IgnoreCase, LogArgs.Level, null, LogArgs.Format);
        var maxLine = LogArgs.LineLimit(ctx);
        long? stopAt = ctx.Get(Count);
        var backlog = (int)(ctx.Get(Lines) ?? 0);
        long emitted = 0;
        bool reachedCount = false;

        bool Emit(string text, LogEntry? e, bool cut, string? file)
        {
            if (filter.Pattern is { } p && !p.IsMatch(text)) return true;
            e ??= LogFormats.Parse(text, filter.Format, filter.Now);
            if (!filter.Passes(e, e.Time)) return true;
            var ev = new JsonObject { ["file"] = file, ["ts"] = e.Time is { } t ? LogTime.Format(t) : null, ["level"] = LogLevels.Name(e.Level), ["text"] = text };
            if (cut) ev["cut"] = true;
            ctx.Events.Emit("line", ev);
            emitted++;
            if (stopAt is { } max && emitted >= max) { reachedCount = true; return false; }
            return true;
        }

        if (source.Kind == LogSourceKind.Journal)
        {
            try
            {
                await JournalReader.ReadAsync(ctx, JournalReader.From(ctx, source, filter, backlog, true), maxLine, (e, text) => Emit(text, e, false, null)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ctx.TimedOut)
            {
                return new LogFollowResult(source.Display, emitted, "timeout", 0, 0);
            }
            return new LogFollowResult(source.Display, emitted, reachedCount ? "count" : "end", 0, 0);
        }
        if (source.Kind != LogSourceKind.File) return ReshError.Unsupported("follow reads a file or the journal.", "To filter stdin as it comes, use .search on log://-.");
        var path = source.Path!;
        var display = Resh.Handles.Files.FilePaths.Display(path);
        var glob = System.IO.Path.GetFileName(path).IndexOfAny(['*', '?', '[']) >= 0;
        if (System.IO.Path.GetDirectoryName(path) is { } dir && dir.IndexOfAny(['*', '?', '[']) >= 0)
            return ReshError.Usage("Only the last part of a log path may hold a glob.", "Example: log:///var/log/nginx/*.log.follow");

        var followed = new Dictionary<string, Followed>(StringComparer.Ordinal);
        bool capped = false;
        long rotations = 0, truncations = 0;
        // The glob's matches, plain files only (rotated copies are not followed); new ones are picked up at every rescan.
        void Scan(bool first)
        {
            foreach (var file in GlobMatches(path))
            {
                if (followed.ContainsKey(file)) continue;
                if (followed.Count >= MaxFiles)
                {
                    if (!capped) ctx.Warn($"More than {MaxFiles} files match {display}; the others are not followed.");
                    capped = true;
                    return;
                }
                var f = new Followed(file, maxLine, inGlob: true);
                followed[file] = f;
                // A file there at the start is followed from its end (after its backlog); one that appears later from its start, as tail -F does.
                try
                {
                    if (f.Tail.TryOpen(fromEnd: first))
                    {
                        if (first && backlog > 0) f.Backlog(backlog);
                    }
                    else if (f.Tail.OpenError == Posix.EACCES)
                        ctx.Warn($"This user may not read {f.Display}; it is followed once it can be read.");
                }
                catch (ReshException e)
                {
                    // A FIFO, socket or device among the matches is left alone (reading one could block or never end), not the end of the follow.
                    f.Drop(ctx, e);
                }
            }
        }
        try
        {
            if (glob) Scan(first: true);
            else
            {
                var only = new Followed(path, maxLine, inGlob: false);
                followed[path] = only;
                only.Tail.TryOpen(fromEnd: true);
                if (only.Tail.Handle is not null && backlog > 0) only.Backlog(backlog);
                else if (only.Tail.Handle is null && Posix.Stat(path, true, out var errno) is null && errno == Posix.EACCES)
                    return ReshError.PermissionDenied($"This user may not read {display}.", "Run as a user who may (root, or a member of the adm group for /var/log).");
            }
            // The backlog lines first, each file's in turn.
            foreach (var f in followed.Values)
                if (!f.Dropped && f.Tail.Handle is not null && !f.Tail.Drain((text, cut) => Emit(text, null, cut, f.Display))) return new LogFollowResult(display, emitted, "count", 0, 0);
            for (long poll = 1; ; poll++)
            {
                foreach (var f in followed.Values)
                {
                    if (f.Dropped) continue;
                    var (go, rotated, truncated) = f.Step(ctx, (text, cut) => Emit(text, null, cut, f.Display));
                    rotations += rotated;
                    truncations += truncated;
                    if (!go) return new LogFollowResult(display, emitted, "count", rotations, truncations);
                }
                if (glob && poll % RescanEvery == 0) Scan(first: false);
                await Task.Delay(Poll, ctx.Cancellation).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ctx.TimedOut)
        {
            foreach (var f in followed.Values.Where(f => !f.Dropped)) f.Tail.Flush((text, cut) => Emit(text, null, cut, f.Display));
            return new LogFollowResult(display, emitted, "timeout", rotations, truncations);
        }
        finally
        {
            foreach (var f in followed.Values) f.Tail.Dispose();
        }
    }

    /// <summary>Most files one follow keeps open (a glob over a huge directory must not exhaust file descriptors).</summary>
    const int MaxFiles = 256;
    /// <summary>A glob is looked at again every this many polls (1 s) for files that appeared.</summary>
    const int RescanEvery = 10;

    static IEnumerable<string> GlobMatches(string path)
    {
        var dir = System.IO.Path.GetDirectoryName(path) ?? "/";
        var pattern = System.IO.Path.GetFileName(path);
        if (!Directory.Exists(dir)) yield break;
        List<string> names;
        try { names = LogFiles.GlobMatches(dir, pattern); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { yield break; }
        foreach (var n in names) yield return System.IO.Path.Combine(dir, n);
    }

    /// <summary>One file of a follow: its tail, and one poll's step (truncation, new lines, replacement).</summary>
    sealed class Followed(string path, int maxLine, bool inGlob)
    {
        public readonly TailState Tail = new(path, maxLine, noFollow: inGlob);
        public readonly string Display = Resh.Handles.Files.FilePaths.Display(path);

        /// <summary>Not followed any more: a glob's match that is (or was replaced by) something other than a regular file.</summary>
        public bool Dropped { get; private set; }

        public void Drop(VerbContext ctx, ReshException why)
        {
            Dropped = true;
            Tail.Dispose();
            ctx.Warn($"{why.Error.Message} It is not followed.");
        }

        /// <summary>Positions the tail at the start of its last <paramref name="lines"/> lines.</summary>
        public void Backlog(int lines)
        {
            using var s = new FileStream(new SafeFileHandle(Tail.Handle!.DangerousGetHandle(), false), FileAccess.Read, 0);
            Tail.Seek(LogTail.StartOfLast(s, Tail.Position, lines, maxLine));
            if (Tail.Position > 0) { s.Position = Tail.Position - 1; if (s.ReadByte() != '\n') Tail.SkipFirst = true; }
        }

        /// <summary>One poll: false when the emitter asked to stop; how many rotations and truncations it saw.</summary>
        public (bool Go, int Rotated, int Truncated) Step(VerbContext ctx, Func<string, bool, bool> emit)
        {
            try { return Poll(ctx, emit); }
            catch (ReshException e) when (inGlob)
            {
                Drop(ctx, e);
                return (true, 0, 0);
            }
        }

        (bool Go, int Rotated, int Truncated) Poll(VerbContext ctx, Func<string, bool, bool> emit)
        {
            int rotated = 0, truncated = 0;
            while (true)
            {
                if (Tail.Handle is null)
                {
                    if (Tail.TryOpen(fromEnd: false)) continue;
                    return (true, rotated, truncated);
                }
                var now = Posix.Stat(path, true, out _);
                // Shrunk, or truncated and refilled past the position between two polls (the bytes before it changed).
                if (now is { } same && same.Inode == Tail.Inode && (same.Size < Tail.Position || !Tail.Unchanged()))
                {
                    Tail.Restart();
                    truncated++;
                    ctx.Events.Emit("truncated", new JsonObject { ["file"] = Display });
                }
                if (!Tail.Drain(emit)) return (false, rotated, truncated);
                if ((now is { } st && st.Inode != Tail.Inode || now is null && Tail.Inode != 0) && now is not null && Tail.Reopen())
                {
                    rotated++;
                    ctx.Events.Emit("rotated", new JsonObject { ["file"] = Display });
                    continue;
                }
                return (true, rotated, truncated);
            }
        }
    }

    /// <summary>An open file being followed: where reading stands, and the bytes of a line not yet ended.</summary>
    sealed class TailState(string path, int maxLine, bool noFollow) : IDisposable
    {
        readonly byte[] _buffer = new byte[64 * 1024];
        readonly List<byte> _pending = [];
        bool _pendingCut;

        public SafeFileHandle? Handle { get; private set; }
        /// <summary>Why the last open failed (errno), 0 when it did not.</summary>
        public int OpenError { get; private set; }
        public ulong Inode { get; private set; }
        public long Position { get; private set; }

        public void Seek(long position) { Position = position; _signature = Resh.Handles.Files.RefillCheck.Take(Handle!, position); }
        public bool SkipFirst { get; set; }

        public bool TryOpen(bool fromEnd)
        {
            // A glob's matches are opened without following a symbolic link: whoever may write the directory could plant
            // one to a file they may not read (/etc/shadow) or an endless one (/proc/1/status) and have root stream it.
            var h = Posix.OpenHandle(Posix.AT_FDCWD, path, Posix.O_RDONLY | Posix.O_CLOEXEC | Posix.O_NONBLOCK | (noFollow ? Posix.O_NOFOLLOW : 0), 0, out var errno);
            OpenError = h is null ? errno : 0;
            if (h is null)
            {
                if (errno == Posix.ELOOP)
                    throw ReshError.Usage($"{path} is a symbolic link; the files of a glob are followed only when they are regular files.", "Follow the file it points to by its own name.").ToException();
                return false;
            }
            var st = Posix.FStat((int)h.DangerousGetHandle(), out _);
            if (st is not { IsRegular: true } s)
            {
                h.Dispose();
                throw ReshError.Usage($"{path} is not a regular file.", "follow reads regular files.").ToException();
            }
            Handle?.Dispose();
            Handle = h;
            Inode = s.Inode;
            Position = fromEnd ? s.Size : 0;
            _signature = Resh.Handles.Files.RefillCheck.Take(h, Position);
            return true;
        }

        byte[] _signature = [];

        /// <summary>The bytes before the position are still those read (the file was not truncated and refilled).</summary>
        public bool Unchanged() => Resh.Handles.Files.RefillCheck.Holds(Handle!, Position, _signature);

        public bool Reopen() { var ok = TryOpen(fromEnd: false); if (ok) Restart(); return ok; }

        public void Restart() { Position = 0; _signature = []; _pending.Clear(); _pendingCut = false; SkipFirst = false; }

        /// <summary>Reads to the current end; complete lines go to <paramref name="emit"/> (false: stop following).</summary>
        public bool Drain(Func<string, bool, bool> emit)
        {
            while (true)
            {
                int n = RandomAccess.Read(Handle!, _buffer, Position);
                if (n <= 0) return true;
                // Truncated and refilled after this poll's check: leave it, the next poll starts over with `truncated`.
                if (!Unchanged()) return true;
                Position += n;
                int start = 0;
                for (int i = 0; i < n; i++)
                {
                    if (_buffer[i] != '\n') continue;
                    Append(start, i - start);
                    start = i + 1;
                    if (!Line(emit)) return false;
                }
                Append(start, n - start);
                _signature = Resh.Handles.Files.RefillCheck.Take(Handle!, Position);
            }
        }

        void Append(int start, int count)
        {
            int room = maxLine - _pending.Count;
            if (count > room) { _pendingCut = true; count = Math.Max(0, room); }
            _pending.AddRange(_buffer.AsSpan(start, count));
        }

        bool Line(Func<string, bool, bool> emit)
        {
            var bytes = _pending.ToArray();
            int len = bytes.Length > 0 && bytes[^1] == '\r' ? bytes.Length - 1 : bytes.Length;
            var text = System.Text.Encoding.UTF8.GetString(bytes, 0, len);
            var cut = _pendingCut;
            _pending.Clear();
            _pendingCut = false;
            if (SkipFirst) { SkipFirst = false; return true; }
            return emit(text, cut);
        }

        /// <summary>At the end: a last line without its newline yet.</summary>
        public void Flush(Func<string, bool, bool> emit) { if (_pending.Count > 0) Line(emit); }

        public void Dispose() => Handle?.Dispose();
    }
}
