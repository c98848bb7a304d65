using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Archive;

/// <summary>
/// Names that are not UTF-8 given to archive:// and snapshot:// in the byte-exact form file:// already
/// takes (percent-escapes, %FF for the byte 0xFF): as archive sources and as a snapshot target, round-tripped.
/// </summary>
public sealed class ArchiveByteNameTests
{
    static void Sh(string script) => Assert.Equal(0, Shell.Run(script).ExitCode);

    /// <summary>Every name under root as raw bytes (Latin-1 keeps each byte as one char).</summary>
    static List<string> RawNames(string root)
    {
        var run = Shell.Run($"find {Shell.Q(root)} -mindepth 1 -printf '%P\\n' | od -An -tx1 | tr -d ' \\n'");
        var bytes = Convert.FromHexString(run.Stdout.Trim());
        return Encoding.Latin1.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public void A_source_named_by_percent_escapes_is_archived_and_extracted_byte_for_byte()
    {
        using var dir = new TempDir("bytesrc");
        var d = dir.Path;
        Sh($"cd {Shell.Q(d)} && mkdir -p \"src/n$(printf '\\377')\" && echo hi > \"src/n$(printf '\\377')/f\" && echo other > \"src/n$(printf '\\376')\"");
        var create = ReshBinary.Run($"archive://{d}/a.tar.create", $"sources=file://{d}/src/n%FF");
        Assert.True(create.Ok, create.ToString());
        // GNU tar sees the raw byte, as it would have stored it itself.
        Assert.Equal(["n\u00ff/", "n\u00ff/f"], Encoding.Latin1.GetString(Convert.FromHexString(Shell.Run($"tar --quoting-style=literal -tf {Shell.Q(d + "/a.tar")} | od -An -tx1 | tr -d ' \\n'").Stdout.Trim()))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

        var extract = ReshBinary.Run($"archive://{d}/a.tar.extract", $"destination=file://{d}/out%FE");
        Assert.True(extract.Ok, extract.ToString());
        Assert.Contains("out\u00fe", RawNames(d));
        Assert.Equal(["n\u00ff", "n\u00ff/f"], RawNamesBelow(d, "out\u00fe"));
        Assert.Equal("hi\n", Shell.Run($"cat \"{d}/out$(printf '\\376')/n$(printf '\\377')/f\"").Stdout);
    }

    /// <summary>Raw names below a directory of <paramref name="root"/> whose own name is given as Latin-1 bytes.</summary>
    static List<string> RawNamesBelow(string root, string latin1Name) =>
        RawNames(root).Where(n => n.StartsWith(latin1Name + "/", StringComparison.Ordinal)).Select(n => n[(latin1Name.Length + 1)..]).ToList();

    [Fact]
    public void A_snapshot_target_named_by_percent_escapes_round_trips()
    {
        using var dir = new TempDir("bytesnap");
        var d = dir.Path;
        Sh($"cd {Shell.Q(d)} && mkdir repo \"t$(printf '\\377')\" && echo one > \"t$(printf '\\377')/f\" && mkdir \"t$(printf '\\376')\" && echo decoy > \"t$(printf '\\376')/f\"");
        var target = $"snapshot://{d}/t%FF";
        var create = ReshBinary.Run($"{target}.create", "name=s1", $"repo={d}/repo");
        Assert.True(create.Ok, create.ToString());
        Assert.Equal($"{d}/t%FF", create.Result!["snapshot"]!["path"]!.GetValue<string>());
        Sh($"cd {Shell.Q(d)} && echo two > \"t$(printf '\\377')/f\" && echo new > \"t$(printf '\\377')/g\"");

        var restore = ReshBinary.Run($"{target}.restore", "name=s1", $"repo={d}/repo");
        Assert.True(restore.Ok, restore.ToString());
        Assert.Equal(["g"], restore.Result!["deleted"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal("one\n", Shell.Run($"cat \"{d}/t$(printf '\\377')/f\"").Stdout);
        Assert.Equal(["repo", "t\u00fe", "t\u00fe/f", "t\u00ff", "t\u00ff/f"], RawNames(d).Where(n => !n.StartsWith("repo/", StringComparison.Ordinal)));
        Assert.Equal("decoy\n", Shell.Run($"cat \"{d}/t$(printf '\\376')/f\"").Stdout);

        var list = ReshBinary.Run($"{target}.list", $"repo={d}/repo");
        Assert.True(list.Ok, list.ToString());
        Assert.Equal(["s1"], list.Result!["snapshots"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()));
        // The other non-UTF-8 name is another tree: no snapshot of it.
        var other = ReshBinary.Run($"snapshot://{d}/t%FE.list", $"repo={d}/repo");
        Assert.True(other.Ok, other.ToString());
        Assert.Empty(other.Result!["snapshots"]!.AsArray());
    }
}
