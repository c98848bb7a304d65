using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Archive;

/// <summary>
/// zstd runs on the system libzstd.so.1, and on the managed ZstdSharp when that library cannot be
/// loaded. Both must write standard zstd that the `zstd` tool reads, and read what it writes. The
/// fallback is exercised for real: in a private mount namespace the library file is covered with
/// /dev/null, so dlopen fails exactly as on a system without libzstd1.
/// </summary>
public sealed class ZstdLibraryTests
{
    static readonly string Text = string.Concat(Enumerable.Range(0, 40_000).Select(i => $"line {i} of a log that compresses well\n"));

    static string MakeTree(TempDir dir)
    {
        var src = dir["src"];
        Directory.CreateDirectory(Path.Combine(src, "sub"));
        File.WriteAllText(Path.Combine(src, "log.txt"), Text);
        var random = new byte[3 << 20];
        new Random(7).NextBytes(random);
        File.WriteAllBytes(Path.Combine(src, "sub", "random.bin"), random);
        return src;
    }

    [Fact]
    public void The_system_library_writes_zstd_the_zstd_tool_reads_and_reads_what_the_tool_writes()
    {
        using var dir = new TempDir("zlib");
        var src = MakeTree(dir);
        AssertInteroperates(dir, src, args => ReshBinary.Run(args), expectFallback: false);
    }

    [Fact]
    public void Without_libzstd_the_managed_fallback_warns_and_still_interoperates_with_the_zstd_tool()
    {
        using var dir = new TempDir("zfall");
        var src = MakeTree(dir);
        using var ns = new MountNamespace();
        foreach (var lib in LibzstdFiles()) ns.Exec("mount", "--bind", "/dev/null", lib);
        AssertInteroperates(dir, src, args => ns.Resh(args), expectFallback: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_truncated_zstd_stream_is_failed_and_leaves_no_output(bool fallback)
    {
        using var dir = new TempDir("ztrunc");
        var file = dir.File("log.txt", Text);
        Sh.Ok("zstd", "-q", file, "-o", dir["whole.zst"]);
        var bytes = File.ReadAllBytes(dir["whole.zst"]);
        File.WriteAllBytes(dir["cut.zst"], bytes[..(bytes.Length / 2)]);
        using var ns = fallback ? new MountNamespace() : null;
        if (ns is not null) foreach (var lib in LibzstdFiles()) ns.Exec("mount", "--bind", "/dev/null", lib);
        var args = new[] { $"archive://{dir["cut.zst"]}.decompress(output={dir["cut.txt"]})" };
        var run = ns is null ? ReshBinary.Run(args) : ns.Resh(args);
        Assert.Equal("failed", run.ErrorCode);
        Assert.False(File.Exists(dir["cut.txt"]));
    }

    static void AssertInteroperates(TempDir dir, string src, Func<string[], ReshRun> resh, bool expectFallback)
    {
        void AssertPath(ReshRun run)
        {
            Assert.True(run.Ok, run.ToString());
            var warnings = run.Envelope["warnings"]!.AsArray();
            if (expectFallback) Assert.NotEmpty(warnings);
            else Assert.Empty(warnings);
        }

        // resh writes, zstd reads: an archive and a single stream.
        var create = resh([$"archive://{dir["r.tar.zst"]}.create(sources={src})"]);
        AssertPath(create);
        Sh.Ok("zstd", "-q", "-t", dir["r.tar.zst"]);
        Sh.Ok("mkdir", dir["gnu"]);
        Sh.Ok("tar", "--zstd", "-xf", dir["r.tar.zst"], "-C", dir["gnu"]);
        Assert.Equal(File.ReadAllBytes(Path.Combine(src, "sub", "random.bin")), File.ReadAllBytes(Path.Combine(dir["gnu"], "src", "sub", "random.bin")));
        Assert.Equal(Text, File.ReadAllText(Path.Combine(dir["gnu"], "src", "log.txt")));

        var compress = resh([$"archive://{Path.Combine(src, "log.txt")}.compress(output={dir["r.log.zst"]})"]);
        AssertPath(compress);
        Assert.Equal(Text, Sh.Ok("zstd", "-q", "-dc", dir["r.log.zst"]));

        // zstd writes, resh reads: a tarball, and two frames back to back (as `cat a.zst b.zst` makes).
        Sh.Ok("tar", "--zstd", "-cf", dir["g.tar.zst"], "-C", dir.Path, "src");
        var extract = resh([$"archive://{dir["g.tar.zst"]}.extract(destination={dir["out"]})"]);
        AssertPath(extract);
        Assert.Equal(File.ReadAllBytes(Path.Combine(src, "sub", "random.bin")), File.ReadAllBytes(Path.Combine(dir["out"], "src", "sub", "random.bin")));
        Assert.Equal(Text, File.ReadAllText(Path.Combine(dir["out"], "src", "log.txt")));

        Sh.Ok("zstd", "-q", "-19", Path.Combine(src, "log.txt"), "-o", dir["one.zst"]);
        File.WriteAllBytes(dir["two.zst"], [.. File.ReadAllBytes(dir["one.zst"]), .. File.ReadAllBytes(dir["one.zst"])]);
        var decompress = resh([$"archive://{dir["two.zst"]}.decompress(output={dir["two.txt"]})"]);
        AssertPath(decompress);
        Assert.Equal(Text + Text, File.ReadAllText(dir["two.txt"]));
    }

    /// <summary>Every file the dynamic linker would load for libzstd.so.1 (usually one, reached through /lib and /usr/lib).</summary>
    static IEnumerable<string> LibzstdFiles()
    {
        var files = Sh.Ok("ldconfig", "-p").Split('\n')
            .Where(l => l.TrimStart().StartsWith("libzstd.so.1 ", StringComparison.Ordinal) && l.Contains("=>"))
            .Select(l => l[(l.IndexOf("=>", StringComparison.Ordinal) + 2)..].Trim())
            .Select(p => new FileInfo(p).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? p)
            .Distinct()
            .ToList();
        Assert.NotEmpty(files); // libzstd1 is installed on every Debian (dpkg depends on it)
        return files;
    }
}
