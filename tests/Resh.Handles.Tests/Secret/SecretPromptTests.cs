using System.Diagnostics;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Secret;

/// <summary>
/// The no-echo prompts, on a real pseudo-terminal (python3's pty module plays the user): what is typed
/// must never show on the terminal, and must reach the keystore.
/// </summary>
public sealed class SecretPromptTests
{
    const string Driver = """
        import os, pty, sys, time, select
        prompt, answer = sys.argv[1].encode(), sys.argv[2].encode()
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(sys.argv[3], sys.argv[3:])
        seen, answered, deadline = b"", False, time.time() + 60
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            if not answered and prompt in seen:
                os.write(fd, answer + b"\n")
                answered = True
        _, status = os.waitpid(pid, 0)
        sys.stdout.buffer.write(seen)
        sys.exit(os.WEXITSTATUS(status) if answered else 99)
        """;

    static (int Exit, string Screen) OnTerminal(SecretKit kit, string prompt, string answer, params string[] args)
    {
        var script = Path.Combine(kit.Temp, "terminal_driver.py");
        File.WriteAllText(script, Driver);
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, prompt, answer, ReshBinary.Path }.Concat(args)) psi.ArgumentList.Add(a);
        psi.Environment["RESH_HOME"] = kit.Home;
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment.Remove("RESH_SECRET_PASSPHRASE");
        psi.Environment.Remove("RESH_SECRET_KEY_FILE");
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(90_000), "the pty driver did not finish");
        return (p.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void Set_without_a_value_on_a_terminal_prompts_without_echo()
    {
        using var kit = new SecretKit();
        var typed = SecretKit.Canary();
        var (exit, screen) = OnTerminal(kit, "resh: value:", typed, "secret://db/app.set");
        Assert.True(exit == 0, screen);
        Assert.DoesNotContain(typed, screen);
        Assert.Equal(typed, kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
    }

    [Fact]
    public void A_passphrase_keystore_asks_for_its_passphrase_on_the_terminal_without_echo()
    {
        using var kit = new SecretKit();
        var passphrase = "typed passphrase " + Guid.NewGuid().ToString("N");
        var value = SecretKit.Canary();
        kit.Env("RESH_SECRET_PASSPHRASE", passphrase);
        SecretKit.Ok(kit.Stdin(value, "secret://db/app.set", "value=@-"));

        var (exit, screen) = OnTerminal(kit, "keystore passphrase:", passphrase, "secret://db/app.get", "--format", "json");
        Assert.True(exit == 0, screen);
        Assert.DoesNotContain(passphrase, screen);
        Assert.Contains("\"value\":\"***\"", screen);
        var (wrongExit, wrongScreen) = OnTerminal(kit, "keystore passphrase:", "not it", "secret://db/app.get", "--format", "json");
        Assert.Equal(4, wrongExit);
        Assert.Contains("permission_denied", wrongScreen);
    }
}
