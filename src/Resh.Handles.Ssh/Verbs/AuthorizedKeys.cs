using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Text;
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh.Verbs;

/// <summary>
/// A remote authorized_keys file: read in one round trip, and replaced in another only if it still
/// has the content that was read (compare-and-swap on its SHA-256), through a temp file and mv, so
/// a concurrent edit is a conflict rather than a lost update and a crash leaves the old or the new file.
/// </summary>
public static class AuthorizedKeys
{
    public const string DefaultFile = ".ssh/authorized_keys";
    const string Missing = "__RESH_NO_FILE__";
    const int Raced = 98;
    const int Linked = 93;

    public sealed record Line(string Text, string? Options, string Type, string Blob, string? Comment)
    {
        public AuthorizedKey Info => new(Type, HostKeys.Fingerprint(Blob), Comment, Options);
    }

    public static async Task<(bool Exists, string Content)> ReadAsync(SshClient client, HostTarget host, string file)
    {
        var q = ShellQuote.Quote(file);
        var r = await client.ExecAsync(host, $"if [ -e {q} ]; then cat -- {q}; else echo {Missing}; fi", deadline: TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        if (SshClient.IsSshFailure(r.ExitCode, r.Stderr)) throw (await client.FailureAsync(host, r.Stderr).ConfigureAwait(false)).ToException();
        if (r.ExitCode != 0)
            throw ReshError.PermissionDenied($"Cannot read {file} on {host.Alias}: {r.LastErrorLine}", null, new JsonObject { ["host"] = host.Alias, ["file"] = file }).ToException();
        return r.Stdout == Missing + "\n" ? (false, "") : (true, r.Stdout);
    }

    public static async Task WriteAsync(SshClient client, HostTarget host, string file, string expected, string content)
    {
        var q = ShellQuote.Quote(file);
        var want = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(expected))).ToLowerInvariant();
        // A symlinked file is not replaced (mv would turn the link into a regular file) nor written through.
        var script = $"umask 077; f={q}; if [ -L \"$f\" ]; then readlink -- \"$f\"; exit {Linked}; fi; d=$(dirname -- \"$f\"); [ -d \"$d\" ] || mkdir -p -m 700 -- \"$d\" || exit 1; " +
                     $"cur=$(cat -- \"$f\" 2>/dev/null | sha256sum | cut -c1-64); [ \"$cur\" = {want} ] || exit {Raced}; " +
                     "t=\"$f.resh-$$\"; cat > \"$t\" && chmod 600 -- \"$t\" && mv -f -- \"$t\" \"$f\" || { rm -f -- \"$t\"; exit 1; }";
        var r = await client.ExecAsync(host, script, Encoding.UTF8.GetBytes(content), TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        if (SshClient.IsSshFailure(r.ExitCode, r.Stderr)) throw (await client.FailureAsync(host, r.Stderr).ConfigureAwait(false)).ToException();
        if (r.ExitCode == Linked)
        {
            var target = r.Stdout.Trim();
            throw ReshError.Conflict($"{file} on {host.Alias} is a symlink to {target}; resh does not replace links or write through them.",
                $"Pass file={target} to edit the file it points to, or replace the link with a regular file.",
                new JsonObject { ["host"] = host.Alias, ["file"] = file, ["link_target"] = target }).ToException();
        }
        if (r.ExitCode == Raced)
            throw ReshError.Conflict($"{file} on {host.Alias} changed while resh was editing it; nothing was written.", "Run the call again.",
                new JsonObject { ["host"] = host.Alias, ["file"] = file }).ToException();
        if (r.ExitCode != 0)
            throw ReshError.Failed($"Writing {file} on {host.Alias} failed: {r.LastErrorLine}", "Check the permissions of the file and its directory.",
                new JsonObject { ["host"] = host.Alias, ["file"] = file, ["stderr"] = r.Stderr }).ToException();
    }

    public static List<Line> Parse(string content) =>
        AuthorizedKeyLine.ParseAll(content, requireBase64Blob: false).Select(k => Of(k.Key)).ToList();

    /// <summary>A public key line: <c>[options] type base64 [comment]</c>; null when it is not one.</summary>
    public static Line? ParseLine(string text) => AuthorizedKeyLine.Parse(text, requireBase64Blob: false) is { } k ? Of(k) : null;

    static Line Of(AuthorizedKeyLine k) => new(k.Text, k.Options, k.Type, k.Blob, k.Comment);

    public static bool LooksPrivate(string text) => AuthorizedKeyLine.LooksPrivate(text);
}
