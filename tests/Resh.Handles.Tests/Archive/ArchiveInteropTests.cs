using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;
using Expect = Resh.Handles.Tests.Archive.InteropCorpus.Expect;

namespace Resh.Handles.Tests.Archive;

/// <summary>
/// Every archive of the corpus is extracted by bsdtar (or 7-Zip where bsdtar cannot read it) and by
/// resh with tar semantics (links=keep, strict=false, allow_special=true), and the two trees are
/// compared entry by entry: name bytes, type, mode, size, content hash, link target. resh's `list`
/// must name exactly what its `extract` wrote, with the same types.
/// </summary>
public sealed class ArchiveInteropTests(InteropCorpus corpus) : IClassFixture<InteropCorpus>
{
    public static TheoryData<string> CaseNames => new(InteropCorpus.Cases.Select(c => c.Name));

    [Theory, MemberData(nameof(CaseNames))]
    public void Resh_reads_what_other_archivers_write_as_bsdtar_does(string name)
    {
        var c = InteropCorpus.Cases.Single(x => x.Name == name);
        try { Compare(c); }
        catch (Exception ex)
        {
            // Every case lands in the summary, the ones that differ too (bench/archive-interop.sh counts them).
            Record(c, "differs", ex.Message.Split('\n')[0]);
            throw;
        }
    }

    void Compare(InteropCorpus.Case c)
    {
        var name = c.Name;
        Assert.False(corpus.BuildErrors.TryGetValue(name, out var buildError), $"the archive could not be made: {buildError}");
        var archive = corpus[c.File];
        var work = corpus[$"x-{name}"];
        var reshOut = Path.Combine(work, "resh");
        Directory.CreateDirectory(work);
        var args = $"destination={reshOut},links=keep,strict=false,allow_special=true,max_ratio=1000000" + (c.Password is null ? "" : $",password={c.Password}") + c.Extra;
        var run = ReshBinary.Run($"archive://{archive}.extract({args})");
        var error = run.Envelope["error"];
        Assert.DoesNotContain("bug", error?.ToJsonString() ?? "");
        if (c.Expect == Expect.Refused)
        {
            Assert.True(run.ErrorCode == c.Code, $"{c.Why}: expected `{c.Code}`\n{run}");
            Record(c, "refused", $"{run.ErrorCode}: {error!["message"]}");
            return;
        }
        Assert.True(run.Ok, $"{c.Why}\n{run}");

        var refOut = Path.Combine(work, "ref");
        Directory.CreateDirectory(refOut);
        var reference = c.Reference == "7z"
            ? Exec("7z", ["x", "-snl", "-y", $"-o{refOut}", .. c.Password is null ? Array.Empty<string>() : [$"-p{c.Password}"], archive])
            : Exec("bsdtar", ["-xpf", archive, "-C", refOut, .. c.Password is null ? Array.Empty<string>() : ["--passphrase", c.Password]]);
        // 7-Zip re-roots absolute symlink targets under its output directory (its own safety rule): compare the stored target.
        var expected = Tree(refOut).ToDictionary(kv => kv.Key, kv => kv.Value.Replace(" " + refOut + "/", " /"), StringComparer.Ordinal);
        var actual = Tree(reshOut);
        var diffs = expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal)
            .Where(k => !expected.TryGetValue(k, out var e) || !actual.TryGetValue(k, out var a) || e != a)
            .Select(k => $"{Show(k)}: {c.Reference} {expected.GetValueOrDefault(k) ?? "(missing)"} | resh {actual.GetValueOrDefault(k) ?? "(missing)"}").ToList();
        Assert.True(diffs.Count == 0, $"{c.Why}: {diffs.Count} entries differ from {c.Reference}\n{string.Join("\n", diffs.Take(20))}");
        ListMatchesExtraction(archive, c, actual);
        var test = ReshBinary.Run(c.Password is null ? $"archive://{archive}.test" : $"archive://{archive}.test(password={c.Password})");
        Assert.True(test.Ok, $"test of an archive extract reads: {test}");
        Record(c, c.Expect == Expect.ReshBetter ? "resh-better" : "agree",
            c.Expect == Expect.ReshBetter ? c.Why : $"{actual.Count} entries equal to {c.Reference}" + (reference.Exit != 0 ? $" ({c.Reference} exited {reference.Exit})" : ""));
    }

    /// <summary>`list` names and types are the ones `extract` wrote (percent-escaped names decoded back to their bytes).</summary>
    static void ListMatchesExtraction(string archive, InteropCorpus.Case c, Dictionary<string, string> onDisk)
    {
        var list = ReshBinary.Run($"archive://{archive}.list(limit=100000{(c.Password is null ? "" : $",password={c.Password}")})");
        Assert.True(list.Ok, list.ToString());
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in list.Result!["entries"]!.AsArray())
        {
            var raw = NameBytes(e!["path"]!.GetValue<string>(), e["escaped"]!.GetValue<bool>());
            var name = string.Join('/', raw.Split('/').Where(p => p.Length > 0 && p != "."));
            if (name.Length == 0) continue;
            listed.Add(name);
            Assert.True(onDisk.TryGetValue(name, out var disk), $"list shows {Show(name)} but extract did not write it");
            var type = e["type"]!.GetValue<string>();
            var diskType = disk.Split(' ')[0];
            var want = type switch { "file" or "hardlink" => "f", "directory" => "d", "symlink" => "l", "fifo" => "p", "char_device" => "c", "block_device" => "b", _ => "?" };
            Assert.True(want == diskType, $"list says {Show(name)} is a {type}, extract wrote type {diskType}");
        }
        foreach (var (name, v) in onDisk)
            if (v[0] != 'd') Assert.True(listed.Contains(name), $"extract wrote {Show(name)} but list does not show it");
    }

    /// <summary>A displayed name back to its bytes (as a Latin-1 string, like <see cref="Tree"/> keys).</summary>
    static string NameBytes(string display, bool escaped)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < display.Length; i++)
        {
            if (escaped && display[i] == '%' && i + 2 < display.Length)
            {
                bytes.Add(Convert.ToByte(display.Substring(i + 1, 2), 16));
                i += 2;
                continue;
            }
            bytes.AddRange(Encoding.UTF8.GetBytes(display[i].ToString()));
            if (char.IsHighSurrogate(display[i])) { bytes.RemoveRange(bytes.Count - 3, 3); bytes.AddRange(Encoding.UTF8.GetBytes(display.Substring(i, 2))); i++; }
        }
        return Encoding.Latin1.GetString(bytes.ToArray());
    }

    static string Show(string latin1) => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(latin1));

    /// <summary>Every path under root (raw name bytes as Latin-1) → "type mode size sha link".</summary>
    public static Dictionary<string, string> Tree(string root)
    {
        var psi = new ProcessStartInfo("find") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { root, "-mindepth", "1", "-printf", "%P\\t%y\\t%m\\t%s\\t%l\\0" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(output);
        p.WaitForExit();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rec in Encoding.Latin1.GetString(output.ToArray()).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = rec.Split('\t');
            var type = f[1];
            var hash = "";
            if (type == "f")
            {
                var path = Encoding.Latin1.GetBytes(root + "/" + f[0]);
                var content = System.Text.Unicode.Utf8.IsValid(path) ? File.ReadAllBytes(Encoding.UTF8.GetString(path)) : ReadRaw(path);
                hash = Convert.ToHexString(SHA256.HashData(content))[..16];
            }
            map[f[0]] = $"{type} {f[2]} {(type == "f" ? f[3] : "-")} {hash} {f[4]}";
        }
        return map;
    }

    /// <summary>Reads a file whose name is not UTF-8 (the runtime's File APIs cannot name it) with cat.</summary>
    static byte[] ReadRaw(byte[] path)
    {
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("IFS= read -r p; cat -- \"$p\"");
        using var p = Process.Start(psi)!;
        p.StandardInput.BaseStream.Write(path);
        p.StandardInput.BaseStream.WriteByte((byte)'\n');
        p.StandardInput.Close();
        var m = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(m);
        p.WaitForExit();
        return m.ToArray();
    }

    static (int Exit, string Output) Exec(string program, string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C.UTF-8";
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException(program); }
        return (p.ExitCode, o.Result + e.Result);
    }

    void Record(InteropCorpus.Case c, string result, string detail)
    {
        lock (corpus) File.AppendAllText(corpus.Summary, $"{c.Name}\t{result}\t{detail.ReplaceLineEndings(" ")}\n");
    }

    [Fact]
    public void Names_in_an_archive_without_a_charset_decode_with_encoding()
    {
        var run = ReshBinary.Run($"archive://{corpus["cp866.zip"]}.list(encoding=cp866)");
        Assert.True(run.Ok, run.ToString());
        var names = run.Result!["entries"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(["мир123.txt", "привет.txt"], names);
        var bad = ReshBinary.Run($"archive://{corpus["cp866.zip"]}.list(encoding=klingon)");
        Assert.Equal("usage", bad.ErrorCode);
    }

    [Fact]
    public void Metadata_records_are_not_entries()
    {
        foreach (var (file, count) in new[] { ("pax-global.tar", 1), ("gnutar-label.tar", 3), ("schily-acl.tar", 1) })
        {
            var list = ReshBinary.Run($"archive://{corpus[file]}.list");
            Assert.True(list.Ok, list.ToString());
            Assert.DoesNotContain(list.Result!["entries"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "other");
            Assert.Equal(count, list.Result!["count"]!.GetValue<long>());
        }
    }

    [Fact]
    public void Wrong_passwords_are_permission_denied_and_unreadable_methods_unsupported()
    {
        Assert.Equal("permission_denied", ReshBinary.Run($"archive://{corpus["7z-enc.7z"]}.list(password=wrong)").ErrorCode);
        var zip = ReshBinary.Run($"archive://{corpus["7zzip-aes.zip"]}.test(password=wrong)");
        Assert.Equal("permission_denied", zip.ErrorCode);
        Assert.Equal(4, zip.ExitCode);
        Assert.Equal("usage", ReshBinary.Run($"archive://{corpus["7z-enc.7z"]}.list").ErrorCode); // no password given
        var implode = ReshBinary.Run($"archive://{corpus["implode.zip"]}.test");
        Assert.Equal("unsupported", implode.ErrorCode);
        Assert.Equal(8, implode.ExitCode);
        Assert.Contains("Implode", implode.Envelope["error"]!["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.True(ReshBinary.Run($"archive://{corpus["7zzip-aes.zip"]}.test(password=pw)").Ok);
    }

    [Fact]
    public void Zeros_and_ISO_images_are_not_empty_tars_but_a_real_empty_tar_is()
    {
        foreach (var f in new[] { "zeros.bin", "fake.iso" })
        {
            var run = ReshBinary.Run($"archive://{corpus[f]}.test");
            Assert.Equal("unsupported", run.ErrorCode);
        }
        Assert.Contains("ISO", ReshBinary.Run($"archive://{corpus["fake.iso"]}.info").Envelope["error"]!["message"]!.GetValue<string>());
        var empty = corpus["empty.tar"];
        Sh.Ok("tar", "-cf", empty, "-T", "/dev/null");
        var ok = ReshBinary.Run($"archive://{empty}.test");
        Assert.True(ok.Ok, ok.ToString());
        Assert.Equal(0, ok.Result!["entries"]!.GetValue<long>());
    }

    [Fact]
    public void A_zip_entry_compressed_with_zstd_or_xz_by_method_number_is_read_and_checked()
    {
        var content = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("zstd inside zip, method 93\n", 400)));
        var plain = corpus["zstd-method.txt"];
        File.WriteAllBytes(plain, content);
        Sh.Ok("zstd", "-q", "-f", "-o", plain + ".zst", plain);
        var zip = corpus["zstd-method.zip"];
        File.WriteAllBytes(zip, RawZip("inside.txt", 93, File.ReadAllBytes(plain + ".zst"), content));
        var run = ReshBinary.Run($"archive://{zip}.extract(destination={corpus["zstd-method-out"]})");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(corpus["zstd-method-out"], "inside.txt")));
        Assert.Contains("zstd", ReshBinary.Run($"archive://{zip}.info").Result!["compression"]!.GetValue<string>());
        // The same data with a wrong CRC is damage.
        var broken = RawZip("inside.txt", 93, File.ReadAllBytes(plain + ".zst"), content, crcDelta: 1);
        File.WriteAllBytes(zip, broken);
        Assert.Equal("failed", ReshBinary.Run($"archive://{zip}.test").ErrorCode);
    }

    /// <summary>A one-entry zip with any method number, written byte by byte.</summary>
    static byte[] RawZip(string name, ushort method, byte[] compressed, byte[] content, uint crcDelta = 0)
    {
        var n = Encoding.UTF8.GetBytes(name);
        var crc = System.IO.Hashing.Crc32.HashToUInt32(content) + crcDelta;
        var m = new MemoryStream();
        void U16(int v) => m.Write(BitConverter.GetBytes((ushort)v));
        void U32(uint v) => m.Write(BitConverter.GetBytes(v));
        U32(0x04034b50); U16(63); U16(0); U16(method); U16(0); U16(0x21); U32(crc); U32((uint)compressed.Length); U32((uint)content.Length); U16(n.Length); U16(0);
        m.Write(n); m.Write(compressed);
        var cd = m.Position;
        U32(0x02014b50); U16(0x033f); U16(63); U16(0); U16(method); U16(0); U16(0x21); U32(crc); U32((uint)compressed.Length); U32((uint)content.Length); U16(n.Length); U16(0); U16(0); U16(0); U16(0);
        U32(0x81A4u << 16); U32(0);
        m.Write(n);
        var size = m.Position - cd;
        U32(0x06054b50); U16(0); U16(0); U16(1); U16(1); U32((uint)size); U32((uint)cd); U16(0);
        return m.ToArray();
    }

    [Fact]
    public void A_seven_zip_symlink_and_empty_file_keep_their_types()
    {
        var list = ReshBinary.Run($"archive://{corpus["7z-lzma2.7z"]}.list");
        Assert.True(list.Ok, list.ToString());
        var entries = list.Result!["entries"]!.AsArray().ToDictionary(e => e!["path"]!.GetValue<string>(), e => (JsonObject)e!);
        Assert.Equal("symlink", entries["tree7/rel-link"]["type"]!.GetValue<string>());
        Assert.Equal("dir/a.txt", entries["tree7/rel-link"]["link_target"]!.GetValue<string>());
        Assert.Equal("file", entries["tree7/empty.txt"]["type"]!.GetValue<string>());
        Assert.Equal(0, entries["tree7/empty.txt"]["size"]!.GetValue<long>());
        Assert.Equal("directory", entries["tree7/dir/empty"]["type"]!.GetValue<string>());
    }
}
