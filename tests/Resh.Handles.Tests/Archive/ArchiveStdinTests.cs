using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Archive;

/// <summary>
/// Reading an archive from a pipe, as tar -xf - does: `archive://-` (or /dev/stdin) for list, test and
/// extract, with the format and compression found from the magic bytes of the stream.
/// </summary>
public sealed class ArchiveStdinTests
{
    static JsonObject Envelope(ShellRun run)
    {
        var line = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        return (JsonObject)JsonNode.Parse(line)!;
    }

    [Theory]
    [InlineData("tar -C src -cf - .", "tar")]
    [InlineData("tar -C src -czf - .", "tar.gz")]
    [InlineData("tar -C src -cf - . | zstd -q -c", "tar.zst")]
    [InlineData("tar -C src -cJf - .", "tar.xz")]
    [InlineData("cd src && zip -qr - .", "zip")]
    public void An_archive_piped_in_is_listed_tested_and_extracted(string producer, string format)
    {
        using var dir = new TempDir("stdin");
        var d = dir.Path;
        Assert.Equal(0, Shell.Run($"cd {Shell.Q(d)} && mkdir -p src/sub && echo hello > src/sub/f && echo two > src/g").ExitCode);
        var resh = Shell.Q(ReshBinary.Path);

        var list = Envelope(Shell.Run($"cd {Shell.Q(d)} && ( {producer} ) | {resh} 'archive:///dev/stdin.list'"));
        Assert.True(list["ok"]!.GetValue<bool>(), list.ToJsonString());
        Assert.Equal(format, list["result"]!["format"]!.GetValue<string>());
        var names = list["result"]!["entries"]!.AsArray().Select(e => e!["path"]!.GetValue<string>().TrimStart('.', '/')).Where(n => n.Length > 0).Order().ToList();
        Assert.Equal(["g", "sub", "sub/f"], names);

        var test = Envelope(Shell.Run($"cd {Shell.Q(d)} && ( {producer} ) | {resh} archive://- test"));
        Assert.True(test["ok"]!.GetValue<bool>(), test.ToJsonString());
        Assert.True(test["result"]!["intact"]!.GetValue<bool>());

        var extract = Envelope(Shell.Run($"cd {Shell.Q(d)} && ( {producer} ) | {resh} archive://- extract --destination {Shell.Q(d + "/out")}"));
        Assert.True(extract["ok"]!.GetValue<bool>(), extract.ToJsonString());
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(d, "out", "sub", "f")));
        Assert.Equal("two\n", File.ReadAllText(Path.Combine(d, "out", "g")));
        // Nothing left behind: the spool is an anonymous file.
        Assert.Equal(["out", "src"], Directory.GetFileSystemEntries(d).Select(Path.GetFileName).Order());
    }
}
