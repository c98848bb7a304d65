using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Output;
using Resh.Core.Platform;
using Resh.Core.Secrets;

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

        SecretValue? password = null;
        if (g.BecomePassword is { } passwordSource)
        {
            if (method != "sudo")
                return output.WriteEnvelope(Envelope.Failure(ReshError.Unsupported($"--become-method {method} reads a password only from a terminal, which resh never types into.",
                    "Use --become-method sudo with a password, or allow it without one."), inv.HandleName, inv.VerbName, inv.EnvelopeTarget, g.DryRun, clock.Elapsed.TotalMilliseconds));
            try
            {
                var source = SecretRef.Parse(passwordSource, warnLiteral: false);
                if (source.Kind == SecretSourceKind.Literal)
                    io.Stderr.WriteLine("resh: warning: --become-password was given as a literal, which other users can read in /proc/PID/cmdline; pass secret:NAME, env:VAR or file:PATH.");
                password = SecretResolver.Resolve(source, "--become-password", runtime, CancellationToken.None);
            }
            catch (FormatException ex)
            {
                return output.WriteEnvelope(Envelope.Failure(ReshError.Usage($"--become-password: {ex.Message}", SecretNames.Rule),
                    inv.HandleName, inv.VerbName, inv.EnvelopeTarget, g.DryRun, clock.Elapsed.TotalMilliseconds));
            }
            catch (ReshException ex)
            {
                return output.WriteEnvelope(Envelope.Failure(ex.Error, inv.HandleName, inv.VerbName, inv.EnvelopeTarget, g.DryRun, clock.Elapsed.TotalMilliseconds));
            }
        }
        List<string> prefix = method switch
        {
            "su" => ["su", "-s", "/bin/sh", "-c", "exec \"$0\" \"$@\"", user],
            "doas" => ["doas", "-n", "-u", user],
            _ => password is null ? ["sudo", "-n", "-u", user, "--"] : ["sudo", "-A", "-u", user, "--"],
        };
        // sudo -A asks a helper for the password; the helper prints it from its environment (never argv).
        Dictionary<string, string?>? environment = null;
        if (password is not null)
            environment = new() { ["SUDO_ASKPASS"] = Askpass(runtime), ["RESH_BECOME_PASSWORD"] = password.Reveal() };
        var check = await ProcessRunner.RunAsync([.. prefix, "/bin/true"], new ProcessOptions { Environment = environment }, CancellationToken.None).ConfigureAwait(false);
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
        // Secrets are resolved here (this user's store, environment and files) and go to the child on stdin.
        var (tail, stdin) = ArgsForwarding.Encode(inv.Args!, inv.Verb, _ => false, $"resh running as {user}",
            a => inv.Args!.Get(a) is { } source ? SecretResolver.Resolve(source, $"argument `{a.Name}`", runtime, CancellationToken.None) : null,
            (source, what) => SecretResolver.Resolve(source, what, runtime, CancellationToken.None));
        argv.AddRange(tail);
        runtime.Log($"become: {string.Join(' ', argv)} (arguments on stdin)");

        var psi = new ProcessStartInfo(argv[0]) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
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

    /// <summary>The askpass helper (0700, in the state dir): prints $RESH_BECOME_PASSWORD, which only sudo's environment holds.</summary>
    static string Askpass(ReshRuntime runtime)
    {
        var dir = runtime.Paths.StateSubdir("become");
        var path = Path.Combine(dir, "askpass");
        if (!File.Exists(path))
            AtomicFile.Write(path, "#!/bin/sh\nprintf '%s\\n' \"$RESH_BECOME_PASSWORD\"\n"u8, (UnixFileMode)0x1c0);
        return path;
    }
}
