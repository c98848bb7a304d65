using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
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
        notes: "With --format raw the bytes stream to stdout unchanged and max_size does not apply.");

    static Outcome<FileReadResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var st = FileMetadata.StatOrThrow(path, follow: true);
        if (st.IsDirectory)
            return ReshError.Usage($"{path} is a directory.", $"List it instead: resh file://{path}.list");
        var offset = ctx.Get(Offset) ?? 0;
        var size = st.Size;
        if (offset > size && st.IsRegular)
            return ReshError.Usage($"offset {offset} is past the end of the file ({size} bytes).", "Use an offset below the file size.");
        long? length = ctx.Get(Length);

        if (ctx.WantsRaw)
        {
            var placeholder = new FileReadResult(path, size, offset, length ?? Math.Max(0, size - offset), "raw", "", false);
            return new Outcome<FileReadResult>(placeholder, false).WithRaw(RawPayload.FromFile(path, offset, length));
        }

        var want = length ?? Math.Max(0, size - offset);
        var max = ctx.Get(MaxSize) ?? long.MaxValue;
        if (st.IsRegular && want > max)
            return ReshError.Failed($"{path} is {SizeValue.Human(want)} from offset {offset}, above max_size {SizeValue.Human(max)}.",
                "Read a range with offset/length, raise max_size, or stream it with --format raw.");

        byte[] data = ReadRange(path, offset, st.IsRegular ? want : Math.Min(want, max), st.IsRegular, ctx.Cancellation);
        var truncated = st.IsRegular && offset + data.Length < size;
        var encoding = ctx.Get(Encoding_)!;
        var isText = IsText(data);
        if (encoding == "text" && !isText)
            return ReshError.Failed($"{path} holds binary data, not UTF-8 text.", "Read it with encoding=base64 (or encoding=auto), or stream it with --format raw.",
                new System.Text.Json.Nodes.JsonObject { ["path"] = path, ["size"] = size });
        var asText = encoding == "text" || (encoding == "auto" && isText);
        var content = asText ? Encoding.UTF8.GetString(data) : Convert.ToBase64String(data);
        return new FileReadResult(path, size, offset, data.Length, asText ? "text" : "base64", content, truncated);
    }

    static byte[] ReadRange(string path, long offset, long length, bool regular, CancellationToken ct)
    {
        using var handle = System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (regular)
        {
            var buffer = new byte[length];
            int total = 0;
            while (total < length)
            {
                ct.ThrowIfCancellationRequested();
                var n = RandomAccess.Read(handle, buffer.AsSpan(total), offset + total);
                if (n == 0) break;
                total += n;
            }
            return total == buffer.Length ? buffer : buffer[..total];
        }
        // Character devices and FIFOs have no size: read until EOF or the cap.
        using var fs = new FileStream(handle, FileAccess.Read);
        using var ms = new MemoryStream();
        var chunk = new byte[65536];
        long skipped = 0;
        while (ms.Length < length)
        {
            ct.ThrowIfCancellationRequested();
            var n = fs.Read(chunk, 0, (int)Math.Min(chunk.Length, length - ms.Length + Math.Max(0, offset - skipped)));
            if (n == 0) break;
            var start = 0;
            if (skipped < offset) { var s = (int)Math.Min(n, offset - skipped); skipped += s; start = s; }
            ms.Write(chunk, start, n - start);
        }
        return ms.ToArray();
    }

    /// <summary>Valid UTF-8 without NUL bytes counts as text.</summary>
    public static bool IsText(ReadOnlySpan<byte> data)
    {
        if (data.IndexOf((byte)0) >= 0) return false;
        return System.Text.Unicode.Utf8.IsValid(data);
    }
}
