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

    sealed class BytesPayload(ReadOnlyMemory<byte> bytes) : RawPayload
    {
        public override async ValueTask WriteToAsync(Stream output, CancellationToken ct) => await output.WriteAsync(bytes, ct).ConfigureAwait(false);
    }

    sealed class FilePayload(string path, long offset, long? length) : RawPayload
    {
        public override async ValueTask WriteToAsync(Stream output, CancellationToken ct)
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
            var buffer = new byte[256 * 1024];
            long pos = offset;
            long remaining = length ?? long.MaxValue;
            while (remaining > 0)
            {
                int want = (int)Math.Min(buffer.Length, remaining);
                int n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, want), pos, ct).ConfigureAwait(false);
                if (n == 0) break;
                await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                pos += n;
                remaining -= n;
            }
        }
    }
}
