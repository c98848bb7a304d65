using System.Buffers.Binary;
using Resh.Core.Platform;
using Xunit;

namespace Resh.Core.Tests.Platform;

/// <summary>The one reader of the sections build-native.sh appends to the binary (the MCP tool table, the agent front).</summary>
public sealed class AppendedDataTests : IDisposable
{
    readonly string _file = Path.Combine(Path.GetTempPath(), $"resh-appended-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(_file);

    static byte[] Section(byte[] data, string magic)
    {
        var trailer = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(trailer, data.Length);
        System.Text.Encoding.ASCII.GetBytes(magic).CopyTo(trailer, 8);
        return [.. data, .. trailer];
    }

    [Fact]
    public void Each_section_is_found_by_its_magic_whatever_follows_it()
    {
        File.WriteAllBytes(_file, [.. "\x7fELF...code..."u8, .. Section("tools"u8.ToArray(), "RESHTOOL"), .. Section("front"u8.ToArray(), "RESHFRNT")]);
        Assert.Equal("tools"u8.ToArray(), AppendedData.Read(_file, "RESHTOOL"u8, 1024));
        Assert.Equal("front"u8.ToArray(), AppendedData.Read(_file, "RESHFRNT"u8, 1024));
        Assert.Null(AppendedData.Read(_file, "RESHNONE"u8, 1024));
        Assert.Null(AppendedData.Read(_file, "RESHFRNT"u8, 4)); // over the bound
    }

    [Fact]
    public void A_binary_without_sections_or_with_a_damaged_length_has_none()
    {
        File.WriteAllBytes(_file, "just an executable, nothing appended"u8.ToArray());
        Assert.Null(AppendedData.Read(_file, "RESHTOOL"u8, 1024));
        var damaged = Section("tools"u8.ToArray(), "RESHTOOL");
        BinaryPrimitives.WriteInt64LittleEndian(damaged.AsSpan(damaged.Length - 16), 1L << 40);
        File.WriteAllBytes(_file, damaged);
        Assert.Null(AppendedData.Read(_file, "RESHTOOL"u8, 1024));
    }
}
