using System.Text.RegularExpressions;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>
/// Issue 9, crash paths: an answer that cannot be written, runtime messages that must be sentences,
/// names beyond the file system's limit, and the hardening of the binary itself.
/// </summary>
public sealed partial class CrashPathTests
{
    [Fact]
    public void A_pipe_read_raw_streams_in_order_instead_of_crashing()
    {
        // s40: `file:///dev/stdin.read --format raw` on a pipe was an unhandled NotSupportedException (a stack trace):
        // the raw copy read at offsets, which a pipe cannot do.
        var run = Shell.Run("printf 'one\\ntwo\\n' | \"$RESH\" file:///dev/stdin.read --format raw");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("one\ntwo\n", run.Stdout);
        Assert.DoesNotContain("Unhandled", run.Stderr);
    }

    [Fact]
    public void Closed_stdout_is_failed_with_one_line_on_stderr_and_runs_nothing()
    {
        using var dir = new TempDir("closed");
        var target = dir["written.txt"];
        var run = Shell.Run($"\"$RESH\" --version >&-; echo \"version=$?\" >&2; \"$RESH\" file://{target}.write content=hello >&-; echo \"write=$?\" >&2");
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("version=1", lines);
        Assert.Contains("write=1", lines);
        // One line per call, before the status line: the message, never a stack trace.
        var messages = lines.Where(l => l.StartsWith("resh: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.Contains("standard output is closed", m));
        Assert.DoesNotContain("Unhandled", run.Stderr);
        Assert.False(File.Exists(target), "a call whose answer cannot be written must not run");
    }

    [Fact]
    public void Closed_stdout_with_quiet_runs_and_reports_by_status()
    {
        using var dir = new TempDir("closedq");
        var target = dir["written.txt"];
        var run = Shell.Run($"\"$RESH\" --quiet file://{target}.write content=hello >&-; echo \"write=$?\"");
        Assert.Contains("write=0", run.Stdout);
        Assert.Equal("hello", File.ReadAllText(target));
    }

    [Fact]
    public void Full_stdout_is_failed_with_one_line_on_stderr()
    {
        var run = Shell.Run("\"$RESH\" --version >/dev/full; echo \"status=$?\" >&2; \"$RESH\" system://.memory >/dev/full; echo \"status=$?\" >&2");
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["status=1", "status=1"], lines.Where(l => l.StartsWith("status=", StringComparison.Ordinal)));
        var messages = lines.Where(l => l.StartsWith("resh: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.Contains("No space left on device", m));
        Assert.DoesNotContain("Unhandled", run.Stderr);
    }

    [Fact]
    public void Broken_pipe_exits_141_silently_like_other_tools()
    {
        using var dir = new TempDir("pipe");
        var big = dir["big.bin"];
        using (var f = File.Create(big)) f.SetLength(32 << 20);
        // head takes one byte and leaves; resh's next write meets a closed pipe.
        var run = Shell.Run($"\"$RESH\" file://{big}.read --format raw | head -c 1 >/dev/null; echo \"status=${{PIPESTATUS[0]}}\"");
        Assert.Contains("status=141", run.Stdout);
        Assert.Equal("", run.Stderr);
    }

    [Fact]
    public void Regex_errors_name_the_position_in_a_sentence()
    {
        using var dir = new TempDir("regex");
        var file = dir.File("a.txt", "alpha\n");
        var run = ReshBinary.Run($"file://{file}.replace", "pattern=ab[c", "replacement=x");
        Assert.Equal("usage", run.ErrorCode);
        var message = run.Envelope["error"]!["message"]!.GetValue<string>();
        Assert.Contains("position 4", message);
        Assert.Contains("unterminated [] set", message);
        AssertNoResourceKey(message);
    }

    [Fact]
    public void An_argument_file_over_2_GiB_is_a_clear_usage_error()
    {
        using var dir = new TempDir("big");
        var sparse = dir["sparse.img"];
        using (var f = File.Create(sparse)) f.SetLength(3L << 30);
        var target = dir.File("out.txt", "alpha\n");
        // A value held in memory (a pattern; file.write's content= streams on its own): refused before any byte is read.
        var run = ReshBinary.Run($"file://{target}.replace", $"pattern=@{sparse}", "replacement=x");
        Assert.Equal("usage", run.ErrorCode);
        var message = run.Envelope["error"]!["message"]!.GetValue<string>();
        Assert.Contains("2 GiB", message);
        AssertNoResourceKey(message);
        Assert.Equal("alpha\n", File.ReadAllText(target));
    }

    [Fact]
    public void An_unreadable_subdirectory_is_reported_in_a_sentence_not_a_resource_key()
    {
        using var dir = new TempDir("denied");
        Directory.CreateDirectory(dir["open/closed"]);
        File.SetUnixFileMode(dir["open/closed"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ed);
        File.SetUnixFileMode(dir["open"], (UnixFileMode)0x1ed);
        // As nobody, the 0700 directory cannot be read: the warning must say so in words.
        var run = Shell.Run($"setpriv --reuid=65534 --regid=65534 --clear-groups -- \"$RESH\" 'file://{dir.Path}.list(recursive=true)'");
        Assert.Contains("\"warnings\":[\"", run.Stdout);
        var warning = Regex.Match(run.Stdout, "\"warnings\":\\[\"([^\"]*)\"").Groups[1].Value;
        Assert.Contains("closed", warning);
        AssertNoResourceKey(warning);
    }

    [Fact]
    public void A_name_longer_than_255_bytes_is_usage_naming_the_limit()
    {
        using var dir = new TempDir("long");
        var name = new string('n', 300);
        var run = ReshBinary.Run($"file://{dir.Path}/{name}.write", "content=x");
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("255 bytes", run.Envelope["error"]!["message"]!.GetValue<string>());
        var stat = ReshBinary.Run($"file://{dir.Path}/{name}.stat");
        Assert.Equal("usage", stat.ErrorCode);
        Assert.Contains("255 bytes", stat.Envelope["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void The_binary_is_a_position_independent_executable()
    {
        // ELF e_type at offset 16: 3 is ET_DYN (PIE), 2 would be a fixed-address ET_EXEC.
        var header = new byte[18];
        using (var f = File.OpenRead(ReshBinary.Path)) f.ReadExactly(header);
        Assert.Equal("\u007fELF", System.Text.Encoding.ASCII.GetString(header, 0, 4));
        Assert.Equal(3, header[16] | header[17] << 8);
    }

    /// <summary>A runtime resource key ("Overflow_Int64", "IO_FileTooLong2GB", "UnterminatedBracket") instead of words.</summary>
    internal static void AssertNoResourceKey(string message)
    {
        Assert.DoesNotMatch(ResourceKey(), message);
    }

    [GeneratedRegex(@"\b[A-Z][A-Za-z0-9]*_[A-Za-z0-9_]+\b|\b(?:[A-Z][a-z0-9]+){2,}\b")]
    private static partial Regex ResourceKey();
}
