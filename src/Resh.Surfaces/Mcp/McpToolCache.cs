using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Resh.Core.Config;
using Resh.Core.Platform;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// The tools/list pages of one binary and one policy, kept in the state dir (<c>cache/mcp/</c>) so that the first
/// list of a later session is a file read instead of building every handle's schemas (~200 ms). The file is named
/// by a hash of what the pages are a function of: the executable (device, inode, size, change time) and every
/// policy option; a rebuilt binary or another policy simply misses. A file that is not this user's own, is
/// writable by others, or does not parse is ignored (and rebuilt).
/// </summary>
public static class McpToolCache
{
    static readonly byte[] Magic = "RESHMCP1"u8.ToArray();
    const long MaxFile = 64L << 20;

    /// <summary>The cache file for this binary and policy, or null when the executable cannot be identified.</summary>
    /// <param name="external">The registry's external handles (installed plugins) as a fingerprint: another set of plugins misses.</param>
    public static string? PathFor(ReshPaths paths, McpPolicy policy, string external = "")
    {
        if (Posix.Stat("/proc/self/exe", follow: true, out _) is not { } exe) return null;
        var key = new StringBuilder()
            .Append(exe.DevMajor).Append(':').Append(exe.DevMinor).Append(':').Append(exe.Inode).Append(':').Append(exe.Size)
            .Append(':').Append(exe.ChangeTime.UtcTicks).Append(':').Append(exe.ModifyTime.UtcTicks)
            .Append("\nro=").Append(policy.ReadOnly).Append(" destructive=").Append(policy.AllowDestructive).Append(" dry=").Append(policy.ForceDryRun).Append(" reveal=").Append(policy.AllowReveal).Append(" plugin_reads=").Append(policy.AllowPluginReads);
        if (external.Length > 0) key.Append("\nexternal ").Append(external);
        foreach (var p in policy.Allow) key.Append("\nallow ").Append(p.Text);
        foreach (var p in policy.Deny) key.Append("\ndeny ").Append(p.Text);
        foreach (var s in policy.AllowSecret) key.Append("\nsecret ").Append(s);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())))[..32];
        return Path.Combine(paths.StateDir, "cache", "mcp", $"tools-{hash}.bin");
    }

    /// <summary>The pages by offset, or null when there is no usable cache file.</summary>
    public static Dictionary<int, byte[]>? Load(string path)
    {
        try
        {
            // Only a regular file of this user that no one else may write (another user could otherwise describe the tools).
            if (Posix.Stat(path, follow: false, out _) is not { IsRegular: true } st || st.Uid != LibC.GetEUid() || (st.Mode & 0x12) != 0 || st.Size > MaxFile)
                return null;
            var data = File.ReadAllBytes(path);
            if (!data.AsSpan().StartsWith(Magic)) return null;
            var pages = new Dictionary<int, byte[]>();
            var at = Magic.Length;
            while (at < data.Length)
            {
                if (data.Length - at < 8) return null;
                var offset = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at));
                var length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at + 4));
                at += 8;
                if (offset < 0 || length < 0 || length > data.Length - at) return null;
                pages[offset] = data.AsSpan(at, length).ToArray();
                at += length;
            }
            return pages.Count > 0 && pages.ContainsKey(0) ? pages : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Writes the pages (0600, atomically); a cache that cannot be written is not an error.</summary>
    public static void Save(string path, IReadOnlyDictionary<int, byte[]> pages)
    {
        var dir = Path.GetDirectoryName(path)!;
        try
        {
            ReshPaths.EnsurePrivateDir(Path.GetDirectoryName(dir)!);
            ReshPaths.EnsurePrivateDir(dir);
            using var data = new MemoryStream();
            data.Write(Magic);
            Span<byte> head = stackalloc byte[8];
            foreach (var (offset, bytes) in pages.OrderBy(p => p.Key))
            {
                BinaryPrimitives.WriteInt32LittleEndian(head, offset);
                BinaryPrimitives.WriteInt32LittleEndian(head[4..], bytes.Length);
                data.Write(head);
                data.Write(bytes);
            }
            AtomicFile.Write(path, data.GetBuffer().AsSpan(0, (int)data.Length), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }
}
