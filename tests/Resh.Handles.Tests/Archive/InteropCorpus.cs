using System.IO.Compression;
using System.Text;
using Resh.TestSupport;
using static Resh.Handles.Tests.Archive.TarBuilder;

namespace Resh.Handles.Tests.Archive;

/// <summary>
/// The interoperability corpus, built once per test run by the tools that write archives in the wild
/// (GNU tar in every format, bsdtar, 7-Zip, Info-ZIP) and by hand for the cases tars disagree on.
/// Each case names what it reproduces and what resh must do with it.
/// </summary>
public sealed class InteropCorpus : IDisposable
{
    readonly TempDir _dir = new("interop");

    public InteropCorpus()
    {
        Root = _dir.Path;
        MakeSources();
        foreach (var c in Cases)
        {
            try { c.Build(this); }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException) { BuildErrors[c.Name] = ex.Message; }
        }
        Summary = Environment.GetEnvironmentVariable("RESH_INTEROP_SUMMARY") is { Length: > 0 } s ? s : Path.Combine(Path.GetTempPath(), "resh-archive-interop.tsv");
        File.WriteAllText(Summary, "case\tresult\tdetail\n");
    }

    public string Root { get; }
    /// <summary>Cases whose archive could not be made (the test of that case fails with the tool's message).</summary>
    public Dictionary<string, string> BuildErrors { get; } = [];
    /// <summary>Where each case's outcome is appended (docs/benchmarks.md counts are taken from it).</summary>
    public string Summary { get; }
    public string this[string name] => Path.Combine(Root, name);

    /// <summary>What resh must do with a case, compared with bsdtar (or 7-Zip where bsdtar cannot read it).</summary>
    public enum Expect
    {
        /// <summary>Same tree as the reference: names (bytes), types, modes, sizes, contents, link targets.</summary>
        Agree,
        /// <summary>resh refuses with a clean error code (the reference reads it, or reads garbage); the detail says why.</summary>
        Refused,
        /// <summary>resh reads it correctly and the reference does not (the detail says how that was checked).</summary>
        ReshBetter,
    }

    public sealed record Case(string Name, string File, Expect Expect, string Why, Action<InteropCorpus> Build, string? Password = null,
        string Reference = "bsdtar", string? Code = null, string Extra = "");

    static void Tool(string cwd, params string[] argv)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(argv[0]) { WorkingDirectory = cwd, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C.UTF-8";
        using var p = System.Diagnostics.Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException(string.Join(' ', argv)); }
        // GNU tar and bsdtar exit non-zero for files a format cannot hold, having archived the rest: that is the case under test.
        if (p.ExitCode != 0 && argv[0] is not ("bsdtar" or "tar")) throw new InvalidOperationException($"{string.Join(' ', argv)} exited {p.ExitCode}: {o.Result}{e.Result}");
    }

    /// <summary>A tree with what archivers disagree on: empty files and directories, both kinds of links, long and non-UTF-8 names, set-id bits, old times, a sparse file.</summary>
    void MakeSources()
    {
        foreach (var which in new[] { "tree", "tree7" })
        {
            var t = this[which];
            Directory.CreateDirectory(Path.Combine(t, "dir", "empty"));
            File.WriteAllText(Path.Combine(t, "dir", "a.txt"), "hello\n");
            File.WriteAllText(Path.Combine(t, "empty.txt"), "");
            var rnd = new byte[200_000];
            new Random(5).NextBytes(rnd);
            File.WriteAllBytes(Path.Combine(t, "bin.dat"), rnd);
            File.WriteAllText(Path.Combine(t, "exec.sh"), "#!/bin/sh\necho hi\n");
            File.SetUnixFileMode(Path.Combine(t, "exec.sh"), (UnixFileMode)0x1ED);
            File.CreateSymbolicLink(Path.Combine(t, "rel-link"), "dir/a.txt");
            File.CreateSymbolicLink(Path.Combine(t, "abs-link"), "/etc/hostname");
            Sh.Ok("ln", Path.Combine(t, "dir", "a.txt"), Path.Combine(t, "hard"));
            var deep = Path.Combine(t, "deep", new string('d', 80), new string('e', 80));
            Directory.CreateDirectory(deep);
            File.WriteAllText(Path.Combine(deep, new string('f', 110)), "deep\n");
            File.WriteAllText(Path.Combine(t, "ünïcödé.txt"), "unicode\n");
            File.SetLastWriteTimeUtc(Path.Combine(t, "empty.txt"), new DateTime(1975, 6, 1, 0, 0, 0, DateTimeKind.Utc));
            if (which == "tree")
            {
                Sh.Ok("sh", "-c", $"printf latin1 > \"$(printf '{t}/caf\\351')\"");
                File.WriteAllText(Path.Combine(t, "setuid"), "x");
                File.SetUnixFileMode(Path.Combine(t, "setuid"), (UnixFileMode)0x9ED); // 04755
                using var fs = File.Create(Path.Combine(t, "sparse.img"));
                fs.SetLength(4 << 20);
                fs.Position = 1 << 20;
                fs.Write(Enumerable.Repeat((byte)'S', 5000).ToArray());
            }
        }
    }

    static Case Gnu(string format, string codec = "") => new($"gnutar-{format}{codec}", $"gnutar-{format}.tar{codec}", Expect.Agree, $"GNU tar --format={format}",
        c => Tool(c.Root, ["tar", $"--format={format}", .. format is "ustar" or "v7" ? Array.Empty<string>() : ["--sparse"], "-caf", c[$"gnutar-{format}.tar{codec}"], "tree"]));

    static Case Bsd(string format, string file) => new($"bsdtar-{format}", file, Expect.Agree, $"bsdtar --format={format}",
        c => Tool(c.Root, "bsdtar", $"--format={format}", "-cf", c[file], "tree7"));

    static Case SevenZ(string name, string why, params string[] args) => new($"7z-{name}", $"7z-{name}.7z", Expect.Agree, why,
        c => Tool(c.Root, ["7z", "a", "-snl", "-bd", "-y", .. args, c[$"7z-{name}.7z"], "tree7"]));

    static Case ZipMethod(string method) => new($"7z-zip-{method.ToLowerInvariant()}", $"7zzip-{method}.zip", method == "Deflate64" ? Expect.ReshBetter : Expect.Agree,
        method == "Deflate64" ? "7-Zip zip with Deflate64: bsdtar 3.6 cannot decode it (writes a wrong file); resh's content is checked against 7z x" : $"7-Zip zip with {method}",
        c => Tool(c.Root, "7z", "a", "-tzip", $"-mm={method}", "-bd", "-y", c[$"7zzip-{method}.zip"], "tree7"), Reference: method == "Deflate64" ? "7z" : "bsdtar");

    static Case Hand(string name, string why, Func<byte[]> build, Expect expect = Expect.Agree, string? code = null) => new(name, name, expect, why,
        c => File.WriteAllBytes(c[name], build()), Code: code);

    static byte[] Bz2WithGarbage(InteropCorpus c)
    {
        Tool(c.Root, "sh", "-c", "tar -cf - tree7/dir | bzip2 -c > trail.tar.bz2 && printf 'TRAILING GARBAGE\\n' >> trail.tar.bz2");
        return File.ReadAllBytes(c["trail.tar.bz2"]);
    }

    public static readonly Case[] Cases =
    [
        // Written by the tools.
        Gnu("gnu"), Gnu("oldgnu"), Gnu("ustar"), Gnu("pax"), Gnu("v7"),
        Gnu("gnu", ".gz"), Gnu("pax", ".bz2"), Gnu("gnu", ".xz"), Gnu("pax", ".zst"),
        new("gnutar-label", "gnutar-label.tar", Expect.Agree, "GNU tar -V (a volume label record, not an entry)", c => Tool(c.Root, "tar", "-V", "MY LABEL", "-cf", c["gnutar-label.tar"], "tree7/dir")),
        new("gnutar-sparse-pax-0.0", "sparse00.tar", Expect.Agree, "GNU tar pax sparse 0.0 (repeated GNU.sparse.offset/numbytes keys)", c => Tool(c.Root, "tar", "--format=pax", "--sparse", "--sparse-version=0.0", "-cf", c["sparse00.tar"], "tree/sparse.img")),
        new("gnutar-sparse-pax-0.1", "sparse01.tar", Expect.Agree, "GNU tar pax sparse 0.1 (GNU.sparse.map)", c => Tool(c.Root, "tar", "--format=pax", "--sparse", "--sparse-version=0.1", "-cf", c["sparse01.tar"], "tree/sparse.img")),
        new("gnutar-sparse-pax-1.0", "sparse10.tar", Expect.Agree, "GNU tar pax sparse 1.0 (map in the data)", c => Tool(c.Root, "tar", "--format=pax", "--sparse", "--sparse-version=1.0", "-cf", c["sparse10.tar"], "tree/sparse.img")),
        new("gnutar-old-mtime-pax", "oldtime.tar", Expect.Agree, "GNU tar pax with a time before 1970 (negative mtime)", c => Tool(c.Root, "tar", "--format=pax", "-cf", c["oldtime.tar"], "tree7/empty.txt")),
        Bsd("ustar", "bsdtar-ustar.tar"), Bsd("pax", "bsdtar-pax.tar"), Bsd("gnutar", "bsdtar-gnutar.tar"), Bsd("v7", "bsdtar-v7.tar"),
        new("bsdtar-restricted-pax", "bsdtar-default.tar", Expect.Agree, "bsdtar default (restricted pax)", c => Tool(c.Root, "bsdtar", "-cf", c["bsdtar-default.tar"], "tree")),
        new("bsdtar-zip", "bsdtar.zip", Expect.Agree, "bsdtar --format=zip", c => Tool(c.Root, "bsdtar", "--format=zip", "-cf", c["bsdtar.zip"], "tree7")),
        new("bsdtar-7zip", "bsdtar.7z", Expect.Agree, "bsdtar --format=7zip", c => Tool(c.Root, "bsdtar", "--format=7zip", "-cf", c["bsdtar.7z"], "tree7")),
        SevenZ("lzma2", "7-Zip default (LZMA2), symlinks and empty files"),
        SevenZ("lzma", "7-Zip LZMA", "-m0=LZMA"),
        SevenZ("bcj", "7-Zip BCJ filter + LZMA", "-mf=BCJ", "-m0=LZMA"),
        SevenZ("bcj2", "7-Zip BCJ2", "-m0=BCJ2", "-m1=LZMA", "-m2=LZMA", "-m3=LZMA", "-mb0:1", "-mb0s1:2", "-mb0s2:3"),
        SevenZ("delta", "7-Zip Delta filter", "-mf=Delta:4"),
        SevenZ("deflate", "7-Zip deflate", "-m0=Deflate"),
        SevenZ("bzip2", "7-Zip bzip2", "-m0=BZip2"),
        SevenZ("ppmd", "7-Zip PPMd", "-m0=PPMd"),
        new("7z-encrypted", "7z-enc.7z", Expect.Agree, "7-Zip AES-256 with encrypted headers (reference: 7z x; bsdtar cannot decrypt 7z)",
            c => Tool(c.Root, "7z", "a", "-snl", "-bd", "-y", "-pS3cret!", "-mhe=on", c["7z-enc.7z"], "tree7"), Password: "S3cret!", Reference: "7z"),
        new("infozip", "infozip.zip", Expect.Agree, "Info-ZIP zip -r", c => Tool(c.Root, "zip", "-qr", c["infozip.zip"], "tree7")),
        new("infozip-symlinks", "infozip-y.zip", Expect.Agree, "Info-ZIP zip -y (symlinks stored as links)", c => Tool(c.Root, "zip", "-qry", c["infozip-y.zip"], "tree7")),
        new("infozip-stored", "infozip-0.zip", Expect.Agree, "Info-ZIP zip -0 (stored)", c => Tool(c.Root, "zip", "-qr0", c["infozip-0.zip"], "tree7")),
        new("infozip-bzip2", "infozip-bz.zip", Expect.Agree, "Info-ZIP zip -Z bzip2", c => Tool(c.Root, "zip", "-qr", "-Z", "bzip2", c["infozip-bz.zip"], "tree7")),
        new("infozip-zipcrypto", "infozip-enc.zip", Expect.Agree, "Info-ZIP zip -P (traditional PKWARE encryption)", c => Tool(c.Root, "zip", "-qr", "-P", "pw123", c["infozip-enc.zip"], "tree7"), Password: "pw123"),
        new("infozip-streamed", "infozip-stream.zip", Expect.Agree, "Info-ZIP writing to a pipe (data descriptors after every entry)",
            c => Tool(c.Root, "sh", "-c", "zip -qr - tree7 | cat > infozip-stream.zip")),
        ZipMethod("Deflate"), ZipMethod("Deflate64"), ZipMethod("BZip2"), ZipMethod("LZMA"), ZipMethod("PPMd"), ZipMethod("XZ"),
        new("7z-zip-aes-bzip2", "7zzip-aes.zip", Expect.ReshBetter, "7-Zip zip, AES-256 around bzip2: bsdtar 3.6 writes its encrypted symlinks as empty files; resh is checked against 7z x",
            c => Tool(c.Root, "7z", "a", "-tzip", "-snl", "-ppw", "-mem=AES256", "-mm=BZip2", "-bd", "-y", c["7zzip-aes.zip"], "tree7"), Password: "pw", Reference: "7z"),

        // Hand-made: issue 22, class 1 (valid archives that strict readers refuse).
        new("bzip2-trailing-garbage", "trail.tar.bz2", Expect.Agree, "a bzip2 stream followed by garbage (bzip2 -d ignores it with a warning)", c => Bz2WithGarbage(c)),
        new("xz-concatenated-padded", "concat.tar.xz", Expect.Agree, "two xz streams and stream padding (xz -dc reads them)",
            c => Tool(c.Root, "sh", "-c", "tar -cf - tree7/dir | xz -c > concat.tar.xz && xz -c < /dev/null >> concat.tar.xz && printf '\\0\\0\\0\\0' >> concat.tar.xz")),
        new("zstd-skippable-frame", "skip.tar.zst", Expect.Agree, "a zstd stream that starts with a skippable frame",
            c => { Tool(c.Root, "sh", "-c", "tar -cf - tree7/dir | zstd -q -c > plain.zst"); File.WriteAllBytes(c["skip.tar.zst"], [0x50, 0x2a, 0x4d, 0x18, 8, 0, 0, 0, .. B("skipdata"), .. File.ReadAllBytes(c["plain.zst"])]); }),
        Hand("plexus.tar", "space-padded numeric fields (plexus-archiver / old commons-compress)", () => Plexus()),
        Hand("hardlink-size.tar", "a hard link whose size field is the linked file's size (no data follows)",
            () => new TarBuilder().File("f", "hello").Entry(B("h"), '1', 0x1A4, link: "f", sizeField: 5).File("g", "ok").Build()),
        Hand("two-long-names.tar", "two GNU long-name records in a row (the last wins)",
            () => new TarBuilder().Long('L', B("first-" + new string('a', 120))).Long('L', B("second-" + new string('b', 120))).File("short", "hi").Build()),
        Hand("negative-mtime.tar", "a pax header with a negative, fractional mtime",
            () => new TarBuilder().Pax(("mtime", "-86400.25")).File("old.txt", "ol", magic: "ustar").Build()),
        Hand("schily-acl.tar", "pax SCHILY.acl.* records (star/Solaris), an NFSv4 ACL and an empty record",
            () => new TarBuilder().Pax(("SCHILY.acl.access", "user::rw-,user:nobody:r--:65534,group::r--,mask::r--,other::r--"), ("SCHILY.acl.ace", "owner@:rw-p--aARWcCos::allow"), ("junk", ""))
                .File("acl.txt", "ac", magic: "ustar").Build()),
        Hand("invalid-pax-records.tar", "invalid pax records (no '=', a length past the end): skipped with a warning", () => new TarBuilder()
            .PaxRaw(Encoding.ASCII.GetBytes("12 noequals\n20 path=valid.txt\n9999 x=y\n")).File("orig.txt", "ok", magic: "ustar").Build(), Expect.ReshBetter),
        Hand("pax-global.tar", "a pax global header (metadata, not an entry)",
            () => new TarBuilder().Pax([("comment", B("made by a test")), ("mtime", B("1500000000"))], 'g').File("g1.txt", "g1", magic: "ustar").Build()),
        Hand("unknown-type.tar", "an unknown type flag (POSIX: read as a regular file)", () => new TarBuilder().Entry(B("weird"), 'Z', 0x1A4, B("zzz")).Build()),
        Hand("v7-trailing-slash.tar", "a v7 directory marked only by its trailing slash",
            () => new TarBuilder().Entry(B("olddir/"), '\0', 0x1ED, magic: "v7").Entry(B("olddir/f"), '\0', 0x1A4, B("v"), magic: "v7").Build()),
        Hand("pax-hdrcharset-binary.tar", "a pax path in raw bytes (hdrcharset=BINARY)",
            () => new TarBuilder().Pax([("hdrcharset", B("BINARY")), ("path", [.. B("caf"), 0xE9, .. B("-bin")])]).File("x", "b", magic: "ustar").Build()),
        // Class 2: types from every signal.
        Hand("dir-with-size.tar", "a directory entry with size 1 and no data, then another directory",
            () => new TarBuilder().Entry(B("d1/"), '5', 0x1ED, sizeField: 1).Dir("d2").File("d2/f", "abc").Build()),
        new("zip-dos-attributes", "dos.zip", Expect.Agree, "a zip made on MS-DOS: directory only by attribute 0x10, backslash separators, read-only attribute", c => DosZip(c["dos.zip"])),
        new("zip-unix-backslash", "unixbs.zip", Expect.Agree, "a Unix zip name with a backslash: listed and extracted with a slash, as bsdtar does", c => UnixBackslashZip(c["unixbs.zip"])),
        // Class 3: names.
        new("zip-cp866-names", "cp866.zip", Expect.Agree, "cp866 names without the UTF-8 flag (bytes kept; encoding=cp866 decodes them)", c => Cp866Zip(c["cp866.zip"])),
        new("zip-unicode-path-extra", "upath.zip", Expect.Agree, "an Info-ZIP Unicode Path extra field (ö instead of the header's o)", c => UnicodePathZip(c["upath.zip"])),
        // Class 4 and others refused on purpose.
        new("zip-prefix-data", "prefix.zip", Expect.Agree, "a zip after 2 KiB of other data (self-extractor stub)", c => File.WriteAllBytes(c["prefix.zip"], [.. Enumerable.Repeat((byte)'#', 2048), .. SmallZip()])),
        new("zip-eocd-padding", "padded.zip", Expect.Agree, "4 KiB of zeros after the end-of-central-directory record", c => File.WriteAllBytes(c["padded.zip"], [.. SmallZip(), .. new byte[4096]])),
        Hand("zeros.bin", "1 MiB of zeros: not an empty tar (bsdtar accepts it as one)", () => new byte[1 << 20], Expect.Refused, "unsupported"),
        Hand("fake.iso", "an ISO 9660 image (CD001 at 32769): bsdtar reads ISO, resh says unsupported", () => { var b = new byte[64 << 10]; B("CD001").CopyTo(b, 0x8001); return b; }, Expect.Refused, "unsupported"),
        Hand("hardlink-with-data.tar", "a hard link followed by data its size field announces: GNU tar and bsdtar skip to the next header with an error; resh stops", () =>
            new TarBuilder().File("f", "hello").Entry(B("h"), '1', 0x1A4, B("hello"), link: "f").File("g", "ok").Build(), Expect.Refused, "failed"),
        new("zip-implode", "implode.zip", Expect.Refused, "a zip entry compressed with Implode (method 6): unsupported, naming the method", c => ImplodeZip(c["implode.zip"]), Code: "unsupported"),
    ];

    static byte[] Plexus()
    {
        static void Put(byte[] h, int at, string s) => B(s).CopyTo(h, at);
        static byte[] Header(string name, char type, string size)
        {
            var h = new byte[512];
            Put(h, 0, name);
            Put(h, 100, "    664 \0"[..8]);
            Put(h, 108, "      0 ");
            Put(h, 116, "      0 ");
            Put(h, 124, size);
            Put(h, 136, " 12305162730");
            h[156] = (byte)type;
            Put(h, 257, "ustar\0");
            Put(h, 263, "00");
            for (int i = 148; i < 156; i++) h[i] = (byte)' ';
            Put(h, 148, Convert.ToString(h.Sum(b => (long)b), 8).PadLeft(6, ' ') + "\0 ");
            return h;
        }
        return [.. Header("commons-logging-1.2/NOTICE.txt", '0', "          3 "), .. B("abc"), .. new byte[509], .. Header("commons-logging-1.2/", '5', "          0 "), .. new byte[1024]];
    }

    static byte[] SmallZip()
    {
        var m = new MemoryStream();
        using (var z = new ZipArchive(m, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var s = z.CreateEntry("inner/a.txt").Open()) s.Write(B("a\n"));
            using (var s = z.CreateEntry("b.txt").Open()) s.Write(B("bb\n"));
        }
        return m.ToArray();
    }

    static void DosZip(string path)
    {
        using (var z = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            z.CreateEntry("dosdir").ExternalAttributes = 0x10;
            using (var s = z.CreateEntry("arc\\test.txt").Open()) s.Write(B("backslash"));
            var ro = z.CreateEntry("readonly.txt");
            ro.ExternalAttributes = 0x21;
            using (var s = ro.Open()) s.Write(B("ro"));
        }
        foreach (var n in new[] { "dosdir", "arc\\test.txt", "readonly.txt" }) ZipPatch.SetHost(path, n, 0, keepAttributes: true);
    }

    static void UnixBackslashZip(string path)
    {
        using var z = ZipFile.Open(path, ZipArchiveMode.Create);
        var e = z.CreateEntry("unix\\name.txt");
        e.ExternalAttributes = unchecked((int)(0x81A4u << 16));
        using var s = e.Open();
        s.Write(B("literal backslash"));
    }

    static void Cp866Zip(string path)
    {
        using (var z = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var n in new[] { "AAAAAA.txt", "BBBBBB.txt" })
            {
                var e = z.CreateEntry(n);
                e.ExternalAttributes = unchecked((int)(0x81A4u << 16));
                using var s = e.Open();
                s.Write(B(n));
            }
        }
        var cp866 = new Dictionary<string, byte[]>
        {
            ["AAAAAA.txt"] = [0xAF, 0xE0, 0xA8, 0xA2, 0xA5, 0xE2, .. B(".txt")], // привет
            ["BBBBBB.txt"] = [0xAC, 0xA8, 0xE0, .. B("123.txt")],              // мир123
        };
        var bytes = File.ReadAllBytes(path);
        foreach (var (from, to) in cp866)
        {
            var f = B(from);
            for (int i = 0; i + f.Length <= bytes.Length; i++)
                if (bytes.AsSpan(i, f.Length).SequenceEqual(f)) to.CopyTo(bytes, i);
        }
        File.WriteAllBytes(path, bytes);
    }

    static void UnicodePathZip(string path)
    {
        // Header name "o.txt"; the 0x7075 extra carries "ö.txt" in UTF-8 with the CRC-32 of the header name.
        var raw = B("o.txt");
        var utf = B("ö.txt");
        var crc = System.IO.Hashing.Crc32.HashToUInt32(raw);
        var extra = new List<byte>();
        extra.AddRange(BitConverter.GetBytes((ushort)0x7075));
        extra.AddRange(BitConverter.GetBytes((ushort)(1 + 4 + utf.Length)));
        extra.Add(1);
        extra.AddRange(BitConverter.GetBytes(crc));
        extra.AddRange(utf);
        var data = B("unicode path");
        var dataCrc = System.IO.Hashing.Crc32.HashToUInt32(data);
        var m = new MemoryStream();
        void U16(int v) => m.Write(BitConverter.GetBytes((ushort)v));
        void U32(uint v) => m.Write(BitConverter.GetBytes(v));
        U32(0x04034b50); U16(10); U16(0); U16(0); U16(0); U16(0x21); U32(dataCrc); U32((uint)data.Length); U32((uint)data.Length); U16(raw.Length); U16(extra.Count);
        m.Write(raw); m.Write(extra.ToArray()); m.Write(data);
        var cd = m.Position;
        U32(0x02014b50); U16(0x031e); U16(10); U16(0); U16(0); U16(0); U16(0x21); U32(dataCrc); U32((uint)data.Length); U32((uint)data.Length); U16(raw.Length); U16(extra.Count); U16(0); U16(0); U16(0);
        U32(0x81A4u << 16); U32(0);
        m.Write(raw); m.Write(extra.ToArray());
        var cdSize = m.Position - cd;
        U32(0x06054b50); U16(0); U16(0); U16(1); U16(1); U32((uint)cdSize); U32((uint)cd); U16(0);
        File.WriteAllBytes(path, m.ToArray());
    }

    static void ImplodeZip(string path)
    {
        using (var z = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var s = z.CreateEntry("old.txt", CompressionLevel.NoCompression).Open()) s.Write(B("imploded long ago"));
        var bytes = File.ReadAllBytes(path);
        for (int i = 0; i + 4 <= bytes.Length; i++)
        {
            if (bytes[i] != 0x50 || bytes[i + 1] != 0x4b) continue;
            if (bytes[i + 2] == 3 && bytes[i + 3] == 4) bytes[i + 8] = 6;
            if (bytes[i + 2] == 1 && bytes[i + 3] == 2) bytes[i + 10] = 6;
        }
        File.WriteAllBytes(path, bytes);
    }

    public void Dispose() => _dir.Dispose();
}
