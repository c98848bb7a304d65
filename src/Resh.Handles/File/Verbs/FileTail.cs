using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileTail
{
    static readonly Arg<long?> Lines = Arg.Int("lines", "How many lines from the end.", 10, min: 0, aliases: ["n"]);
    static readonly Arg<bool> Follow = Arg.Bool("follow", "Keep streaming new lines as NDJSON events until --timeout or Ctrl-C; survives truncation and rotation (tail -F).", aliases: ["f"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("tail", Effect.Read,
        "The last lines of a file; with follow=true, stream lines as they are written.",
        [Lines, Follow], () => FileJson.Default.FileTailResult, RunAsync,
        streams: true,
        examples:
        [
            new("file:///var/log/syslog.tail lines=50", "The last 50 lines."),
            new("file:///var/log/app.log.tail follow=true --timeout 30s", "Stream new lines for 30 seconds: {\"event\":\"line\",\"line\":...} per line, then the envelope."),
        ],
        notes: "Follow polls every 150 ms. When the file is truncated or replaced (log rotation) it emits a `truncated` or `rotated` event and reads the new content from the start. A follow ended by --timeout is a normal end (`ok: true`, `ended: \"timeout\"`); Ctrl-C ends it as `interrupted`. Lines are UTF-8 (invalid bytes become U+FFFD), without their line endings. A followed line longer than 1 MiB is cut to its first 1 MiB and its event carries `\"cut\": true`.").WithPathConfinement();

    const int MaxTailBytes = 16 << 20;
    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(150);

    static async ValueTask<Outcome<FileTailResult>> RunAsync(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var want = (int)Math.Min(ctx.Get(Lines) ?? 10, int.MaxValue);
        var follow = ctx.Get(Follow);
        // Under a surface's path patterns the file is opened through descriptors (O_NONBLOCK: a FIFO must not block the
        // open; regular files ignore it) and judged on the kernel's name of the open file; its fstat and bytes are all
        // that is used after.
        FileStatus st;
        var confinedHandle = PathConfinement.OpenRead(path, Posix.O_RDONLY | Posix.O_NONBLOCK, out var confinedErrno, out var confined);
        if (confinedHandle is not null)
        {
            var fst = Posix.FStat((int)confinedHandle.DangerousGetHandle(), out var serr);
            if (fst is null) { confinedHandle.Dispose(); throw FileErrors.Throw(serr, path, "read"); }
            st = fst.Value;
            if (!st.IsRegular) confinedHandle.Dispose();
        }
        else if (confined)
            throw confinedErrno is 2 or 20 ? FileMetadata.NotFound(path).ToException() : FileErrors.Throw(confinedErrno, path, "read");
        else st = FileMetadata.StatOrThrow(path, follow: true);
        if (st.IsDirectory) return ReshError.Usage($"{path} is a directory.", "Tail a file inside it.");
        if (!st.IsRegular) return ReshError.Usage($"{path} is a {st.TypeName}; tail reads regular files.", "Read pipes and devices with read (--format raw).");

        var handle = confinedHandle ?? FileErrors.Guard(path, "read", () => Open(path));
        try
        {
            var size = RandomAccess.GetLength(handle);
            var (lines, consumed) = LastLines(handle, size, want, completeOnly: follow);
            if (!follow)
                return new Outcome<FileTailResult>(new FileTailResult(FilePaths.Display(path), lines, lines.Count, false, null, 0), false)
                    .WithRaw(RawPayload.FromText(lines.Count == 0 ? "" : string.Join('\n', lines) + "\n", newline: false));

            foreach (var line in lines) await EmitLineAsync(ctx, path, line).ConfigureAwait(false);
            return await FollowAsync(ctx, path, handle, st.Inode, consumed, lines.Count).ConfigureAwait(false);
        }
        finally
        {
            handle.Dispose();
        }
    }

    /// <summary>Under a surface's path patterns: the file at <paramref name="path"/> now, opened and judged again (a rotation
    /// may have put anything there); null when it is not there or not allowed (the next poll tries again).</summary>
    static SafeFileHandle? TryOpenConfined(string path)
    {
        try
        {
            var handle = PathConfinement.OpenRead(path, Posix.O_RDONLY | Posix.O_NONBLOCK, out _, out _);
            if (handle is null) return null;
            if (Posix.FStat((int)handle.DangerousGetHandle(), out _) is { IsRegular: true }) return handle;
            handle.Dispose();
            return null;
        }
        catch (ReshException)
        {
            return null;
        }
    }

    static SafeFileHandle Open(string path) =>
        Resh.Core.Platform.Posix.OpenHandle(Resh.Core.Platform.Posix.AT_FDCWD, path, Resh.Core.Platform.Posix.O_RDONLY, 0, out var errno)
            ?? throw FileErrors.Throw(errno, path, "read");

    static SafeFileHandle? TryOpen(string path)
    {
        // Not there yet (or not readable yet): the next poll tries again.
        return Resh.Core.Platform.Posix.OpenHandle(Resh.Core.Platform.Posix.AT_FDCWD, path, Resh.Core.Platform.Posix.O_RDONLY, 0, out _);
    }

    /// <summary>A followed line longer than this (in UTF-8 bytes) is cut to it, and its event says `cut: true`: one
    /// line of a file someone else writes must not make the stream (or a server's queue) hold more.</summary>
    public const int MaxLineBytes = 1 << 20;

    static ValueTask EmitLineAsync(VerbContext ctx, string path, string line, bool cut = false)
    {
        if (!cut && Encoding.UTF8.GetMaxByteCount(line.Length) > MaxLineBytes && Encoding.UTF8.GetByteCount(line) > MaxLineBytes)
        {
            var bytes = Encoding.UTF8.GetBytes(line);
            line = Encoding.UTF8.GetString(bytes, 0, CutPoint(bytes, MaxLineBytes));
            cut = true;
        }
        var fields = new JsonObject { ["path"] = path, ["line"] = line };
        if (cut) fields["cut"] = true;
        // Awaited: a REST stream whose client reads slowly holds the follow here without holding a thread.
        return ctx.Events.EmitAsync("line", fields, ctx.Cancellation);
    }

    /// <summary>At most <paramref name="max"/> bytes of <paramref name="bytes"/>, not splitting a UTF-8 sequence.</summary>
    static int CutPoint(ReadOnlySpan<byte> bytes, int max)
    {
        if (bytes.Length <= max) return bytes.Length;
        var end = max;
        while (end > 0 && end > max - 4 && (bytes[end] & 0xC0) == 0x80) end--;
        return end;
    }

    /// <summary>
    /// The last <paramref name="want"/> lines, read backwards in blocks. Returns where the returned text ends:
    /// with <paramref name="completeOnly"/> a final line without newline is left for the follow loop.
    /// </summary>
    static (List<string> Lines, long End) LastLines(SafeFileHandle handle, long size, int want, bool completeOnly)
    {
        if (size == 0) return ([], 0);
        long end = size;
        if (completeOnly)
        {
            // Stop after the last newline: a partial last line is still being written.
            end = LastNewlineBefore(handle, size) is { } nl ? nl + 1 : 0;
        }
        if (want == 0 || end == 0) return ([], end);
        // Find the start: after the want-th newline counted backwards, ignoring a newline that ends the text.
        long scanEnd = end;
        var one = new byte[1];
        if (RandomAccess.Read(handle, one, end - 1) == 1 && one[0] == '\n') scanEnd = end - 1;
        long start = 0;
        int found = 0;
        var block = new byte[64 * 1024];
        long pos = scanEnd;
        while (pos > 0 && found < want)
        {
            int len = (int)Math.Min(block.Length, pos);
            pos -= len;
            int n = RandomAccess.Read(handle, block.AsSpan(0, len), pos);
            for (int i = n - 1; i >= 0; i--)
            {
                if (block[i] != '\n') continue;
                if (++found == want) { start = pos + i + 1; break; }
            }
            if (end - pos > MaxTailBytes) { start = Math.Max(start, end - MaxTailBytes); break; }
        }
        var bytes = new byte[end - start];
        int total = 0;
        while (total < bytes.Length)
        {
            int n = RandomAccess.Read(handle, bytes.AsSpan(total), start + total);
            if (n == 0) break;
            total += n;
        }
        var text = Encoding.UTF8.GetString(bytes, 0, total);
        var lines = SplitLines(text, out _);
        // A trailing partial line (no newline) is a line too when not following.
        if (!text.EndsWith('\n') && text.Length > 0) lines.Add(StripCr(text[(text.LastIndexOf('\n') + 1)..]));
        return (lines, end);
    }

    static long? LastNewlineBefore(SafeFileHandle handle, long size)
    {
        var block = new byte[64 * 1024];
        long pos = size;
        while (pos > 0)
        {
            int len = (int)Math.Min(block.Length, pos);
            pos -= len;
            int n = RandomAccess.Read(handle, block.AsSpan(0, len), pos);
            var i = block.AsSpan(0, n).LastIndexOf((byte)'\n');
            if (i >= 0) return pos + i;
            if (size - pos > MaxTailBytes) return null;
        }
        return null;
    }

    /// <summary>The complete lines of <paramref name="text"/>; the unterminated rest is returned separately.</summary>
    static List<string> SplitLines(string text, out string rest)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            lines.Add(StripCr(text[start..i]));
            start = i + 1;
        }
        rest = text[start..];
        return lines;
    }

    static string StripCr(string line) => line.EndsWith('\r') ? line[..^1] : line;

    static async Task<Outcome<FileTailResult>> FollowAsync(VerbContext ctx, string path, SafeFileHandle first, ulong inode, long position, long emitted)
    {
        var handle = first;
        var pending = new List<byte>();
        var overflow = false; // the pending line passed MaxLineBytes: the rest of it is skipped, its event says cut
        var buffer = new byte[64 * 1024];
        long reopened = 0;
        bool ownsHandle = false;
        var confined = PathConfinement.Active;

        // The bytes just before `position`: if they change, the file was truncated and refilled between two polls.
        var signature = RefillCheck.Take(handle, position);

        async ValueTask DrainAsync()
        {
            while (true)
            {
                int n = RandomAccess.Read(handle, buffer, position);
                if (n <= 0) break;
                // Truncated and refilled after this poll's check: what was read is the new file's middle, not an append.
                // Leave it; the next poll sees the changed bytes before `position` and starts over with `truncated`.
                if (!RefillCheck.Holds(handle, position, signature)) break;
                position += n;
                int start = 0;
                for (int i = 0; i < n; i++)
                {
                    if (buffer[i] != '\n') continue;
                    Keep(buffer.AsSpan(start, i - start));
                    await EmitPendingAsync().ConfigureAwait(false);
                    start = i + 1;
                }
                Keep(buffer.AsSpan(start, n - start));
                signature = RefillCheck.Take(handle, position);
            }
        }

        // Bytes of the pending line, up to MaxLineBytes (a longer line is cut: its rest is read and dropped).
        void Keep(ReadOnlySpan<byte> bytes)
        {
            var room = MaxLineBytes - pending.Count;
            if (bytes.Length > room) overflow = true;
            if (room > 0) pending.AddRange(bytes[..Math.Min(room, bytes.Length)]);
        }

        async ValueTask EmitPendingAsync()
        {
            var bytes = pending.ToArray();
            var text = Encoding.UTF8.GetString(bytes, 0, overflow ? CutPoint(bytes, MaxLineBytes) : bytes.Length);
            await EmitLineAsync(ctx, path, overflow ? text : StripCr(text), overflow).ConfigureAwait(false);
            emitted++;
            pending.Clear();
            overflow = false;
        }

        try
        {
            while (true)
            {
                // Look for truncation and rotation before reading, so refilled content is read from its start.
                // Under a surface's path patterns only the open (judged) file is looked at; the name is looked up only to
                // notice a rotation, and what is there then is opened and judged again before anything of it is used.
                var now = confined ? Posix.FStat((int)handle.DangerousGetHandle(), out _) : Posix.Stat(path, true, out _);
                if (now is { } same && same.Inode == inode && same.IsRegular && (same.Size < position || !RefillCheck.Holds(handle, position, signature)))
                {
                    position = 0;
                    signature = [];
                    pending.Clear();
                    overflow = false;
                    reopened++;
                    ctx.Events.Emit("truncated", new JsonObject { ["path"] = path });
                }
                await DrainAsync().ConfigureAwait(false);
                var named = confined ? Posix.Stat(path, true, out _) : now;
                if (named is { } st && st.Inode != inode && (confined ? TryOpenConfined(path) : TryOpen(path)) is { } next)
                {
                    if (confined && Posix.FStat((int)next.DangerousGetHandle(), out _) is { } opened)
                    {
                        if (opened.Inode == inode)
                        {
                            next.Dispose();
                            await Task.Delay(Poll, ctx.Cancellation).ConfigureAwait(false);
                            continue;
                        }
                        st = opened;
                    }
                    // Rotated: the old file is finished (drained above); read the new one from its start.
                    if (ownsHandle) handle.Dispose();
                    handle = next;
                    ownsHandle = true;
                    inode = st.Inode;
                    position = 0;
                    signature = [];
                    pending.Clear();
                    overflow = false;
                    reopened++;
                    ctx.Events.Emit("rotated", new JsonObject { ["path"] = path });
                    continue;
                }
                await Task.Delay(Poll, ctx.Cancellation).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ctx.TimedOut)
        {
            if (pending.Count > 0) await EmitPendingAsync().ConfigureAwait(false);
            return new FileTailResult(FilePaths.Display(path), [], emitted, true, "timeout", reopened);
        }
        finally
        {
            if (ownsHandle) handle.Dispose();
        }
    }
}
