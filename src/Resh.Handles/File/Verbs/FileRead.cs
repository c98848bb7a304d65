using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Values;

namespace Resh.Handles.Files;

public static class FileRead
{
    static readonly Arg<string?> Encoding_ = Arg.Enum("encoding", "text (UTF-8; refuses binary content), base64, or auto (text when it is text, else base64).",
        ["text", "base64", "auto"], "text");
    static readonly Arg<long?> Offset = Arg.Size("offset", "First byte to read.", 0);
    static readonly Arg<long?> Length = Arg.Size("length", "Bytes to read from offset (default: to the end).");
    static readonly Arg<long?> MaxSize = Arg.Size("max_size", "Refuse to load more than this into the envelope (use offset/length, or --format raw to stream).", 64L * 1024 * 1024);

    public static readonly VerbInfo Verb = VerbInfo.Define("read", Effect.Read,
        "Read a file's content as text or base64, whole or a byte range.",
        [Encoding_, Offset, Length, MaxSize], () => FileJson.Default.FileReadResult, Run,
        examples:
        [
            new("file:///etc/hosts.read", "The file as text in the envelope."),
            new("file:///etc/hosts.read --format raw", "Just the bytes, like cat."),
            new("'file:///bin/ls.read(encoding=base64,length=64)'", "The first 64 bytes of a binary."),
        ],
        notes: "With --format raw the bytes stream to stdout unchanged and max_size does not apply.").WithPathConfinement();

    static Outcome<FileReadResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        // Under a surface's path patterns the file is opened through descriptors and judged on the kernel's name of the
        // open file, whose stat and bytes are all that is used after (PathConfinement); elsewhere by path as ever.
        var confinedHandle = PathConfinement.OpenRead(path, Posix.O_RDONLY, out var confinedErrno, out var confined);
        if (confined && confinedHandle is null) throw FileErrors.Throw(confinedErrno, path, "read");
        FileStatus st;
        if (confinedHandle is not null)
        {
            var fst = Posix.FStat((int)confinedHandle.DangerousGetHandle(), out var serr);
            if (fst is null) { confinedHandle.Dispose(); throw FileErrors.Throw(serr, path, "read"); }
            st = fst.Value;
        }
        else st = FileMetadata.StatOrThrow(path, follow: true);
        if (st.IsDirectory) confinedHandle?.Dispose();
        if (st.IsDirectory)
            return ReshError.Usage($"{FilePaths.Display(path)} is a directory.", $"List it instead: resh file://{FilePaths.Display(path)}.list");
        var offset = ctx.Get(Offset) ?? 0;
        var size = st.Size;
        // /proc and /sys files report a size of 0 or 4096 whatever they hold: only regular files with a
        // real size are checked against it, and every read goes to the end of the file, not to the stat size.
        if (offset > size && st.IsRegular && size > 0 && !IsPseudo(path))
        {
            confinedHandle?.Dispose();
            return ReshError.Usage($"offset {offset} is past the end of the file ({size} bytes).", "Use an offset below the file size.");
        }
        long? length = ctx.Get(Length);
        var handle = confinedHandle ?? Posix.OpenHandle(Posix.AT_FDCWD, path, Posix.O_RDONLY, 0, out var errno) ?? throw FileErrors.Throw(errno, path, "read");
        if (st.IsRegular) Posix.AdviseSequential((int)handle.DangerousGetHandle());

        if (ctx.WantsRaw)
        {
            var placeholder = new FileReadResult(FilePaths.Display(path), size, offset, length ?? Math.Max(0, size - offset), "raw", "", false);
            return new Outcome<FileReadResult>(placeholder, false).WithRaw(RawPayload.FromHandle(handle, offset, length));
        }

        byte[] data;
        bool truncated;
        using (handle)
        {
            var max = ctx.Get(MaxSize) ?? long.MaxValue;
            var want = length ?? Math.Max(0, size - offset);
            if (st.IsRegular && size > 0 && want > max)
                return ReshError.Failed($"{FilePaths.Display(path)} is {SizeValue.Human(want)} from offset {offset}, above max_size {SizeValue.Human(max)}.",
                    "Read a range with offset/length, raise max_size, or stream it with --format raw.");
            // One byte more than asked tells whether the range stopped before the end.
            var cap = length is { } l ? Math.Min(l, max) + 1 : max + 1;
            data = ReadRange(handle, offset, cap, st.IsRegular, ctx.Cancellation);
            if (length is null && data.LongLength > max)
                return ReshError.Failed($"{FilePaths.Display(path)} holds more than max_size {SizeValue.Human(max)} from offset {offset}.",
                    "Read a range with offset/length, raise max_size, or stream it with --format raw.");
            truncated = data.LongLength == cap;
            if (truncated) data = data[..^1];
        }
        if (length is null) size = Math.Max(size, offset + data.Length);
        var encoding = ctx.Get(Encoding_)!;
        var isText = IsText(data);
        if (encoding == "text" && !isText)
            return ReshError.Failed($"{FilePaths.Display(path)} holds binary data, not UTF-8 text.", "Read it with encoding=base64 (or encoding=auto), or stream it with --format raw.",
                new System.Text.Json.Nodes.JsonObject { ["path"] = FilePaths.Display(path), ["size"] = size });
        var asText = encoding == "text" || (encoding == "auto" && isText);
        var content = asText ? Encoding.UTF8.GetString(data) : Convert.ToBase64String(data);
        return new FileReadResult(FilePaths.Display(path), size, offset, data.Length, asText ? "text" : "base64", content, truncated);
    }

    static bool IsPseudo(string path) => path.StartsWith("/proc/", StringComparison.Ordinal) || path.StartsWith("/sys/", StringComparison.Ordinal);

    /// <summary>Up to <paramref name="cap"/> bytes from <paramref name="offset"/>, read until EOF: pread on files that seek, a skip-and-read stream otherwise.</summary>
    static byte[] ReadRange(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long cap, bool regular, CancellationToken ct)
    {
        var buffer = new byte[(int)Math.Clamp(cap, 0, 1 << 16)];
        long total = 0;
        if (regular)
        {
            while (total < cap)
            {
                ct.ThrowIfCancellationRequested();
                if (total == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(Math.Min(buffer.Length * 2L, cap), Array.MaxLength));
                var n = RandomAccess.Read(handle, buffer.AsSpan((int)total), offset + total);
                if (n == 0) break;
                total += n;
            }
            return total == buffer.Length ? buffer : buffer[..(int)total];
        }
        // Character devices and FIFOs cannot seek: skip to the offset, then read until EOF or the cap.
        using var fs = new FileStream(handle, FileAccess.Read, 1);
        var skip = new byte[8192];
        for (long skipped = 0; skipped < offset;)
        {
            var n = fs.Read(skip, 0, (int)Math.Min(skip.Length, offset - skipped));
            if (n == 0) return [];
            skipped += n;
        }
        while (total < cap)
        {
            ct.ThrowIfCancellationRequested();
            if (total == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(Math.Min(buffer.Length * 2L, cap), Array.MaxLength));
            var n = fs.Read(buffer, (int)total, buffer.Length - (int)total);
            if (n == 0) break;
            total += n;
        }
        return total == buffer.Length ? buffer : buffer[..(int)total];
    }

    /// <summary>Valid UTF-8 without NUL bytes counts as text.</summary>
    public static bool IsText(ReadOnlySpan<byte> data)
    {
        if (data.IndexOf((byte)0) >= 0) return false;
        return System.Text.Unicode.Utf8.IsValid(data);
    }
}
