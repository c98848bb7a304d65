using Resh.Core.Execution;

namespace Resh.Handles.Ssh.Remote;

/// <summary>
/// Holds a remote command's raw stdout until its exit status is known (so a failure never prints
/// half a payload as success): memory up to 16 MiB, then an unlinked file in the state dir.
/// </summary>
public sealed class SpillBuffer(string spillDir) : IDisposable
{
    const int MemoryLimit = 16 * 1024 * 1024;
    Stream _stream = new MemoryStream();

    public long Length => _stream.Length;

    public async Task FillAsync(Stream source, CancellationToken ct)
    {
        var buffer = new byte[128 * 1024];
        int n;
        while ((n = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (_stream is MemoryStream ms && ms.Length + n > MemoryLimit)
            {
                // 0600 from the start and unlinked at once: the bytes never have a name another user (or a
                // later run, after a SIGKILL or a full disk) could find.
                var path = Path.Combine(spillDir, $"raw-{Guid.NewGuid():N}");
                var file = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 1 << 16,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                try
                {
                    File.Delete(path);
                    ms.Position = 0;
                    await ms.CopyToAsync(file, ct).ConfigureAwait(false);
                }
                catch
                {
                    await file.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
                _stream = file;
                await ms.DisposeAsync().ConfigureAwait(false);
            }
            await _stream.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
        }
    }

    /// <summary>The first bytes as text (to spot the missing-binary marker).</summary>
    public string Head(int count)
    {
        var pos = _stream.Position;
        _stream.Position = 0;
        var buf = new byte[Math.Min(count, (int)Math.Min(int.MaxValue, _stream.Length))];
        var n = _stream.Read(buf, 0, buf.Length);
        _stream.Position = pos;
        return System.Text.Encoding.UTF8.GetString(buf, 0, n);
    }

    public RawPayload ToPayload() => new Payload(this);

    public void Dispose() => _stream.Dispose();

    sealed class Payload(SpillBuffer owner) : RawPayload
    {
        public override async ValueTask WriteToAsync(Stream output, CancellationToken ct)
        {
            owner._stream.Position = 0;
            await owner._stream.CopyToAsync(output, ct).ConfigureAwait(false);
            owner.Dispose();
        }
    }
}
