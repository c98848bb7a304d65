using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using System.Text;
using Resh.Core.Text;

namespace Resh.Core.Platform;

/// <summary>
/// Marshals a path string to the exact NUL-terminated bytes it names (<see cref="PathBytes"/>): raw
/// bytes carried as U+DC80–U+DCFF go back to themselves, where the runtime's UTF-8 marshalling would
/// write U+FFFD and so name another file. Every libc call that takes a path uses it:
/// <c>[LibraryImport(..., StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller))]</c>.
/// Short paths go through a stack buffer; no allocation unless the path is long or holds raw bytes.
/// </summary>
[CustomMarshaller(typeof(string), MarshalMode.ManagedToUnmanagedIn, typeof(ManagedToUnmanagedIn))]
public static unsafe class PathMarshaller
{
    public ref struct ManagedToUnmanagedIn
    {
        public static int BufferSize => 0x200;

        byte* _native;
        bool _allocated;

        public void FromManaged(string? managed, Span<byte> buffer)
        {
            _allocated = false;
            if (managed is null) { _native = null; return; }
            var chars = managed.AsSpan();
            if (chars.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
            {
                if (Encoding.UTF8.GetMaxByteCount(chars.Length) + 1 <= buffer.Length)
                {
                    var n = Encoding.UTF8.GetBytes(chars, buffer);
                    buffer[n] = 0;
                    _native = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(buffer));
                    return;
                }
                var count = Encoding.UTF8.GetByteCount(chars);
                _native = (byte*)NativeMemory.Alloc((nuint)count + 1);
                _allocated = true;
                Encoding.UTF8.GetBytes(chars, new Span<byte>(_native, count));
                _native[count] = 0;
                return;
            }
            var bytes = PathBytes.EncodeNullTerminated(chars);
            _native = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
            _allocated = true;
            bytes.CopyTo(new Span<byte>(_native, bytes.Length));
        }

        public readonly byte* ToUnmanaged() => _native;

        public readonly void Free()
        {
            if (_allocated) NativeMemory.Free(_native);
        }
    }

    /// <summary>A C string returned by libc (readlink buffers, realpath, getdents names) as a path string.</summary>
    public static string FromNative(byte* p)
    {
        if (p == null) return "";
        var span = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(p);
        return PathBytes.Decode(span);
    }
}
