using System.Text.Json.Nodes;
using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Http;

using File = System.IO.File;

/// <summary>
/// What another local user can plant where a download or output= lands (security review of issue 13): a symlink,
/// dangling symlink, hard link, FIFO or foreign regular file at OUTPUT.part or OUTPUT, as root and as nobody; the
/// mode a replaced file keeps; caller headers on a redirect to another origin; a full disk.
/// </summary>
[Collection("http")]
public sealed class HttpHostileOutputTests(HttpBackend server)
{
    static ReshRun Resh(params string[] args) => NetTestKit.Resh(args);

    static string Sha256File(string path) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    static FileStatusLite Stat(string path, bool follow = false)
    {
        var r = NetTestKit.Run("stat", follow ? ["-L", "-c", "%u %a %F", path] : ["-c", "%u %a %F", path]); // stat does not follow links unless -L
        var parts = r.Stdout.Trim().Split(' ', 3);
        return new FileStatusLite(int.Parse(parts[0]), Convert.ToInt32(parts[1], 8), parts[2]);
    }

    sealed record FileStatusLite(int Uid, int Mode, string Type);

    static void Sh(string script)
    {
        var r = Shell.Run(script);
        Assert.True(r.ExitCode == 0, script + ": " + r.Stderr);
    }

    /// <summary>A directory other users may write (0777, not sticky), like a service user's or a group deploy directory.</summary>
    static TempDir SharedDir()
    {
        var tmp = new TempDir("hostile");
        File.SetUnixFileMode(tmp.Path, (UnixFileMode)0x1ff);
        return tmp;
    }

    [Fact]
    public void A_symlink_planted_at_the_part_is_never_written_through_as_root()
    {
        using var victimDir = new TempDir("victim");
        using var shared = SharedDir();
        var victim = victimDir.File("victim", "root secret\n");
        File.SetUnixFileMode(victim, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var created = Path.Combine(victimDir.Path, "created-by-root");
        // As nobody: a link to a root file, and a dangling link to where root would create a file.
        Sh($"setpriv --reuid=65534 --regid=65534 --clear-groups -- sh -c 'ln -s {victim} {shared.Path}/out.bin.part && ln -s {created} {shared.Path}/c.bin.part'");

        foreach (var (name, url) in new[] { ("out.bin", "/big.bin?size=70000"), ("c.bin", "/big.bin?size=70000") })
        {
            var output = Path.Combine(shared.Path, name);
            var r = Resh($"{server.Http}{url}", "download", $"output={output}");
            Assert.True(r.Ok, r.ToString());
            Assert.Contains(r.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("symbolic link"));
            Assert.Equal(0, r.Result!["resumed_from"]!.GetValue<long>());
            Assert.Equal("regular file", Stat(output).Type);
            Assert.Equal(HttpBackend.Sha256Of(70000), Sha256File(output));
            Assert.False(File.Exists(output + ".part"));
        }
        Assert.Equal("root secret\n", File.ReadAllText(victim));
        Assert.False(File.Exists(created));
    }

    [Fact]
    public void A_symlink_or_hard_link_part_is_not_resumed_even_when_the_server_honours_range()
    {
        using var victimDir = new TempDir("victim");
        using var shared = SharedDir();
        var victim = victimDir.File("passwd", "root:x:0:0::/root:/bin/sh\n");
        File.CreateSymbolicLink(Path.Combine(shared.Path, "tool.bin.part"), victim);
        var linked = victimDir.File("shadow", "root:*:1::::::\n");
        File.SetUnixFileMode(linked, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Sh($"ln {linked} {shared.Path}/hard.bin.part");

        var r = Resh($"{server.Http}/big.bin?size=5000", "download", $"output={shared.Path}/tool.bin");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("root:x:0:0::/root:/bin/sh\n", File.ReadAllText(victim)); // nothing appended
        Assert.Equal(HttpBackend.Sha256Of(5000), Sha256File(Path.Combine(shared.Path, "tool.bin")));

        var h = Resh($"{server.Http}/big.bin?size=5000", "download", $"output={shared.Path}/hard.bin");
        Assert.True(h.Ok, h.ToString());
        Assert.Equal(0, h.Result!["resumed_from"]!.GetValue<long>());
        Assert.Contains(h.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("hard links"));
        Assert.Equal("root:*:1::::::\n", File.ReadAllText(linked));
        Assert.Equal(HttpBackend.Sha256Of(5000), Sha256File(Path.Combine(shared.Path, "hard.bin")));
    }

    [Fact]
    public void A_part_planted_by_another_user_is_not_resumed_and_the_result_belongs_to_the_caller()
    {
        using var shared = SharedDir();
        // nobody plants a world-writable prefix; root's download must neither keep it nor hand nobody the file.
        Sh($"setpriv --reuid=65534 --regid=65534 --clear-groups -- sh -c 'printf \"#!/bin/sh\\necho attacker\\n#\" > {shared.Path}/setup.sh.part; chmod 666 {shared.Path}/setup.sh.part'");
        var digest = HttpBackend.Sha256Of(9000);
        var r = Resh($"{server.Http}/big.bin?size=9000", "download", $"output={shared.Path}/setup.sh", $"sha256={digest}");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal(0, r.Result!["resumed_from"]!.GetValue<long>());
        Assert.Contains(r.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("belongs to uid 65534"));
        var st = Stat(Path.Combine(shared.Path, "setup.sh"));
        Assert.Equal(0, st.Uid);
        Assert.Equal(0, st.Mode & 0x12); // writable by nobody else
        Assert.Equal(digest, Sha256File(Path.Combine(shared.Path, "setup.sh")));

        // As nobody in its own directory: a root-owned .part there is not resumed either, and is replaced.
        using var own = SharedDir();
        Sh($"chown 65534:65534 {own.Path} && chmod 755 {own.Path} && printf 'rootdata' > {own.Path}/n.bin.part");
        var n = NetTestKit.AsNobody($"{server.Http}/big.bin?size=9000", "download", $"output={own.Path}/n.bin");
        Assert.True(n.Ok, n.ToString());
        Assert.Equal(0, n.Result!["resumed_from"]!.GetValue<long>());
        Assert.Equal(65534, Stat(Path.Combine(own.Path, "n.bin")).Uid);
        Assert.Equal(digest, Sha256File(Path.Combine(own.Path, "n.bin")));
    }

    [Fact]
    public void A_replaced_private_file_stays_private_and_the_part_is_0600_while_it_downloads()
    {
        using var tmp = new TempDir();
        var token = tmp.File("token", "s\n");
        File.SetUnixFileMode(token, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var g = Resh($"{server.Http}/text", "get", $"output={token}");
        Assert.True(g.Ok, g.ToString());
        Assert.Equal(0x180, Stat(token).Mode);
        Assert.Equal(HttpBackend.Text, File.ReadAllText(token));

        var tok2 = tmp.File("tok2", "s\n");
        File.SetUnixFileMode(tok2, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var d = Resh($"{server.Http}/big.bin?size=3000", "download", $"output={tok2}");
        Assert.True(d.Ok, d.ToString());
        Assert.Equal(0x180, Stat(tok2).Mode);

        // Another user's private file replaced by root's download stays private (user review s27: it became 0644);
        // one planted 0666 does not make the download writable by others.
        var theirs = tmp.File("theirs", "s\n");
        File.SetUnixFileMode(theirs, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Sh($"chown 65534:65534 {theirs}");
        var t = Resh($"{server.Http}/big.bin?size=3000", "download", $"output={theirs}");
        Assert.True(t.Ok, t.ToString());
        Assert.Equal(0x180, Stat(theirs).Mode);
        var planted = tmp.File("planted", "s\n");
        Sh($"chmod 0666 {planted} && chown 65534:65534 {planted}");
        var p = Resh($"{server.Http}/big.bin?size=3000", "download", $"output={planted}");
        Assert.True(p.Ok, p.ToString());
        Assert.Equal(0x1a4, Stat(planted).Mode);

        // A new file follows the umask (the test runner's 022: 0644).
        var fresh = Resh($"{server.Http}/big.bin?size=3000", "download", $"output={tmp.Path}/new.bin");
        Assert.True(fresh.Ok, fresh.ToString());
        Assert.Equal(0x1b6 & ~0x12, Stat(Path.Combine(tmp.Path, "new.bin")).Mode);

        // The .part left by a cut connection is 0600.
        var key = Guid.NewGuid().ToString("N");
        var cut = Resh($"{server.Http}/cut?key={key}&cuts=1&at=1048576&size=2000000", "download", $"output={tmp.Path}/cut.bin", "retries=0");
        Assert.Equal("failed", cut.ErrorCode);
        Assert.Equal(0x180, Stat(Path.Combine(tmp.Path, "cut.bin.part")).Mode);
    }

    [Fact]
    public void A_fifo_at_the_output_does_not_hang_a_digest_checked_download()
    {
        using var shared = SharedDir();
        var output = Path.Combine(shared.Path, "tool.bin");
        Sh($"setpriv --reuid=65534 --regid=65534 --clear-groups -- mkfifo {output}");
        var digest = HttpBackend.Sha256Of(4000);
        var r = NetTestKit.Run(ReshBinary.Path, [$"{server.Http}/big.bin?size=4000", "download", $"output={output}", $"sha256={digest}", "timeout=5s"],
            wait: TimeSpan.FromSeconds(60));
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("regular file", Stat(output).Type);
        Assert.Equal(digest, Sha256File(output));
    }

    [Fact]
    public void Caller_headers_are_not_sent_to_another_origin_after_a_redirect()
    {
        var to = Uri.EscapeDataString($"http://localhost:{server.Plain}/echo");
        string[] headers = ["header=Cookie: session=TOPSECRETCOOKIE", "header=X-Api-Key: APIKEY123", "headers:={\"Authorization\":\"Bearer HDRTOKEN\"}", "header=Accept: text/plain"];
        var r = Resh([$"{server.Http}/redirect-to?url={to}", "get", .. headers]);
        Assert.True(r.Ok, r.ToString());
        var seen = r.Result!["body"]!["headers"]!.AsObject();
        Assert.False(seen.ContainsKey("cookie"));
        Assert.False(seen.ContainsKey("x-api-key"));
        Assert.False(seen.ContainsKey("authorization"));
        Assert.Equal("text/plain", seen["accept"]!.GetValue<string>());
        Assert.Contains(r.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("Cookie"));

        // The same origin keeps them.
        var same = Resh([$"{server.Http}/redirect-to?url=%2Fecho", "get", .. headers]);
        Assert.True(same.Ok, same.ToString());
        var kept = same.Result!["body"]!["headers"]!.AsObject();
        Assert.Equal("session=TOPSECRETCOOKIE", kept["cookie"]!.GetValue<string>());
        Assert.Equal("APIKEY123", kept["x-api-key"]!.GetValue<string>());
    }

    [Fact]
    public void A_full_disk_is_reported_as_the_local_file_and_the_server_is_not_retried()
    {
        using var tmp = new TempDir();
        var mnt = Path.Combine(tmp.Path, "mnt");
        Directory.CreateDirectory(mnt);
        var key = Guid.NewGuid().ToString("N");
        // A private mount namespace: a 1 MiB tmpfs only this resh sees.
        // The commands go in a script: the URL's `&` must not meet a second level of shell quoting.
        var script = tmp.File("full.sh", $"mount -t tmpfs -o size=1m none {Shell.Q(mnt)} && exec {Shell.Q(ReshBinary.Path)} " +
                                         $"{Shell.Q($"{server.Http}/cut?key={key}&cuts=0&size=3000000")} download output={Shell.Q(mnt + "/big.bin")}\n");
        var run = Shell.Run($"unshare -m sh {Shell.Q(script)}");
        var env = JsonNode.Parse(run.Stdout)!;
        Assert.False(env["ok"]!.GetValue<bool>(), run.Stdout);
        var message = env["error"]!["message"]!.GetValue<string>();
        Assert.Contains("No space left on device", message);
        Assert.DoesNotContain("connection", message);
        Assert.Equal("1", Resh($"{server.Http}/hits?key=cut:{key}", "get").Result!["body"]!.ToString());
    }
}
