using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Output;
using Resh.Core.Platform;

namespace Resh.Core.Cli;

/// <summary>
/// <c>--become</c> on a local stage: resh runs itself again as the become user through sudo (su, doas),
/// with the same stage, verb and output flags; the parsed arguments go as JSON on the child's stdin, never
/// on its command line. The child prints the envelope to the same stdout and its exit status is ours. A
/// refusal (a password needed, no sudoers rule) is checked first, so it is answered as
/// <c>permission_denied</c> rather than mistaken for the verb's own failure. Already that user: nothing to do.
/// </summary>
internal static class LocalBecome
{
    public static async Task<int?> RunAsync(Invocation inv, ReshRuntime runtime, OutputFormat format, AppIO io, OutputWriter output, Stopwatch clock)
    {
        var g = inv.Globals;
        var user = g.BecomeUser ?? "root";
        var method = g.BecomeMethod ?? "sudo";
        var target = Users.User(user);
        if (target is null)
            return output.WriteEnvelope(Envelope.Failure(ReshError.NotFound($"No user `{user}` to become.", "Name an existing user with --become-user."),
                inv.HandleName, inv.VerbName, inv.EnvelopeTarget, g.DryRun, clock.Elapsed.TotalMilliseconds));
        if (target.Uid == LibC.GetEUid()) return null;

        List<string> prefix = method switch
        {
            "su" => ["su", "-s", "/bin/sh", "-c", "exec \"$0\" \"$@\"", user],
            "doas" => ["doas", "-n", "-u", user],
            _ => ["sudo", "-n", "-u", user, "--"],
        };
        var check = await ProcessRunner.RunAsync([.. prefix, "/bin/true"], null, CancellationToken.None).ConfigureAwait(false);
        if (!check.Succeeded)
        {
            var error = ReshError.PermissionDenied($"Cannot become {user} with {method}: {check.LastErrorLine}",
                method == "sudo" ? "Allow it without a password (sudoers NOPASSWD), or run resh as that user." : "Use --become-method sudo, or run resh as that user.",
                new JsonObject { ["phase"] = "become", ["method"] = method, ["become_user"] = user, ["reason"] = check.LastErrorLine });
            return output.WriteEnvelope(Envelope.Failure(error, inv.HandleName, inv.VerbName, inv.EnvelopeTarget, g.DryRun, clock.Elapsed.TotalMilliseconds));
        }

        var argv = new List<string>(prefix) { Environment.ProcessPath ?? "/proc/self/exe", "--format", format.ToWire() };
        if (g.DryRun) argv.Add("--dry-run");
        if (g.Verbose) argv.Add("--verbose");
        if (g.Quiet) argv.Add("--quiet");
        if (g.NoColor) argv.Add("--no-color");
        if (g.Forks is { } forks) { argv.Add("--forks"); argv.Add(forks.ToString(CultureInfo.InvariantCulture)); }
        // sudo resets the environment: the config file is named explicitly.
        if ((g.ConfigPath ?? io.Env("RESH_CONFIG")) is { Length: > 0 } config) { argv.Add("--config"); argv.Add(Path.GetFullPath(config)); }
        if (g.Timeout is { } t) { argv.Add("--timeout"); argv.Add(((long)Math.Max(1, (t - clock.Elapsed).TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms"); }
        var stage = $"{inv.Handle!.Scheme}://{inv.RawTarget}";
        if (stage.EndsWith(')')) stage += "()";
        argv.Add(stage);
        argv.Add(inv.Verb!.Name);
        var (tail, stdin) = ArgsForwarding.Encode(inv.Args!, inv.Verb, _ => false, $"resh running as {user}");
        argv.AddRange(tail);
        runtime.Log($"become: {string.Join(' ', argv)} (arguments on stdin)");

        var psi = new ProcessStartInfo(argv[0]) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        output.Flush();
        using var child = Process.Start(psi)!;
        // SIGTERM is passed on (sudo relays it to resh); a terminal's Ctrl-C reaches the whole process group already.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; LibC.Kill(child.Id, LibC.SIGTERM); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
        try
        {
            if (stdin is not null) await child.StandardInput.BaseStream.WriteAsync(stdin).ConfigureAwait(false);
            child.StandardInput.Close();
        }
        catch (IOException) { }
        await child.WaitForExitAsync().ConfigureAwait(false);
        return child.ExitCode;
    }
}
