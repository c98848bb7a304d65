using System.Formats.Tar;
using System.IO.Compression;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Archive;

public sealed class ArchiveTests
{
    /// <summary>A small tree with what "faithful" covers: modes, an empty dir, a symlink, a hard link, an old mtime.</summary>
    static string MakeTree(TempDir dir)
    {
        var src = dir["src"];
        Directory.CreateDirectory(Path.Combine(src, "sub", "empty"));
        File.WriteAllText(Path.Combine(src, "a.txt"), "hello\n");
        File.WriteAllBytes(Path.Combine(src, "sub", "data.bin"), Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray());
        File.WriteAllText(Path.Combine(src, "run.sh"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(src, "run.sh"), (UnixFileMode)0x1ED); // 0755
        File.SetUnixFileMode(Path.Combine(src, "sub"), (UnixFileMode)0x1E9);    // 0751
        File.CreateSymbolicLink(Path.Combine(src, "link"), "a.txt");
        Sh.Ok("ln", Path.Combine(src, "a.txt"), Path.Combine(src, "hard"));
        File.SetLastWriteTimeUtc(Path.Combine(src, "sub", "data.bin"), new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        return src;
    }

    [Theory]
    [InlineData("tar")]
    [InlineData("tar.gz")]
    [InlineData("tar.zst")]
    [InlineData("tar.xz")]
    [InlineData("tar.bz2")]
    [InlineData("zip")]
    public void Create_then_extract_reproduces_the_tree_faithfully(string ext)
    {
        using var dir = new TempDir("arc");
        var src = MakeTree(dir);
        var archive = dir["x." + ext];
        var create = ReshBinary.Run($"archive://{archive}.create(sources={src})");
        Assert.True(create.Ok, create.ToString());
        Assert.True(create.Changed);
        Assert.Equal(ext, create.Result!["format"]!.GetValue<string>());

        var extract = ReshBinary.Run($"archive://{archive}.extract(destination={dir["out"]})");
        Assert.True(extract.Ok, extract.ToString());
        var outSrc = Path.Combine(dir["out"], "src");
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(outSrc, "a.txt")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(src, "sub", "data.bin")), File.ReadAllBytes(Path.Combine(outSrc, "sub", "data.bin")));
        Assert.True(Directory.Exists(Path.Combine(outSrc, "sub", "empty")));
        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Combine(outSrc, "run.sh")));
        Assert.Equal((UnixFileMode)0x1E9, File.GetUnixFileMode(Path.Combine(outSrc, "sub")));
        Assert.Equal("a.txt", new FileInfo(Path.Combine(outSrc, "link")).LinkTarget);
        Assert.Equal(new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc), File.GetLastWriteTimeUtc(Path.Combine(outSrc, "sub", "data.bin")));
        if (ext.StartsWith("tar", StringComparison.Ordinal))
        {
            var a = Sh.Ok("stat", "-c", "%i", Path.Combine(outSrc, "a.txt")).Trim();
            var h = Sh.Ok("stat", "-c", "%i", Path.Combine(outSrc, "hard")).Trim();
            Assert.Equal(a, h); // the hard link is a hard link again
        }
    }

    [Fact]
    public void GNU_tar_reads_what_resh_writes_and_resh_reads_what_GNU_tar_writes()
    {
        using var dir = new TempDir("gnu");
        var src = MakeTree(dir);
        Assert.True(ReshBinary.Run($"archive://{dir["r.tar.zst"]}.create(sources={src})").Ok);
        var listing = Sh.Ok("tar", "--zstd", "-tf", dir["r.tar.zst"]);
        Assert.Contains("src/sub/data.bin", listing);
        Sh.Ok("tar", "-czf", dir["g.tgz"], "-C", dir.Path, "src");
        var list = ReshBinary.Run($"archive://{dir["g.tgz"]}.list");
        Assert.True(list.Ok, list.ToString());
        Assert.Contains(list.Result!["entries"]!.AsArray(), e => e!["path"]!.GetValue<string>() == "src/link" && e["type"]!.GetValue<string>() == "symlink");
    }

    [Fact]
    public void The_format_is_detected_from_content_not_the_name()
    {
        using var dir = new TempDir("magic");
        var src = MakeTree(dir);
        Assert.True(ReshBinary.Run($"archive://{dir["x.tar.xz"]}.create(sources={src})").Ok);
        File.Move(dir["x.tar.xz"], dir["mystery.bin"]);
        var info = ReshBinary.Run($"archive://{dir["mystery.bin"]}.info");
        Assert.True(info.Ok, info.ToString());
        Assert.Equal("tar.xz", info.Result!["format"]!.GetValue<string>());
        Assert.Equal(3, info.Result!["files"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("tar.gz")]
    [InlineData("zip")]
    [InlineData("tar.zst")]
    public void Deterministic_creates_of_the_same_tree_are_byte_identical(string ext)
    {
        using var dir = new TempDir("det");
        var src = MakeTree(dir);
        Assert.True(ReshBinary.Run($"archive://{dir["one." + ext]}.create(sources={src},deterministic=true)").Ok);
        File.SetLastWriteTimeUtc(Path.Combine(src, "a.txt"), DateTime.UtcNow.AddHours(-5)); // times must not matter
        Assert.True(ReshBinary.Run($"archive://{dir["two." + ext]}.create(sources={src},deterministic=true)").Ok);
        Assert.Equal(File.ReadAllBytes(dir["one." + ext]), File.ReadAllBytes(dir["two." + ext]));
        var again = ReshBinary.Run($"archive://{dir["two." + ext]}.create(sources={src},deterministic=true)");
        Assert.False(again.Changed); // identical output leaves the file alone
    }

    /// <summary>
    /// Runs resh in a private mount namespace where <paramref name="dir"/> is a fresh 64 MiB tmpfs: the room a
    /// bomb would fill, the same on every machine (nothing is mounted outside that namespace).
    /// </summary>
    static ReshRun RunOnSmallFileSystem(string dir, params string[] args) =>
        FileScheme.Tool.RunResh(["unshare", "-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=64m resh-small \"$1\" && shift && exec \"$@\"", "sh", dir, ReshBinary.Path, .. args]);

    /// <summary>A zip whose central directory lists the one 1 GiB entry <paramref name="copies"/> times under different names (overlapping entries, as the non-recursive zip bombs do).</summary>
    static void OverlappingZipBomb(string path, int copies)
    {
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            var e = zip.CreateEntry("z0000.bin", CompressionLevel.SmallestSize);
            using var s = e.Open();
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 1024; i++) s.Write(zeros); // 1 GiB of zeros, about 1 MiB compressed
        }
        var bytes = File.ReadAllBytes(path);
        var eocd = bytes.AsSpan().LastIndexOf("PK\x05\x06"u8);
        var cdSize = BitConverter.ToInt32(bytes, eocd + 12);
        var cdOffset = BitConverter.ToInt32(bytes, eocd + 16);
        var record = bytes.AsSpan(cdOffset, cdSize).ToArray();
        using var output = new MemoryStream();
        output.Write(bytes, 0, cdOffset);
        for (int i = 0; i < copies; i++)
        {
            var copy = (byte[])record.Clone();
            System.Text.Encoding.ASCII.GetBytes($"z{i:D4}.bin").CopyTo(copy, 46); // the name follows the 46-byte fixed part
            output.Write(copy);
        }
        var tail = bytes.AsSpan(eocd, 22).ToArray();
        BitConverter.GetBytes((ushort)copies).CopyTo(tail, 8);
        BitConverter.GetBytes((ushort)copies).CopyTo(tail, 10);
        BitConverter.GetBytes(cdSize * copies).CopyTo(tail, 12);
        output.Write(tail);
        File.WriteAllBytes(path, output.ToArray());
    }

    [Fact]
    public void A_zip_bomb_of_overlapping_entries_is_refused_before_a_byte_is_written()
    {
        using var dir = new TempDir("bomb");
        var bomb = dir["bomb.zip"];
        OverlappingZipBomb(bomb, 300); // declares 300 GiB from about 1 MiB
        var small = dir["small"];
        Directory.CreateDirectory(small);
        var run = RunOnSmallFileSystem(small, $"archive://{bomb}.extract", $"destination={small}/out");
        Assert.Equal("failed", run.ErrorCode);
        Assert.Equal("max_bytes", run.Envelope["error"]!["details"]!["limit"]!.GetValue<string>());
        Assert.Contains("free on the destination", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Empty(Directory.EnumerateFileSystemEntries(small));
        Assert.Equal(["bomb.zip", "small"], Directory.EnumerateFileSystemEntries(dir.Path).Select(p => Path.GetFileName(p)).Order().ToList());
        // On a roomy file system the ratio guard refuses it too (300 GiB from 1 MiB, past the 4 GiB floor).
        var roomy = ReshBinary.Run($"archive://{bomb}.extract", $"destination={dir["out"]}", "max_bytes=1099511627776");
        Assert.Equal("failed", roomy.ErrorCode);
        Assert.Equal("max_ratio", roomy.Envelope["error"]!["details"]!["limit"]!.GetValue<string>());
        Assert.False(Directory.Exists(dir["out"]));
    }

    [Fact]
    public void A_tar_bomb_without_declared_sizes_is_stopped_while_streaming()
    {
        using var dir = new TempDir("tbomb");
        var bomb = dir["bomb.tar.gz"];
        using (var fs = File.Create(bomb))
        using (var gz = new GZipStream(fs, CompressionLevel.SmallestSize))
        using (var tar = new TarWriter(gz, TarEntryFormat.Gnu))
        {
            var e = new GnuTarEntry(TarEntryType.RegularFile, "zeros.bin") { DataStream = new ZeroStream(256L << 20) };
            tar.WriteEntry(e);
        }
        var small = dir["small"];
        Directory.CreateDirectory(small);
        var run = RunOnSmallFileSystem(small, $"archive://{bomb}.extract", $"destination={small}/out");
        Assert.Equal("failed", run.ErrorCode);
        Assert.Equal("max_bytes", run.Envelope["error"]!["details"]!["limit"]!.GetValue<string>());
        Assert.Empty(Directory.EnumerateFileSystemEntries(small)); // the stage is gone too
        Assert.Equal(["bomb.tar.gz", "small"], Directory.EnumerateFileSystemEntries(dir.Path).Select(p => Path.GetFileName(p)).Order().ToList());
    }

    [Fact]
    public void A_tar_zst_of_a_GiB_of_zeros_extracts_with_the_default_limits()
    {
        using var dir = new TempDir("zeros");
        // A sparse source reads as a GiB of zeros; zstd makes it a few dozen KiB (a ratio far above any fixed cap).
        Sh.Ok("truncate", "-s", "1G", dir["zeros.img"]);
        Sh.Ok("tar", "--zstd", "-C", dir.Path, "-cf", dir["z.tar.zst"], "zeros.img");
        File.Delete(dir["zeros.img"]);
        Assert.True(new FileInfo(dir["z.tar.zst"]).Length < 1 << 20);
        var run = ReshBinary.Run($"archive://{dir["z.tar.zst"]}.extract", $"destination={dir["out"]}");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(1L << 30, new FileInfo(Path.Combine(dir["out"], "zeros.img")).Length);
        File.Delete(Path.Combine(dir["out"], "zeros.img"));
    }

    [Fact]
    public void Unsafe_entries_are_refused_one_by_one_and_nothing_lands_outside()
    {
        using var dir = new TempDir("evil");
        var evil = dir["evil.tar"];
        // Every target outside the destination is a decoy inside this test's temp dir: a regression must
        // never be able to write into a real system tree such as /etc.
        var victim = dir["victim"];
        Directory.CreateDirectory(victim);
        File.WriteAllText(Path.Combine(victim, "passwd"), "root:x:0:0\n");
        var absolute = Path.Combine(victim, "absolute-escape.txt");
        using (var fs = File.Create(evil))
        using (var tar = new TarWriter(fs, TarEntryFormat.Pax))
        {
            void File_(string name, string text) => tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)) });
            File_("ok.txt", "fine");
            File_("../escaped.txt", "bad");
            File_(absolute, "bad");
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "up") { LinkName = ".." });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "etc") { LinkName = victim });
            File_("etc/owned.txt", "bad");
            tar.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "hl") { LinkName = "../victim/passwd" });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "null") { DeviceMajor = 1, DeviceMinor = 3 });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "pipe"));
        }
        var run = ReshBinary.Run($"archive://{evil}.extract(destination={dir["out"]})");
        Assert.Equal("partial", run.ErrorCode); // refused entries: exit 9, the rest extracted
        Assert.Equal(9, run.ExitCode);
        var refused = run.Result!["refused"]!.AsArray().ToDictionary(r => r!["path"]!.GetValue<string>(), r => r!["reason"]!.GetValue<string>());
        Assert.Equal("parent_traversal", refused["../escaped.txt"]);
        Assert.Equal("absolute_path", refused[absolute]);
        Assert.Equal("symlink_escape", refused["up"]);
        Assert.Equal("symlink_escape", refused["etc"]);
        Assert.Equal("hardlink_escape", refused["hl"]);
        Assert.Equal("device_node", refused["null"]);
        Assert.Equal("fifo", refused["pipe"]);
        Assert.Equal("fine", File.ReadAllText(Path.Combine(dir["out"], "ok.txt")));
        Assert.False(File.Exists(dir["escaped.txt"]));
        Assert.False(File.Exists(absolute));
        Assert.False(File.Exists(Path.Combine(victim, "owned.txt")));
        Assert.Equal(["passwd"], Directory.EnumerateFileSystemEntries(victim).Select(Path.GetFileName));
        Assert.Equal(1, ArchiveKit.Stat(Path.Combine(victim, "passwd"), "%h"));
        Assert.NotEmpty(run.Envelope["warnings"]!.AsArray());
    }

    [Fact]
    public void Extracting_twice_is_unchanged_and_a_differing_file_is_a_conflict_unless_replaced()
    {
        using var dir = new TempDir("idem");
        var src = MakeTree(dir);
        var archive = dir["x.tar.gz"];
        Assert.True(ReshBinary.Run($"archive://{archive}.create(sources={src})").Ok);
        Assert.True(ReshBinary.Run($"archive://{archive}.extract(destination={dir["out"]})").Changed);
        var second = ReshBinary.Run($"archive://{archive}.extract(destination={dir["out"]})");
        Assert.True(second.Ok, second.ToString());
        Assert.False(second.Changed);
        File.WriteAllText(Path.Combine(dir["out"], "src", "a.txt"), "local edit\n");
        var conflict = ReshBinary.Run($"archive://{archive}.extract(destination={dir["out"]})");
        Assert.Equal("conflict", conflict.ErrorCode);
        Assert.Equal("local edit\n", File.ReadAllText(Path.Combine(dir["out"], "src", "a.txt")));
        var skip = ReshBinary.Run($"archive://{archive}.extract(destination={dir["out"]},overwrite=skip)");
        Assert.True(skip.Ok);
        Assert.Equal("local edit\n", File.ReadAllText(Path.Combine(dir["out"], "src", "a.txt")));
        var replace = ReshBinary.Run($"archive://{archive}.extract(destination={dir["out"]},overwrite=replace)");
        Assert.True(replace.Changed);
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(dir["out"], "src", "a.txt")));
    }

    [Fact]
    public void Dry_run_extract_lists_entries_and_writes_nothing()
    {
        using var dir = new TempDir("dry");
        var src = MakeTree(dir);
        Assert.True(ReshBinary.Run($"archive://{dir["x.zip"]}.create(sources={src})").Ok);
        var run = ReshBinary.Run($"archive://{dir["x.zip"]}.extract(destination={dir["out"]})", "--dry-run");
        Assert.True(run.Ok, run.ToString());
        Assert.True(run.Changed);
        Assert.Contains(run.Result!["planned"]!.AsArray(), p => p!.GetValue<string>() == "src/sub/data.bin");
        Assert.False(Directory.Exists(dir["out"]));
    }

    [Fact]
    public void A_password_makes_an_AES_256_zip_that_needs_the_password_to_extract()
    {
        using var dir = new TempDir("aes");
        var src = MakeTree(dir);
        File.WriteAllText(dir["pw"], "s3cret-pass\n");
        var create = ReshBinary.Run($"archive://{dir["x.zip"]}.create(sources={src})", "--password", "@" + dir["pw"]);
        Assert.True(create.Ok, create.ToString());
        Assert.True(create.Result!["encrypted"]!.GetValue<bool>());
        Assert.DoesNotContain("s3cret-pass", create.Stdout + create.Stderr);
        var slt = Sh.Ok("7z", "l", "-slt", dir["x.zip"]);
        Assert.Contains("Method = AES-256", slt);
        Assert.Contains("Encrypted = +", slt);
        // Every entry with data is encrypted (directories have none to encrypt, as with Info-ZIP and 7-Zip).
        foreach (var block in slt.Split("\n\n").Where(b => b.Contains("Attributes = A")))
            Assert.Contains("Encrypted = +", block);

        Assert.Equal("usage", ReshBinary.Run($"archive://{dir["x.zip"]}.extract(destination={dir["o1"]})").ErrorCode);
        var wrong = ReshBinary.Run($"archive://{dir["x.zip"]}.extract(destination={dir["o2"]},password=nope)");
        Assert.Equal("permission_denied", wrong.ErrorCode);
        Assert.DoesNotContain("nope", wrong.Stdout);
        Assert.False(Directory.Exists(dir["o2"]));
        var right = ReshBinary.Run($"archive://{dir["x.zip"]}.extract(destination={dir["o3"]})", "--password", "@" + dir["pw"]);
        Assert.True(right.Ok, right.ToString());
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(dir["o3"], "src", "a.txt")));
    }

    [Fact]
    public void A_password_for_a_format_without_encryption_is_refused_rather_than_ignored()
    {
        using var dir = new TempDir("pwtar");
        var src = MakeTree(dir);
        var run = ReshBinary.Run($"archive://{dir["x.tar.gz"]}.create(sources={src},password=pw)");
        Assert.Equal("unsupported", run.ErrorCode);
        Assert.False(File.Exists(dir["x.tar.gz"]));
    }

    [Fact]
    public void Seven_zip_archives_are_listed_extracted_and_created_with_the_system_7z()
    {
        using var dir = new TempDir("7z");
        var src = MakeTree(dir);
        var create = ReshBinary.Run($"archive://{dir["x.7z"]}.create(sources={src})");
        Assert.True(create.Ok, create.ToString());
        Assert.Contains("src/sub/data.bin", Sh.Ok("7z", "l", dir["x.7z"]));
        var extract = ReshBinary.Run($"archive://{dir["x.7z"]}.extract(destination={dir["out"]})");
        Assert.True(extract.Ok, extract.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(src, "sub", "data.bin")), File.ReadAllBytes(Path.Combine(dir["out"], "src", "sub", "data.bin")));
    }

    [Fact]
    public void Include_and_exclude_select_what_is_stored()
    {
        using var dir = new TempDir("glob");
        var src = MakeTree(dir);
        var run = ReshBinary.Run($"archive://{dir["x.tar"]}.create(sources={src},exclude=*.bin,exclude=run.sh)");
        Assert.True(run.Ok, run.ToString());
        var names = ReshBinary.Run($"archive://{dir["x.tar"]}.list").Result!["entries"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToList();
        Assert.Contains("src/a.txt", names);
        Assert.Contains("src/sub/empty", names.Select(n => n.TrimEnd('/')));
        Assert.DoesNotContain(names, n => n.EndsWith(".bin", StringComparison.Ordinal) || n.EndsWith("run.sh", StringComparison.Ordinal));
    }

    [Fact]
    public void Add_and_remove_rewrite_the_archive_and_converge()
    {
        using var dir = new TempDir("addrm");
        var src = MakeTree(dir);
        var archive = dir["x.tar.gz"];
        Assert.True(ReshBinary.Run($"archive://{archive}.create(sources={src})").Ok);
        var extra = dir.File("extra.conf", "x=1\n");
        var add = ReshBinary.Run($"archive://{archive}.add(sources={extra})");
        Assert.True(add.Changed, add.ToString());
        Assert.Equal(["extra.conf"], add.Result!["added"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.False(ReshBinary.Run($"archive://{archive}.add(sources={extra})").Changed);
        var remove = ReshBinary.Run($"archive://{archive}.remove(paths=src/sub)");
        Assert.True(remove.Changed, remove.ToString());
        Assert.Equal("not_found", ReshBinary.Run($"archive://{archive}.remove(paths=src/sub)").ErrorCode); // a typo is not a no-op
        var names = Sh.Ok("tar", "-tzf", archive);
        Assert.Contains("extra.conf", names);
        Assert.DoesNotContain("src/sub", names);
        Assert.True(ReshBinary.Run($"archive://{archive}.test").Ok);
    }

    [Fact]
    public void Test_reports_a_damaged_archive_as_failed()
    {
        using var dir = new TempDir("damage");
        var src = MakeTree(dir);
        Assert.True(ReshBinary.Run($"archive://{dir["x.tar.gz"]}.create(sources={src})").Ok);
        var ok = ReshBinary.Run($"archive://{dir["x.tar.gz"]}.test");
        Assert.True(ok.Result!["intact"]!.GetValue<bool>());
        var bytes = File.ReadAllBytes(dir["x.tar.gz"]);
        for (int i = bytes.Length / 2; i < bytes.Length / 2 + 64; i++) bytes[i] ^= 0x5a;
        File.WriteAllBytes(dir["x.tar.gz"], bytes);
        Assert.Equal("failed", ReshBinary.Run($"archive://{dir["x.tar.gz"]}.test").ErrorCode);
    }

    [Theory]
    [InlineData("zst", "zstd")]
    [InlineData("gz", "gzip")]
    [InlineData("xz", "xz")]
    [InlineData("bz2", "bzip2")]
    public void Compress_and_decompress_single_files_interoperate_with_the_usual_tools(string format, string tool)
    {
        using var dir = new TempDir("cz");
        var file = dir.File("log.txt", string.Concat(Enumerable.Repeat("line of log text\n", 5000)));
        var c = ReshBinary.Run($"archive://{file}.compress(type={format})");
        Assert.True(c.Ok, c.ToString());
        Assert.Equal(File.ReadAllText(file), Sh.Ok(tool, "-dc", file + "." + format));
        File.Delete(file);
        var d = ReshBinary.Run($"archive://{file}.{format}.decompress");
        Assert.True(d.Ok, d.ToString());
        Assert.Equal(string.Concat(Enumerable.Repeat("line of log text\n", 5000)), File.ReadAllText(file));
    }

    [Fact]
    public void A_missing_archive_is_not_found_and_a_bad_level_is_a_usage_error()
    {
        using var dir = new TempDir("errs");
        Assert.Equal("not_found", ReshBinary.Run($"archive://{dir["nope.zip"]}.list").ErrorCode);
        var src = MakeTree(dir);
        Assert.Equal("usage", ReshBinary.Run($"archive://{dir["x.tar.gz"]}.create(sources={src},level=15)").ErrorCode);
        Assert.False(File.Exists(dir["x.tar.gz"]));
    }

    sealed class ZeroStream(long length) : Stream
    {
        long _pos;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _pos; set => _pos = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _pos);
            Array.Clear(buffer, offset, n);
            _pos += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => _pos = origin == SeekOrigin.Begin ? offset : origin == SeekOrigin.Current ? _pos + offset : length + offset;
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
