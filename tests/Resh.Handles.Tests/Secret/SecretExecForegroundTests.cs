using System.Diagnostics;
using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Secret;

/// <summary>
/// secret://.exec as `op run` / `aws-vault exec` (issue 12 user review #10): standard input passes through, output
/// streams (masked as it passes, also across writes), the program's exit status is resh's, raw prints the program's
/// output only. Plus short secrets (attacker review #9).
/// </summary>
public sealed class SecretExecForegroundTests
{
    static SecretKit WithSecret(out string value)
    {
        var kit = new SecretKit();
        value = SecretKit.Canary();
        SecretKit.Ok(kit.Stdin(value, "secret://db/app.set", "value=@-"));
        return kit;
    }

    [Fact]
    public void Standard_input_reaches_the_program()
    {
        using var kit = WithSecret(out _);
        var run = kit.Run(["secret://.exec", "env=DB_PASSWORD:db/app", "--", "sh", "-c", "read line; echo \"got $line\"; cat"], "hello\nrest of it\n");
        Assert.Equal("got hello\nrest of it\n", SecretKit.Ok(run)["stdout"]!.GetValue<string>());
        var raw = kit.Run(["secret://.exec", "env=DB_PASSWORD:db/app", "--format", "raw", "--", "wc", "-c"], "12345");
        Assert.Equal("5", raw.Stdout.Trim());
    }

    [Fact]
    public void The_programs_exit_status_is_reshs_and_the_envelope_says_how()
    {
        using var kit = WithSecret(out _);
        var failed = kit.Run("secret://.exec", "env=DB_PASSWORD:db/app", "--", "sh", "-c", "echo out; echo 'it broke' >&2; exit 3");
        Assert.Equal(3, failed.ExitCode);
        var error = SecretKit.Fails(failed, "failed");
        Assert.Equal(3, error["details"]!["exit_code"]!.GetValue<int>());
        Assert.Equal("out\n", error["details"]!["stdout"]!.GetValue<string>()); // the output is kept on failure
        Assert.Contains("it broke", error["message"]!.GetValue<string>());

        var unchecked_ = kit.Run("secret://.exec", "env=DB_PASSWORD:db/app", "check=false", "--", "sh", "-c", "exit 3");
        Assert.Equal(3, SecretKit.Ok(unchecked_)["exit_code"]!.GetValue<int>());

        var signalled = kit.Run("secret://.exec", "env=DB_PASSWORD:db/app", "--format", "raw", "--", "sh", "-c", "kill -TERM $$");
        Assert.Equal(128 + 15, signalled.ExitCode);

        // Before the program runs, the status is resh's own (SPEC §3).
        Assert.Equal(3, kit.Run("secret://.exec", "env=DB_PASSWORD:db/missing", "--", "true").ExitCode);
        Assert.Equal(2, kit.Run("secret://.exec", "env=DB_PASSWORD", "--", "true").ExitCode);
        var notThere = kit.Run("secret://.exec", "env=DB_PASSWORD:db/app", "--", "no-such-program-resh-test");
        Assert.Equal(3, notThere.ExitCode);
        SecretKit.Fails(notThere, "not_found");
    }

    [Fact]
    public void Raw_prints_the_programs_output_only_masked_even_when_a_value_is_split_across_writes()
    {
        using var kit = WithSecret(out var value);
        // The value leaves the program in two writes with a pause between: two reads for resh.
        var script = "h=${DB_PASSWORD%????????????}; printf 'a%s' \"$h\"; sleep 0.3; printf '%sb\\n' \"${DB_PASSWORD#\"$h\"}\"; "
            + "printf 'err %s\\n' \"$DB_PASSWORD\" >&2; printf 'prefix only %s\\n' \"$h\"; exit 4";
        var run = kit.Run("secret://.exec", "env=DB_PASSWORD:db/app", "--format", "raw", "--", "sh", "-c", script);
        Assert.Equal(4, run.ExitCode);
        var h = value[..^12];
        Assert.Equal($"a***b\nprefix only {h}\n", run.Stdout);
        Assert.Equal("err ***\n", run.Stderr); // nothing of resh's own: the program's stderr only
        Assert.DoesNotContain(value, run.Stdout + run.Stderr);

        // More than the old 1 MiB capture passes whole.
        var big = kit.Run("secret://.exec", "env=DB_PASSWORD:db/app", "--format", "raw", "--", "sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' a");
        Assert.Equal(0, big.ExitCode);
        Assert.Equal(3000000, big.StdoutBytes.Length);
    }

    [Fact]
    public void Ndjson_streams_each_line_as_an_event_then_the_envelope()
    {
        using var kit = WithSecret(out var value);
        var run = kit.Run("secret://.exec", "env=DB_PASSWORD:db/app", "--format", "ndjson", "--", "sh", "-c",
            "echo one; echo \"two $DB_PASSWORD\"; echo warn >&2; printf tail");
        Assert.Equal(0, run.ExitCode);
        var stdout = run.Events.Where(e => e["event"]!.GetValue<string>() == "stdout").Select(e => e["line"]!.GetValue<string>()).ToList();
        Assert.Equal(["one", "two ***", "tail"], stdout);
        Assert.Equal(["warn"], run.Events.Where(e => e["event"]!.GetValue<string>() == "stderr").Select(e => e["line"]!.GetValue<string>()));
        Assert.True(run.Result!["streamed"]!.GetValue<bool>());
        Assert.Equal(0, run.Result!["exit_code"]!.GetValue<int>());
        Assert.DoesNotContain(value, run.Stdout + run.Stderr);
    }

    [Fact]
    public async Task Output_comes_out_while_the_program_still_runs()
    {
        using var kit = WithSecret(out _);
        var flag = Path.Combine(kit.Temp, "go-on");
        var psi = new ProcessStartInfo(ReshBinary.Path)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "secret://.exec", "env=DB_PASSWORD:db/app", "--format", "raw", "--", "sh", "-c",
                     $"echo first; i=0; while [ ! -e '{flag}' ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; echo second" })
            psi.ArgumentList.Add(a);
        psi.Environment["RESH_HOME"] = kit.Home;
        psi.Environment["HOME"] = kit.Home;
        psi.Environment.Remove("RESH_SECRET_PASSPHRASE");
        psi.Environment.Remove("RESH_SECRET_KEY_FILE");
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        string? first = null;
        try { first = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)); }
        catch (TimeoutException) { }
        File.WriteAllText(flag, "");
        Assert.True(first is not null, "the first line did not arrive while the program was waiting");
        Assert.Equal("first", first);
        Assert.False(p.HasExited);
        Assert.Equal("second", p.StandardOutput.ReadLine());
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public void Secrets_shorter_than_four_characters_are_refused_not_left_unmasked()
    {
        using var kit = new SecretKit();
        var set = kit.Stdin("abc", "secret://short.set", "value=@-");
        Assert.Equal(2, set.ExitCode);
        var error = SecretKit.Fails(set, "usage");
        Assert.Contains("generate", error["hint"]!.GetValue<string>());
        SecretKit.Fails(kit.Run("secret://short.get"), "not_found");
        SecretKit.Ok(kit.Stdin("abcd", "secret://four.set", "value=@-"));

        // A short value from a read-only backend is not injected where it could not be masked.
        var exec = kit.Run(["secret://.exec", "env=S:env:SHORT_VALUE", "--", "sh", "-c", "echo \"S=$S\""], null, new Dictionary<string, string> { ["SHORT_VALUE"] = "abc" });
        SecretKit.Fails(exec, "usage");
        Assert.DoesNotContain("S=abc", exec.Stdout + exec.Stderr);
        var four = kit.Run(["secret://.exec", "env=S:env:FOUR_VALUE", "--", "sh", "-c", "echo \"S=$S\""], null, new Dictionary<string, string> { ["FOUR_VALUE"] = "wxyz" });
        Assert.Equal("S=***\n", SecretKit.Ok(four)["stdout"]!.GetValue<string>());
    }
}
