using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Http;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>download against the real server: atomic placement, digest checks, resume after a cut connection.</summary>
[Collection("http")]
public sealed class HttpDownloadTests(HttpBackend server)
{
    static ReshRun Resh(params string[] args) => NetTestKit.Resh(args);

    static string Sha256File(string path) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void The_issue_download_call_writes_the_file_atomically_with_its_exact_bytes()
    {
        using var tmp = new TempDir();
        var output = Path.Combine(tmp.Path, "big.bin");
        var r = Resh($"{server.Http}/big.bin.download(output={output})");
        Assert.True(r.Ok, r.ToString());
        Assert.True(r.Changed);
        const long size = 4 << 20;
        Assert.Equal(size, r.Result!["bytes"]!.GetValue<long>());
        Assert.Equal(size, new FileInfo(output).Length);
        Assert.Equal(HttpBackend.Sha256Of(size), Sha256File(output));
        Assert.False(File.Exists(output + ".part"));
    }

    [Fact]
    public void A_second_download_of_the_same_bytes_is_unchanged_and_leaves_the_file_alone()
    {
        // User review s27: without sha256= every run said changed:true (Ansible's get_url reports the second as unchanged).
        using var tmp = new TempDir();
        var output = Path.Combine(tmp.Path, "same.bin");
        var first = Resh($"{server.Http}/big.bin?size=200000", "download", $"output={output}");
        Assert.True(first.Changed, first.ToString());
        var before = global::Resh.Handles.Tests.FileScheme.Tool.Ok("stat", "-c", "%i %Y", output);
        var again = Resh($"{server.Http}/big.bin?size=200000", "download", $"output={output}");
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed, again.ToString());
        Assert.Equal(before, global::Resh.Handles.Tests.FileScheme.Tool.Ok("stat", "-c", "%i %Y", output)); // same inode, same mtime: not replaced
        Assert.False(File.Exists(output + ".part"));
        // Different bytes at the same URL name are a change.
        var other = Resh($"{server.Http}/big.bin?size=200001", "download", $"output={output}");
        Assert.True(other.Changed, other.ToString());
        Assert.Equal(200001, new FileInfo(output).Length);
    }

    [Fact]
    public void A_directory_output_keeps_the_url_name_and_a_matching_digest_skips_the_download()
    {
        using var tmp = new TempDir();
        var digest = HttpBackend.Sha256Of(100_000);
        var r = Resh($"{server.Http}/big.bin?size=100000", "download", $"output={tmp.Path}/", $"sha256={digest}");
        Assert.True(r.Ok, r.ToString());
        var file = Path.Combine(tmp.Path, "big.bin");
        Assert.Equal(file, r.Result!["output"]!.GetValue<string>());
        Assert.Equal(digest, Sha256File(file));

        var again = Resh($"{server.Http}/big.bin?size=100000", "download", $"output={tmp.Path}/", $"sha256={digest}");
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed);
        Assert.True(again.Result!["already_present"]!.GetValue<bool>());
    }

    [Fact]
    public void A_wrong_digest_discards_the_download_and_keeps_the_old_file()
    {
        using var tmp = new TempDir();
        var output = tmp.File("data.bin", "old content");
        var r = Resh($"{server.Http}/big.bin?size=5000", "download", $"output={output}", $"sha256={new string('0', 64)}");
        Assert.Equal("failed", r.ErrorCode);
        Assert.Equal(HttpBackend.Sha256Of(5000), r.Envelope["error"]!["details"]!["actual"]!.GetValue<string>());
        Assert.Equal("old content", File.ReadAllText(output));
        Assert.False(File.Exists(output + ".part"));

        Assert.Equal("usage", Resh($"{server.Http}/big.bin", "download", $"output={output}", "sha256=xyz").ErrorCode);
    }

    [Fact]
    public void A_cut_connection_is_resumed_with_range_within_the_call()
    {
        using var tmp = new TempDir();
        var output = Path.Combine(tmp.Path, "cut.bin");
        var key = Guid.NewGuid().ToString("N");
        var r = Resh($"{server.Http}/cut?key={key}&cuts=2&at=1048576&size=3000000", "download", $"output={output}");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal(3, r.Result!["attempts"]!.GetValue<int>());
        // Issue 13 D12: the offset the completing transfer resumed from (the cut), not 0; every byte was received by this call.
        Assert.Equal(1048576, r.Result!["resumed_from"]!.GetValue<long>());
        Assert.Equal(3_000_000, r.Result!["received"]!.GetValue<long>());
        Assert.Equal(HttpBackend.Sha256Of(3_000_000), Sha256File(output));
        Assert.Equal("3", Resh($"{server.Http}/hits?key=cut:{key}", "get").Result!["body"]!.ToString());
    }

    [Fact]
    public void A_part_left_by_an_earlier_call_is_resumed_by_the_next()
    {
        using var tmp = new TempDir();
        var output = Path.Combine(tmp.Path, "resume.bin");
        var key = Guid.NewGuid().ToString("N");
        var url = $"{server.Http}/cut?key={key}&cuts=1&at=1048576&size=2500000";
        var first = Resh(url, "download", $"output={output}", "retries=0");
        Assert.Equal("failed", first.ErrorCode);
        Assert.False(File.Exists(output));
        Assert.Equal(1048576, new FileInfo(output + ".part").Length);
        Assert.Contains(".part", first.Envelope["error"]!["hint"]!.GetValue<string>());

        var second = Resh(url, "download", $"output={output}", $"sha256={HttpBackend.Sha256Of(2_500_000)}");
        Assert.True(second.Ok, second.ToString());
        Assert.Equal(1048576, second.Result!["resumed_from"]!.GetValue<long>());
        Assert.Equal(2_500_000 - 1048576, second.Result!["received"]!.GetValue<long>());
        Assert.Equal(HttpBackend.Sha256Of(2_500_000), Sha256File(output));
        Assert.False(File.Exists(output + ".part"));
    }

    [Fact]
    public void A_missing_directory_or_a_404_is_a_clear_error_and_writes_nothing()
    {
        using var tmp = new TempDir();
        var nodir = Resh($"{server.Http}/big.bin", "download", $"output={tmp.Path}/no/such/file.bin");
        Assert.Equal("not_found", nodir.ErrorCode);
        var missing = Resh($"{server.Http}/nothing-here", "download", $"output={tmp.Path}/x.bin");
        Assert.Equal("failed", missing.ErrorCode);
        Assert.Equal(404, missing.Envelope["error"]!["details"]!["status"]!.GetValue<int>());
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));

        var dry = Resh($"{server.Http}/big.bin", "download", $"output={tmp.Path}/dry.bin", "--dry-run");
        Assert.True(dry.Ok, dry.ToString());
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
    }
}
