using Resh.Core.Platform;
using Xunit;

namespace Resh.Core.Tests.Platform;

public sealed class FileCompareTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("resh-compare-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static byte[] Bytes(int length, byte seed = 1) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 + seed)).ToArray();

    static bool Same(string a, string b, long? length = null)
    {
        using var ha = File.OpenHandle(a);
        using var hb = File.OpenHandle(b);
        return FileCompare.SameBytes(ha, hb, length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65536)]          // exactly one chunk: the end is found by a second, empty read
    [InlineData(65536 * 3 + 17)]
    public void Equal_files_of_any_length_are_the_same(int length)
    {
        Assert.True(Same(Write("a", Bytes(length)), Write("b", Bytes(length))));
    }

    [Fact]
    public void A_difference_in_a_later_chunk_or_a_longer_file_is_found()
    {
        var a = Bytes(200_000);
        var b = (byte[])a.Clone();
        b[^1] ^= 1;
        Assert.False(Same(Write("a", a), Write("b", b)));
        Assert.False(Same(Write("c", a), Write("d", [.. a, 0])));
        // Compared over a given length, only that prefix counts, and both files must have it.
        Assert.True(Same(Path.Combine(_dir, "a"), Path.Combine(_dir, "b"), 199_999));
        Assert.False(Same(Write("e", Bytes(10)), Write("f", Bytes(10)), 11));
    }

    [Fact]
    public void A_stream_is_compared_with_a_file_and_always_read_to_its_end()
    {
        var path = Write("a", Bytes(100_000));
        using var h = File.OpenHandle(path);
        using var same = new MemoryStream(Bytes(100_000));
        Assert.True(FileCompare.SameAsStream(h, 100_000, same));
        var changed = Bytes(100_000);
        changed[5] ^= 1;
        using var differ = new MemoryStream([.. changed, .. Bytes(5000)]);
        Assert.False(FileCompare.SameAsStream(h, 100_000, differ));
        Assert.Equal(differ.Length, differ.Position);
        using var shorter = new MemoryStream(Bytes(99_999));
        Assert.False(FileCompare.SameAsStream(h, 100_000, shorter));
    }

    [Fact]
    public void A_file_that_cannot_be_read_by_offset_is_different_not_an_error()
    {
        var fifo = Path.Combine(_dir, "fifo");
        using (var mk = System.Diagnostics.Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        var fd = Posix.OpenAt(Posix.AT_FDCWD, fifo, Posix.O_RDONLY | Posix.O_NONBLOCK);
        Assert.True(fd >= 0);
        using var pipe = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        using var file = File.OpenHandle(Write("a", Bytes(10)));
        Assert.False(FileCompare.SameBytes(pipe, file));
    }
}
