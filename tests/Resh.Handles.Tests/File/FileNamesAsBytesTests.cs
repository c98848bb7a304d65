using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

/// <summary>
/// Linux names are bytes: a name that is not UTF-8 (here Latin-1 "café" = 63 61 66 E9) is listed with a
/// lossless percent escape and escaped: true, accepted back in a target, and survives every file verb and a
/// snapshot round trip byte for byte.
/// </summary>
public sealed class FileNamesAsBytesTests
{
    /// <summary>Creates the non-UTF-8 name with the shell (System.IO cannot), returns its escaped form.</summary>
    static string MakeLatin1(string dir, string content = "bytes\n")
    {
        Tool.Ok("bash", "-c", $"printf '%s' \"$1\" > \"$2/$(printf 'caf\\xe9')\"", "_", content, dir);
        return "caf%E9";
    }

    /// <summary>The names in a directory as hex bytes (independent of any decoding).</summary>
    static string[] HexNames(string dir) =>
        Tool.Ok("bash", "-c", "cd \"$1\" && for f in * .[!.]*; do [ -e \"$f\" ] || [ -L \"$f\" ] && printf '%s' \"$f\" | od -An -tx1 | tr -d ' \\n' && echo; done; true", "_", dir)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void List_shows_a_non_utf8_name_escaped_and_flagged_and_the_escape_is_accepted_back()
    {
        using var dir = new TempDir("bytes");
        var escaped = MakeLatin1(dir.Path);
        dir.File("100%.txt", "plain");
        var r = Resh.Ok(Resh.Run($"file://{dir.Path}.list"));
        var entries = r["entries"]!.AsArray();
        var odd = entries.Single(e => e!["escaped"]!.GetValue<bool>())!;
        Assert.Equal(escaped, odd.Str("name"));
        Assert.Equal($"{dir.Path}/{escaped}", odd.Str("path"));
        var plain = entries.Single(e => !e!["escaped"]!.GetValue<bool>())!;
        Assert.Equal("100%.txt", plain.Str("name")); // valid UTF-8 stays as it is

        // The escaped path is a target: read, stat, hash, write, copy, move, delete all reach the same bytes.
        var target = $"file://{odd.Str("path")}";
        Assert.Equal("bytes\n", Resh.Ok(Resh.Run($"{target}.read")).Str("content"));
        Assert.Equal(6, Resh.Ok(Resh.Run($"{target}.stat")).Num("size"));
        Resh.Ok(Resh.Run($"{target}.write", "content=new\n"), changed: true);
        Assert.Equal(new[] { "636166e9", "313030252e747874" }.Order(StringComparer.Ordinal), HexNames(dir.Path));
        Assert.Equal("new\n", Tool.Ok("bash", "-c", "cat \"$1\"/caf$'\\xe9'", "_", dir.Path));
        Resh.Ok(Resh.Run($"{target}.copy", $"to=file://{dir.Path}/copy-%E9"), changed: true);
        Assert.Contains("636f70792de9", HexNames(dir.Path));
        var raw = Resh.Run($"file://{dir.Path}.list", "--format", "raw");
        Assert.Contains(Chunks(raw.StdoutBytes), c => c.SequenceEqual(new byte[] { 0x63, 0x61, 0x66, 0xE9, 0x0A })); // raw prints the real bytes
        Resh.Ok(Resh.Run($"{target}.delete"), changed: true);
        Assert.DoesNotContain("636166e9", HexNames(dir.Path));
    }

    static IEnumerable<byte[]> Chunks(byte[] bytes)
    {
        int start = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != (byte)'\n') continue;
            var line = bytes[start..(i + 1)];
            yield return line[(Array.LastIndexOf(line, (byte)'/', line.Length - 1) + 1)..];
            start = i + 1;
        }
    }

    [Fact]
    public void A_recursive_list_descends_into_a_non_utf8_directory()
    {
        using var dir = new TempDir("bytes");
        Tool.Ok("bash", "-c", "mkdir \"$1\"/$'d\\xff' && echo x > \"$1\"/$'d\\xff'/inner", "_", dir.Path);
        var r = Resh.Ok(Resh.Run($"file://{dir.Path}.list", "recursive=true"));
        var inner = r["entries"]!.AsArray().Single(e => e!.Str("name") == "inner")!;
        Assert.Equal($"{dir.Path}/d%FF/inner", inner.Str("path"));
        Assert.True(inner.Flag("escaped"));
        Assert.Equal(2, r.Num("count"));
    }

    [Fact]
    public void Delete_and_chmod_of_a_tree_reach_non_utf8_names()
    {
        using var dir = new TempDir("bytes");
        Directory.CreateDirectory(dir["t"]);
        MakeLatin1(dir["t"]);
        Resh.Ok(Resh.Run($"file://{dir["t"]}.chmod", "mode=0600", "recursive=true"), changed: true);
        Assert.Equal("600", Tool.Ok("bash", "-c", "stat -c %a \"$1\"/caf$'\\xe9'", "_", dir["t"]).Trim());
        Resh.Ok(Resh.Run($"file://{dir["t"]}.delete", "recursive=true"), changed: true);
        Assert.False(Directory.Exists(dir["t"]));
    }

    [Fact]
    public void A_snapshot_round_trip_keeps_non_utf8_names_byte_for_byte_and_leaves_nothing_behind()
    {
        using var dir = new TempDir("snapbytes");
        var tree = dir["tree"];
        Directory.CreateDirectory(tree);
        MakeLatin1(tree, "v1\n");
        Tool.Ok("bash", "-c", "mkdir \"$1\"/$'sub\\xfe' && echo deep > \"$1\"/$'sub\\xfe'/$'f\\x80' && ln -s $'caf\\xe9' \"$1\"/$'link\\xe9'", "_", tree);
        var repo = dir["repo"];
        var before = HexNames(tree);
        var created = Resh.Ok(Resh.Run($"snapshot://{tree}.create", "name=s1", $"repo={repo}"), changed: true);
        Assert.Equal(2, created["snapshot"]!.Num("files"));
        var show = Resh.Ok(Resh.Run($"snapshot://{tree}.show", "name=s1", $"repo={repo}"));
        Assert.Contains(show["entries"]!.AsArray(), e => e!.Str("path") == "caf%E9" && e!.Flag("escaped"));

        // Change and remove them, then restore.
        Tool.Ok("bash", "-c", "echo v2 > \"$1\"/caf$'\\xe9' && rm -r \"$1\"/$'sub\\xfe' && touch \"$1\"/$'new\\xe9'", "_", tree);
        var restored = Resh.Ok(Resh.Run($"snapshot://{tree}.restore", "name=s1", $"repo={repo}"), changed: true);
        Assert.Contains("new%E9", restored["deleted"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(before, HexNames(tree));
        Assert.Equal("v1\n", Tool.Ok("bash", "-c", "cat \"$1\"/caf$'\\xe9'", "_", tree));
        Assert.Equal("deep\n", Tool.Ok("bash", "-c", "cat \"$1\"/$'sub\\xfe'/$'f\\x80'", "_", tree));
        Assert.Equal(new byte[] { 0x63, 0x61, 0x66, 0xE9 }, Convert.FromHexString(Tool.Ok("bash", "-c", "readlink \"$1\"/$'link\\xe9' | head -c -1 | od -An -tx1 | tr -d ' \\n'", "_", tree)));
        // No hidden stage or old tree left beside it.
        Assert.Equal(["repo", "tree"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Resh.Ok(Resh.Run($"snapshot://{tree}.restore", "name=s1", $"repo={repo}"), changed: false);
    }
}
