using System.Diagnostics;
using Resh.Handles.Tests.Lock;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Config.Kv;

/// <summary>
/// The key-value behaviours on a real etcd 3.4 with auth on (the lock tests' fixture, tests/setup/etcd.sh): the
/// password comes from a [config.NAME] table as a secret reference and never shows in output or argv.
/// </summary>
[Collection("etcd")]
public sealed class ConfigKvEtcdTests(EtcdBackend etcd) : KvStoreBehaviour(
    $"[config.et]\nbackend = \"etcd\"\nurl = \"http://127.0.0.1:{etcd.Port}\"\nuser = \"root\"\npassword = \"env:{PasswordVar}\"\ntimeout = \"30s\"\n"
    + $"[config.wrong]\nurl = \"http://127.0.0.1:{etcd.Port}\"\nuser = \"root\"\npassword = \"env:RESH_TEST_WRONG_PW\"\n",
    new Dictionary<string, string> { [PasswordVar] = EtcdBackend.Password, ["RESH_TEST_WRONG_PW"] = "not-the-password" })
{
    const string PasswordVar = "RESH_TEST_ETCD_PW";

    protected override string Store => "et";
    protected override string Backend => "etcd";

    protected override string? RawValue(string key)
    {
        var lines = etcd.Ctl("get", key).Split('\n');
        return lines.Length >= 2 ? lines[1] : lines[0].Length == 0 ? null : "";
    }

    [Fact]
    public void The_password_comes_from_a_secret_reference_and_never_shows_in_output_or_argv()
    {
        var set = Resh($"{T("auth")}.set", "value=ok");
        Ok(set);
        Assert.DoesNotContain(EtcdBackend.Password, set.Stdout + set.Stderr, StringComparison.Ordinal);
        Assert.Equal("ok", RawValue($"{P}/auth"));

        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { $"config://et/{P}/.watch", "--timeout", "3s", "--format", "json" }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Env) psi.Environment[k] = v;
        using var watch = Process.Start(psi)!;
        Thread.Sleep(500);
        var argv = CmdlineOf(watch);
        Assert.DoesNotContain(EtcdBackend.Password, argv, StringComparison.Ordinal);
        var output = watch.StandardOutput.ReadToEnd() + watch.StandardError.ReadToEnd();
        Assert.True(watch.WaitForExit(30_000));
        Assert.DoesNotContain(EtcdBackend.Password, output, StringComparison.Ordinal);

        var wrong = Resh($"config://wrong/{P}/auth.get");
        Assert.Equal("permission_denied", wrong.ErrorCode);
        Assert.DoesNotContain("not-the-password", wrong.Stdout + wrong.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_written_by_etcdctl_reads_back_typed_and_secret_looking_keys_are_masked()
    {
        etcd.Ctl("put", $"{P}/n", "42");
        var got = Ok(Resh($"{T("n")}.get"));
        Assert.Equal(42, got["value"]!.GetValue<int>());
        Assert.Equal(long.Parse(etcd.Ctl("get", $"{P}/n", "-w", "fields").Split('\n').First(l => l.StartsWith("\"ModRevision\"", StringComparison.Ordinal)).Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture),
            got["revision"]!.GetValue<long>());
        etcd.Ctl("put", $"{P}/db/password", "hunter2");
        var masked = Resh($"{T("db/password")}.get");
        Assert.Equal("***", Ok(masked)["value"]!.GetValue<string>());
        Assert.DoesNotContain("hunter2", masked.Stdout, StringComparison.Ordinal);
        Assert.Equal("hunter2", Ok(Resh($"{T("db/password")}.get", "reveal=true"))["value"]!.GetValue<string>());
    }
}
