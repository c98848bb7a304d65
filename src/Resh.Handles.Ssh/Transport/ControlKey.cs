using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Resh.Handles.Ssh.Hosts;

namespace Resh.Handles.Ssh.Transport;

/// <summary>
/// The name of a host's ControlMaster socket: 40 hex digits of a hash over the alias as given and
/// the whole <c>ssh -G</c> output for it (HostName, Port, User, ProxyJump, ProxyCommand, HostKeyAlias,
/// IdentityFile, known_hosts files...). ssh's own <c>%C</c> hashes only host, port, user and jump host,
/// so two aliases for one address shared a master and a second alias's ProxyCommand or HostKeyAlias
/// was never used (nor its host key checked). Editing an alias's settings also gives it a new master.
/// Computed once per process per host (<c>ssh -G</c> makes no connection).
/// </summary>
public static class ControlKey
{
    static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    public static string For(SshSettings s, HostTarget host)
    {
        var argv = SshCommand.Effective(s, host);
        var id = string.Join('\0', argv);
        return Cache.GetOrAdd(id, _ => Hash(host.Destination + "\0" + id + "\0" + (EffectiveText(argv) ?? "")));
    }

    static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..40];

    /// <summary>The output of <c>ssh -G</c>, or null when ssh cannot read its config (the real call then reports why).</summary>
    static string? EffectiveText(List<string> argv)
    {
        try
        {
            var psi = new ProcessStartInfo(argv[0])
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
            // Waits for a slot when file descriptors have run out (a null here would name another ControlPath).
            var (started, slot) = Resh.Core.Platform.ProcessSlots.Start(psi);
            using var held = slot;
            using var p = started;
            using var pipeIn = p.StandardInput.BaseStream; // Process.Dispose leaves touched pipes to the GC
            using var pipeOut = p.StandardOutput.BaseStream;
            using var pipeErr = p.StandardError.BaseStream;
            p.StandardInput.Close();
            var errTask = p.StandardError.ReadToEndAsync();
            var text = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(10_000)) { try { p.Kill(); } catch (InvalidOperationException) { } return null; }
            errTask.Wait(1000);
            return p.ExitCode == 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
        catch (Resh.Core.Errors.ReshException) { return null; }
        catch (IOException) { return null; }
    }
}
