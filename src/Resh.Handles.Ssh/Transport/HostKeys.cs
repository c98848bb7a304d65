using System.Security.Cryptography;
using Resh.Core.Errors;
using Resh.Handles.Ssh.Hosts;

namespace Resh.Handles.Ssh.Transport;

/// <summary>A host's public key as the host presents it.</summary>
public sealed record HostKey(string Type, string Key, string Fingerprint);

/// <summary>
/// Fetches the key a host presents, the way ssh itself would see it: through ProxyJump, with
/// HostKeyAlias, Port and HostKeyAlgorithms from ~/.ssh/config. ssh is run with accept-new against a
/// throwaway known_hosts file and every authentication method off, so it records the key after the
/// key exchange and then stops without offering any of the user's keys to an unverified host.
/// </summary>
public static class HostKeys
{
    /// <summary>The fingerprint ssh-keygen -l prints: SHA256 of the key blob, base64 without padding.</summary>
    public static string Fingerprint(string base64Key)
    {
        byte[] blob;
        try { blob = Convert.FromBase64String(base64Key); }
        catch (FormatException) { return "SHA256:?"; }
        return "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');
    }

    public static async Task<IReadOnlyList<HostKey>> FetchAsync(SshClient client, HostTarget host, TimeSpan deadline)
    {
        var s = client.Settings;
        var scratch = Path.Combine(s.StateDir, $"hostkey-{Guid.NewGuid():N}");
        try
        {
            var argv = new List<string> { "ssh" };
            if (s.ConfigFile is not null) { argv.Add("-F"); argv.Add(s.ConfigFile); }
            foreach (var (k, v) in new[]
            {
                ("BatchMode", "yes"), ("StrictHostKeyChecking", "accept-new"), ("UserKnownHostsFile", scratch),
                ("GlobalKnownHostsFile", "/dev/null"), ("HashKnownHosts", "no"), ("UpdateHostKeys", "no"),
                ("ControlMaster", "no"), ("ControlPath", "none"), ("ConnectTimeout", SshSettings.Seconds(s.ConnectTimeout)),
                ("PubkeyAuthentication", "no"), ("PasswordAuthentication", "no"), ("KbdInteractiveAuthentication", "no"),
                ("GSSAPIAuthentication", "no"), ("HostbasedAuthentication", "no"), ("LogLevel", "ERROR"),
            })
            {
                argv.Add("-o");
                argv.Add($"{k}={v}");
            }
            var perHost = SshCommand.CommonOptions(s, host with { IdentityFile = null });
            // Keep only the per-host overrides (User, Port, HostName) from the common options.
            for (int i = 0; i + 1 < perHost.Count; i++)
            {
                if (perHost[i] == "-o" && (perHost[i + 1].StartsWith("User=", StringComparison.Ordinal) || perHost[i + 1].StartsWith("Port=", StringComparison.Ordinal)
                    || perHost[i + 1].StartsWith("HostName=", StringComparison.Ordinal)))
                {
                    argv.Add("-o");
                    argv.Add(perHost[i + 1]);
                }
            }
            argv.AddRange(["-T", "--", host.Destination, "exit 0"]);
            var r = await client.RunAsync(argv, null, deadline, 64 * 1024, "hostkey", host).ConfigureAwait(false);
            var keys = File.Exists(scratch) ? Parse(await File.ReadAllTextAsync(scratch).ConfigureAwait(false)) : [];
            if (keys.Count == 0)
            {
                var failure = SshFailure.Classify(r.Stderr);
                throw failure.ToError(host).ToException();
            }
            return keys;
        }
        finally
        {
            try { File.Delete(scratch); } catch (IOException) { }
        }
    }

    static List<HostKey> Parse(string knownHosts)
    {
        var keys = new List<HostKey>();
        foreach (var line in knownHosts.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 3 && !line.StartsWith('#')) keys.Add(new HostKey(f[1], f[2], Fingerprint(f[2])));
        }
        return keys;
    }
}
