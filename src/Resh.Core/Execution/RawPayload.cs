using System.Text;

namespace Resh.Core.Execution;

/// <summary>The bytes <c>--format raw</c> prints instead of the envelope (a file's content, a rendered text).</summary>
public abstract class RawPayload
{
    public abstract ValueTask WriteToAsync(Stream output, CancellationToken ct);

    public static RawPayload FromBytes(ReadOnlyMemory<byte> bytes) => new BytesPayload(bytes);
    public static RawPayload FromText(string text, bool newline = true) => new BytesPayload(Encoding.UTF8.GetBytes(newline && !text.EndsWith('\n') ? text + "\n" : text));
    /// <summary>Streams a file region without loading it (cat-like).</summary>
    public static RawPayload FromFile(string path, long offset, long? length) => new FilePayload(path, offset, length);
    /// <summary>Bytes produced while they are printed (a listing read back from a spool), never held whole.</summary>
    public static RawPayload FromWriter(Action<Stream, CancellationToken> write) => new WriterPayload(write);

    sealed class WriterPayload(Action<Stream, CancellationToken> write) : RawPayload
    {
        public override ValueTask WriteToAsync(Stream output, CancellationToken ct)
        {
            write(output, ct);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Streams from an open file (opened by the verb, e.g. through a byte-exact path) and closes it.</summary>
    public static RawPayload FromHandle(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long? length) => new FilePayload(null, offset, length, handle);

    sealed class BytesPayload(ReadOnlyMemory<byte> bytes) : RawPayload
    {
        public override ValueTask WriteToAsync(Stream output, CancellationToken ct)
        {
            output.Write(bytes.Span); // synchronous: async console writes would start the thread pool
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// Copies synchronously: a local file read never benefits from async I/O here, and async would start
    /// the thread pool on the hot path of `file.read --format raw`. The buffer stays under the large
    /// object heap threshold (and is as small as the file).
    /// </summary>
    static bool IsSeekable(Microsoft.Win32.SafeHandles.SafeFileHandle handle) =>
        Platform.Posix.StatDescriptor((int)handle.DangerousGetHandle(), out _)?.FileType is not (Platform.FileStatus.S_IFIFO or Platform.FileStatus.S_IFSOCK or Platform.FileStatus.S_IFCHR);

    sealed class FilePayload(string? path, long offset, long? length, Microsoft.Win32.SafeHandles.SafeFileHandle? opened = null) : RawPayload
    {
        public override ValueTask WriteToAsync(Stream output, CancellationToken ct)
        {
            using var handle = opened ?? File.OpenHandle(path!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
            long size = 0;
            try { size = RandomAccess.GetLength(handle); } catch (Exception ex) when (ex is IOException or NotSupportedException) { } // a pipe has no length
            var buffer = new byte[size is > 0 and < 64 * 1024 ? size - Math.Min(offset, size) + 1 : 64 * 1024];
            long pos = offset;
            long remaining = length ?? long.MaxValue;
            // A pipe, FIFO or terminal (file:///dev/stdin) cannot be read at an offset: it is read in order, the bytes
            // before the offset skipped (RandomAccess would throw NotSupportedException: an unhandled crash before).
            using var sequential = IsSeekable(handle) ? null : new FileStream(handle, FileAccess.Read, 1);
            for (long skip = sequential is null ? 0 : offset; skip > 0;)
            {
                int n = sequential!.Read(buffer, 0, (int)Math.Min(buffer.Length, skip));
                if (n == 0) return ValueTask.CompletedTask;
                skip -= n;
            }
            while (remaining > 0)
            {
                ct.ThrowIfCancellationRequested();
                int want = (int)Math.Min(buffer.Length, remaining);
                int n = sequential is null ? RandomAccess.Read(handle, buffer.AsSpan(0, want), pos) : sequential.Read(buffer, 0, want);
                if (n == 0) break;
                output.Write(buffer, 0, n);
                pos += n;
                remaining -= n;
            }
            return ValueTask.CompletedTask;
        }
    }
}
