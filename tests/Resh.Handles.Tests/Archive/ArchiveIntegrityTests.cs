using System.IO.Compression;
using System.Text;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Archive.TarBuilder;

namespace Resh.Handles.Tests.Archive;

/// <summary>Damage is found and named, sparse files come back sparse, names stay bytes, nothing is left behind.</summary>
public sealed class ArchiveIntegrityTests
{
    static ReshRun Resh(params string[] args) => ReshBinary.Run(args);

    static void FailsNaming(ReshRun run, string code, string entry)
    {
        Assert.True(run.ErrorCode == code, run.ToString());
        var message = run.Envelope["error"]!["message"]!.GetValue<string>();
        Assert.Contains(entry, message);
        Assert.DoesNotContain("bug", message + run.Envelope["error"]!["hint"]);
        Assert.DoesNotContain("_", message.Split(' ').Where(w => w.All(c => char.IsLetter(c) || c == '_') && w.Contains('_'))); // no resource keys
    }

    static string Zip(TempDir dir, params (string Name, byte[] Data)[] entries)
    {
        var path = dir["x.zip"];
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, data) in entries)
        {
            using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            s.Write(data);
        }
        return path;
    }

    static int Find(byte[] haystack, byte[] needle, int from = 0)
    {
        for (int i = from; i <= haystack.Length - needle.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }

    [Fact]
    public void A_flipped_byte_in_a_zip_entry_fails_test_and_extract_naming_the_entry()
    {
        using var dir = new TempDir("crc");
        var path = Zip(dir, ("good.txt", B("all fine here\n")), ("bad.txt", B("the quick brown fox jumps\n")));
        var bytes = File.ReadAllBytes(path);
        bytes[Find(bytes, B("quick"))] ^= 0x20; // stored data: flip one bit of a letter
        File.WriteAllBytes(path, bytes);
        FailsNaming(Resh($"archive://{path}.test"), "failed", "bad.txt");
        FailsNaming(Resh($"archive://{path}.extract(destination={dir["out"]})"), "failed", "bad.txt");
        Assert.False(Directory.Exists(dir["out"])); // all or nothing
        Assert.Single(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void A_zip_whose_header_understates_the_size_is_damage_not_a_shorter_file()
    {
        using var dir = new TempDir("size");
        var path = dir["x.zip"];
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("big.txt", CompressionLevel.Optimal).Open())
            s.Write(B(string.Concat(Enumerable.Repeat("0123456789", 1000))));
        var bytes = File.ReadAllBytes(path);
        // Central directory record of big.txt: uncompressed size at offset 24 says 100 instead of 10000.
        var cd = Find(bytes, [0x50, 0x4b, 1, 2]);
        BitConverter.GetBytes(100u).CopyTo(bytes, cd + 24);
        var local = Find(bytes, [0x50, 0x4b, 3, 4]);
        BitConverter.GetBytes(100u).CopyTo(bytes, local + 22);
        File.WriteAllBytes(path, bytes);
        FailsNaming(Resh($"archive://{path}.test"), "failed", "big.txt");
        FailsNaming(Resh($"archive://{path}.extract(destination={dir["out"]})"), "failed", "big.txt");
    }

    [Fact]
    public void A_data_descriptor_that_disagrees_with_the_central_directory_is_damage()
    {
        using var dir = new TempDir("dd");
        var src = dir.File("in/f.txt", "descriptor data\n");
        // Info-ZIP writes a data descriptor when it reads from a pipe (-): `zip - f.txt` streams.
        var zipped = Sh.Ok("sh", "-c", $"cd {dir["in"]} && zip -q - f.txt | cat > {dir["dd.zip"]} && echo ok");
        Assert.Contains("ok", zipped);
        var path = dir["dd.zip"];
        Assert.True(Resh($"archive://{path}.test").Ok);
        var bytes = File.ReadAllBytes(path);
        var desc = Find(bytes, [0x50, 0x4b, 7, 8]);
        Assert.True(desc > 0, "zip -fd wrote no data descriptor");
        bytes[desc + 4] ^= 0xFF; // the descriptor's CRC
        File.WriteAllBytes(path, bytes);
        FailsNaming(Resh($"archive://{path}.test"), "failed", "f.txt");
        _ = src;
    }

    [Theory]
    [InlineData("gz")]
    [InlineData("bz2")]
    [InlineData("xz")]
    [InlineData("zst")]
    public void Corrupt_compressed_tars_fail_with_a_sentence_never_the_bug_path(string codec)
    {
        using var dir = new TempDir("corrupt");
        var src = dir["src"];
        Directory.CreateDirectory(src);
        var rng = new Random(7);
        for (int i = 0; i < 4; i++)
        {
            var data = new byte[200_000];
            for (int j = 0; j < data.Length; j++) data[j] = (byte)(rng.Next(16) + 'a'); // compressible, not trivially
            File.WriteAllBytes(Path.Combine(src, $"f{i}.txt"), data);
        }
        var path = dir[$"x.tar.{codec}"];
        Assert.True(Resh($"archive://{path}.create(sources={src})").Ok);
        var bytes = File.ReadAllBytes(path);
        for (int i = bytes.Length / 2; i < bytes.Length / 2 + 16; i++) bytes[i] ^= 0x55;
        File.WriteAllBytes(path, bytes);
        foreach (var verb in new[] { "test", $"extract(destination={dir["out"]})", "list" })
        {
            var run = Resh($"archive://{path}.{verb}");
            if (verb == "list" && run.Ok) continue; // listing may stop before the damage
            Assert.True(run.ErrorCode == "failed", run.ToString());
            var error = run.Envelope["error"]!;
            Assert.DoesNotContain("bug", error.ToJsonString());
            Assert.Contains("damaged", error["message"]!.GetValue<string>());
        }
        // Truncated: cut in the middle.
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..(bytes.Length / 3)]);
        var cut = Resh($"archive://{path}.test");
        Assert.True(cut.ErrorCode == "failed", cut.ToString());
        Assert.DoesNotContain("bug", cut.Envelope["error"]!.ToJsonString());
    }

    [Fact]
    public void A_tar_header_damaged_mid_archive_fails_naming_where()
    {
        using var dir = new TempDir("hdr");
        var tar = new TarBuilder().File("one.txt", "1").File("two.txt", "2").Build();
        tar[512 * 2 + 10] ^= 0x41; // the second header's name: its checksum no longer matches
        File.WriteAllBytes(dir["x.tar"], tar);
        var run = Resh($"archive://{dir["x.tar"]}.test");
        Assert.True(run.ErrorCode == "failed", run.ToString());
        Assert.Contains("checksum", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain("bug", run.Stdout);
    }

    public static TheoryData<string> SparseFormats => new() { "gnu", "pax-0.0", "pax-0.1", "pax-1.0" };

    /// <summary>A 64 MiB file with three small data regions, archived by GNU tar --sparse in each sparse format.</summary>
    [Theory, MemberData(nameof(SparseFormats))]
    public void Sparse_files_from_GNU_tar_come_back_sparse_and_exact(string format)
    {
        using var dir = new TempDir("sparse");
        var src = dir["src"];
        Directory.CreateDirectory(src);
        var file = Path.Combine(src, "disk.img");
        using (var fs = File.Create(file))
        {
            fs.SetLength(64L << 20);
            fs.Position = 4096; fs.Write(Enumerable.Repeat((byte)'a', 8192).ToArray());
            fs.Position = 20L << 20; fs.Write(Enumerable.Repeat((byte)'b', 100).ToArray());
            fs.Position = (64L << 20) - 10; fs.Write(B("0123456789"));
        }
        var tarArgs = format == "gnu"
            ? new[] { "--sparse", "--format=gnu" }
            : ["--sparse", "--format=pax", $"--sparse-version={format[4..]}"];
        Sh.Ok("tar", [.. tarArgs, "-cf", dir["s.tar"], "-C", dir.Path, "src"]);
        var list = Resh($"archive://{dir["s.tar"]}.list");
        Assert.True(list.Ok, list.ToString());
        var entry = list.Result!["entries"]!.AsArray().Single(e => e!["type"]!.GetValue<string>() == "file")!;
        Assert.Equal("src/disk.img", entry["path"]!.GetValue<string>()); // never a GNUSparseFile.NNN stand-in
        Assert.Equal(64L << 20, entry["size"]!.GetValue<long>());
        var run = Resh($"archive://{dir["s.tar"]}.extract(destination={dir["out"]})");
        Assert.True(run.Ok, run.ToString());
        var restored = Path.Combine(dir["out"], "src", "disk.img");
        Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(restored));
        Assert.True(ArchiveKit.Stat(restored, "%b") * 512 < 1 << 20, "the restored file is not sparse");
        Assert.True(Resh($"archive://{dir["s.tar"]}.test").Ok);
    }

    [Theory]
    [InlineData("tar.gz")]
    [InlineData("zip")]
    public void Names_that_are_not_UTF8_survive_create_list_and_extract_as_bytes(string ext)
    {
        using var dir = new TempDir("bytes");
        var src = dir["src"];
        Directory.CreateDirectory(src);
        // Latin-1 "café" and KOI8-R "привет": both invalid UTF-8, and different from each other.
        var names = new[] { "caf\xe9", "\xd0\xd2\xc9\xd7\xc5\xd4" };
        foreach (var n in names) Sh.Ok("sh", "-c", $"printf x > \"$(printf '{src}/{Octal(n)}')\"");
        Assert.Equal(3, Directory.EnumerateFileSystemEntries(src).Count() + 1);
        var archive = dir["x." + ext];
        var create = Resh($"archive://{archive}.create(sources={src})");
        Assert.True(create.Ok, create.ToString());
        Assert.Equal(3, create.Result!["entries"]!.GetValue<long>());
        var list = Resh($"archive://{archive}.list");
        var escaped = list.Result!["entries"]!.AsArray().Where(e => e!["escaped"]!.GetValue<bool>()).Select(e => e!["path"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(["src/%D0%D2%C9%D7%C5%D4", "src/caf%E9"], escaped);
        var run = Resh($"archive://{archive}.extract(destination={dir["out"]})");
        Assert.True(run.Ok, run.ToString());
        // Exact bytes on disk, as ls -b shows them.
        var ls = Sh.Ok("ls", "-b", Path.Combine(dir["out"], "src"));
        Assert.Contains("caf\\351", ls);
        Assert.Contains("\\320\\322\\311\\327\\305\\324", ls);
        if (ext.StartsWith("tar", StringComparison.Ordinal))
        {
            // GNU tar sees the same bytes.
            var gnu = Sh.Ok("tar", "-tzf", archive, "--quoting-style=escape");
            Assert.Contains("src/caf\\351", gnu);
        }
        else Assert.Contains("caf", Sh.Ok("unzip", "-l", archive));
    }

    static string Octal(string s) => string.Concat(s.Select(c => c < 0x80 ? c.ToString() : "\\" + Convert.ToString(c, 8)));

    [Fact]
    public void An_archive_with_a_name_longer_than_the_file_system_allows_is_refused_by_name()
    {
        using var dir = new TempDir("long");
        var tar = new TarBuilder().Long('L', B(new string('n', 300))).File("short", "x").File("ok", "fine").Save(dir["x.tar"]);
        var run = Resh($"archive://{tar}.extract(destination={dir["out"]})");
        Assert.Equal("partial", run.ErrorCode);
        Assert.Contains(run.Result!["refused"]!.AsArray(), r => r!["reason"]!.GetValue<string>() == "name_too_long");
        Assert.Equal("fine", File.ReadAllText(Path.Combine(dir["out"], "ok")));
        var create = Resh($"archive://{dir.Path}/{new string('a', 300)}.tar.create(sources={dir["x.tar"]})");
        Assert.Equal("usage", create.ErrorCode);
        Assert.Contains("255", create.Envelope["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void A_timeout_during_a_slow_create_leaves_no_temporary_file()
    {
        using var dir = new TempDir("tmo");
        var src = dir["src"];
        Directory.CreateDirectory(src);
        var data = new byte[48 << 20];
        new Random(1).NextBytes(data);
        File.WriteAllBytes(Path.Combine(src, "random.bin"), data);
        var run = Resh($"archive://{dir["x.tar.zst"]}.create(sources={src},level=19)", "--timeout", "1s");
        Assert.Equal("timeout", run.ErrorCode);
        Assert.Equal(["src"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_pax_header_that_is_damaged_is_skipped_with_a_warning_and_the_entry_kept()
    {
        using var dir = new TempDir("pax");
        var body = Encoding.ASCII.GetBytes("22 mtime=1700000000.5\n99 broken\n");
        var tar = new TarBuilder().PaxRaw(body).File("after-bad-pax.txt", "kept", magic: "ustar").Save(dir["x.tar"]);
        var run = Resh($"archive://{tar}.extract(destination={dir["out"]})");
        Assert.True(run.Ok, run.ToString());
        Assert.NotEmpty(run.Envelope["warnings"]!.AsArray());
        Assert.Equal("kept", File.ReadAllText(Path.Combine(dir["out"], "after-bad-pax.txt")));
    }
}
