using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileHashTests : IDisposable
{
    readonly TempDir _dir = new("hash");
    readonly string _file;

    public FileHashTests()
    {
        // Larger than two read blocks, and not a multiple of the block size.
        _file = _dir["data"];
        var bytes = new byte[(3 << 20) + 12345];
        new Random(42).NextBytes(bytes);
        File.WriteAllBytes(_file, bytes);
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("sha256", "sha256sum")]
    [InlineData("sha1", "sha1sum")]
    [InlineData("sha512", "sha512sum")]
    [InlineData("md5", "md5sum")]
    public void Digests_match_the_coreutils_tools(string algorithm, string tool)
    {
        var expected = Tool.Ok(tool, _file).Split(' ')[0];
        var r = Resh.Ok(Resh.Run($"file://{_file}.hash", $"algorithm={algorithm}"), changed: false);
        Assert.Equal(expected, r.Str("digest"));
        Assert.Equal(new FileInfo(_file).Length, r.Num("size"));
    }

    [Fact]
    public void Sha256_is_the_default_and_raw_output_is_the_hex_digest()
    {
        var run = Resh.Run($"file://{_file}.hash", "--format", "raw");
        Assert.Equal(Tool.Ok("sha256sum", _file).Split(' ')[0] + "\n", run.Stdout);
    }

    [Fact]
    public void A_matching_expected_digest_passes_and_a_mismatch_is_a_conflict()
    {
        var digest = Tool.Ok("sha256sum", _file).Split(' ')[0];
        var ok = Resh.Ok(Resh.Run($"file://{_file}.hash", $"expected={digest.ToUpperInvariant()}"));
        Assert.True(ok.Flag("matches"));
        var error = Resh.Fails(Resh.Run($"file://{_file}.hash", "expected=0000"), "conflict");
        Assert.Equal(digest, error["details"]!["actual"]!.GetValue<string>());
    }

    [Fact]
    public void A_pipe_is_hashed_as_it_streams()
    {
        var bytes = File.ReadAllBytes(_file);
        var r = Resh.Ok(Resh.WithStdin(bytes, "file:///dev/stdin.hash"));
        Assert.Equal(Tool.Ok("sha256sum", _file).Split(' ')[0], r.Str("digest"));
        Assert.Equal(bytes.Length, r.Num("size"));
    }

    [Fact]
    public void An_empty_file_has_the_well_known_digest()
    {
        var empty = _dir.File("empty", "");
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Resh.Ok(Resh.Run($"file://{empty}.hash")).Str("digest"));
    }

    [Fact]
    public void Directories_are_usage_errors_missing_files_not_found_and_unreadable_ones_permission_denied()
    {
        Resh.Fails(Resh.Run($"file://{_dir.Path}.hash"), "usage");
        Resh.Fails(Resh.Run($"file://{_dir["nope"]}.hash"), "not_found");
        var secret = _dir.File("secret", "x");
        Tool.Ok("chmod", "0600", secret);
        Resh.Fails(Resh.AsNobody($"file://{secret}.hash"), "permission_denied");
    }
}
