using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Storage;

/// <summary>
/// A file being archived, read as exactly the size it had when opened: a tar header states the size
/// before the data, so a file that grows while it is read (a log) is cut at that size and one that
/// shrinks is padded with zeros, as GNU tar does, and <see cref="Changed"/> says so. Opened without the
/// advisory lock and extra status calls FileStream makes per file; reads are plain pread(2).
/// </summary>
public sealed class SourceFileStream : Stream
{
    readonly SafeFileHandle _handle;
    readonly long _length;
    long _position;
    bool _checked;

    SourceFileStream(SafeFileHandle handle)
    {
        _handle = handle;
        _length = RandomAccess.GetLength(handle);
    }

    public static SourceFileStream Open(string path)
    {
        var fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (fd < 0) throw ExceptionTranslation.FromErrno(Marshal.GetLastPInvokeError(), $" ({path})").ToException();
        return new SourceFileStream(new SafeFileHandle(fd, ownsHandle: true));
    }

    /// <summary>A file already opened (by directory handle, without following symlinks), read at its size now.</summary>
    public static SourceFileStream Open(SafeFileHandle handle) => new(handle);

    /// <summary>True when the file's size changed while it was read (its stored content is cut or padded).</summary>
    public bool Changed { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var want = (int)Math.Min(buffer.Length, _length - _position);
        if (want <= 0)
        {
            CheckGrowth();
            return 0;
        }
        var n = RandomAccess.Read(_handle, buffer[..want], _position);
        if (n == 0)
        {
            // Shrunk under us: keep the promised size.
            buffer[..want].Clear();
            Changed = true;
            n = want;
        }
        _position += n;
        return n;
    }

    /// <summary>TarWriter copies with the default 80 KiB buffer; large files move in 1 MiB reads instead.</summary>
    public override void CopyTo(Stream destination, int bufferSize)
    {
        var size = (int)Math.Clamp(_length - _position, 1, Math.Max(bufferSize, 1 << 20));
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        try
        {
            int n;
            while ((n = Read(buffer, 0, size)) > 0) destination.Write(buffer, 0, n);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    void CheckGrowth()
    {
        if (_checked) return;
        _checked = true;
        if (RandomAccess.GetLength(_handle) != _length) Changed = true;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _handle.Dispose();
        base.Dispose(disposing);
    }
}
