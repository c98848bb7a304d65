using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Ssh.Fleet;
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Transfer;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh.Verbs;

public static class SshDownload
{
    static readonly Arg<string?> Src = Arg.String("src", "File or directory on the host; relative to the login directory.", required: true,
        examples: ["/var/log/app.log"], aliases: ["source"]);
    static readonly Arg<string?> Dest = Arg.String("dest", "Local path of the copy (the file itself, or the directory a tree becomes).", required: true,
        examples: ["./app.log"], aliases: ["destination"]);
    static readonly Arg<bool> Preserve = Arg.Bool("preserve", "Keep modification times and modes (sftp get -p).", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("download", Effect.Mutate,
        "Copy a file or directory tree from the host over SFTP: only what differs, atomically per file, checksums verified.",
        [Src, Dest, Preserve, .. SshArgs.Connection], () => SshJson.Default.TransferResult, RunAsync,
        examples: [new("'ssh://box.download(src=/var/log/syslog,dest=./syslog)'", "One file; a second run is unchanged.")],
        notes: "Each file lands under a temporary name next to its destination and replaces it only after its SHA-256 matches the host's. " +
               "With become, the listing and each file's bytes come through the become user's shell (cat), so root-only files can be fetched. " +
               "With a fleet, dest gets one subdirectory per host (dest/HOST/...). Needs sha256sum and GNU find on the host.");

    static ValueTask<Outcome<TransferResult>> RunAsync(VerbContext ctx) => HostVerb.RunAsync(ctx, SshJson.Default.TransferResult, (call, host) => DownloadAsync(ctx, call, host));

    sealed record RemoteFile(string Relative, long Size, int Mode, string Hash, long? MTime = null);

    static async Task<Outcome<TransferResult>> DownloadAsync(VerbContext ctx, SshCall call, HostTarget host)
    {
        var src = ctx.Get(Src)!;
        if (src.Contains('\n')) return ReshError.Usage("src cannot contain a line break.", null);
        var dest = Path.GetFullPath(ctx.Get(Dest)!);
        if (call.Spec.IsFleet) dest = Path.Combine(dest, host.Alias);
        var become = call.BecomeFor(host);
        if (become?.Unsupported() is { } unsupported) return unsupported;
        var (isDir, dirs, files) = await ListAsync(call.Client, host, src, become).ConfigureAwait(false);

        var plan = new List<TransferFile>();
        var copy = new List<RemoteFile>();
        foreach (var f in files)
        {
            var local = isDir ? Path.Combine(dest, f.Relative) : dest;
            var same = File.Exists(local) && LocalTree.Sha256(local) == f.Hash;
            if (!same) copy.Add(f);
            plan.Add(new TransferFile(local, f.Size, f.Hash, !same));
        }
        var missingDirs = isDir ? dirs.Prepend((".", 0x1ed)).Where(d => !Directory.Exists(Path.Combine(dest, d.Item1))).ToList() : [];
        var result = new TransferResult(host.Alias, src, dest, isDir ? "directory" : "file", copy.Count, files.Count - copy.Count, copy.Sum(f => f.Size), false, plan.ToArray());
        if (copy.Count == 0 && missingDirs.Count == 0) return Outcome.Unchanged(result with { Verified = true });
        if (ctx.DryRun) return Outcome.Changed(result);

        foreach (var (rel, mode) in missingDirs)
        {
            var path = Path.GetFullPath(Path.Combine(dest, rel));
            Directory.CreateDirectory(path);
            if (ctx.Get(Preserve) && rel != ".") File.SetUnixFileMode(path, (UnixFileMode)mode);
        }
        if (!isDir) Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
        var temps = copy.Select(f =>
        {
            var local = isDir ? Path.Combine(dest, f.Relative) : dest;
            return (File: f, Local: local, Temp: Path.Combine(Path.GetDirectoryName(local)!, $".{Path.GetFileName(local)}.resh-{Guid.NewGuid():N}"));
        }).ToList();
        var batch = new StringBuilder();
        foreach (var t in temps)
        {
            var remote = isDir ? $"{src.TrimEnd('/')}/{t.File.Relative}" : src;
            batch.Append(ctx.Get(Preserve) ? "get -p " : "get ").Append(SftpBatch.Q(remote)).Append(' ').Append(SftpBatch.Q(t.Temp)).Append('\n');
        }
        try
        {
            if (become is null)
                await SftpBatch.RunAsync(ctx, call.Client, host, batch.ToString(), temps.Select(t => (t.Temp, t.File.Size)).ToList(), $"download {host.Alias}").ConfigureAwait(false);
            else
            {
                // SFTP reads as the login user: with become each file comes through the become user's cat instead.
                foreach (var t in temps)
                {
                    var remote = isDir ? $"{src.TrimEnd('/')}/{t.File.Relative}" : src;
                    await using (var sink = new FileStream(t.Temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                    {
                        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(t.Temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                        var r = await StdinScript.RunAsync(call.Client, host, $"exec cat -- {ShellQuote.QuoteOneLine(remote)}", null, TimeSpan.FromMinutes(10), 64 * 1024, "transfer",
                            killOnCancel: true, become, stdoutSink: sink).ConfigureAwait(false);
                        if (r.ExitCode != 0)
                        {
                            if (SshClient.IsSshFailure(r.ExitCode, r.Stderr)) return await call.Client.FailureAsync(host, r.Stderr).ConfigureAwait(false);
                            return become.Refusal(host, r.Stderr) ?? ReshError.Failed($"Reading {remote} on {host.Alias} as {become.User} failed: {r.LastErrorLine}", null,
                                new JsonObject { ["host"] = host.Alias, ["phase"] = "transfer", ["stderr"] = r.Stderr });
                        }
                    }
                    if (ctx.Get(Preserve))
                    {
                        File.SetUnixFileMode(t.Temp, (UnixFileMode)(t.File.Mode & 0xFFF));
                        if (t.File.MTime is { } mtime) File.SetLastWriteTimeUtc(t.Temp, DateTimeOffset.FromUnixTimeSeconds(mtime).UtcDateTime);
                    }
                }
            }
            var bad = temps.Where(t => !File.Exists(t.Temp) || LocalTree.Sha256(t.Temp) != t.File.Hash).Select(t => t.Local).ToList();
            if (bad.Count > 0)
                return ReshError.Failed($"{bad.Count} file(s) from {host.Alias} do not match the host's checksum; nothing was replaced for them.", "Run the download again.",
                    new JsonObject { ["host"] = host.Alias, ["phase"] = "verify", ["files"] = new JsonArray(bad.Select(b => (JsonNode?)b).ToArray()) });
            foreach (var t in temps) File.Move(t.Temp, t.Local, overwrite: true);
        }
        finally
        {
            foreach (var t in temps) { try { File.Delete(t.Temp); } catch (IOException) { } }
        }
        return Outcome.Changed(result with { Verified = true });
    }

    /// <summary>One round trip: whether src is a file or a tree, its directories, and each file's size, mode and SHA-256.</summary>
    static async Task<(bool IsDir, List<(string, int)> Dirs, List<RemoteFile> Files)> ListAsync(SshClient client, HostTarget host, string src, Become? become)
    {
        var q = ShellQuote.QuoteOneLine(src);
        var script = $"s={q}; if [ -d \"$s\" ]; then cd -- \"$s\" || exit 4; echo D; " +
                     "find . -mindepth 1 \\( -type d -printf 'd %m %P\\n' \\) -o \\( -type f -printf 'f %m %s %T@ %P\\n' \\) || exit 5; echo H; find . -type f -exec sha256sum -- {} + || exit 5; " +
                     "elif [ -f \"$s\" ]; then echo F; stat -c 'f %a %s %Y x' -- \"$s\" && echo H && sha256sum -- \"$s\" | sed 's/  .*/  x/' || exit 5; " +
                     "elif [ -e \"$s\" ]; then echo S; else echo N; fi";
        var r = await StdinScript.RunAsync(client, host, script, null, TimeSpan.FromMinutes(10), 64 * 1024 * 1024, "list", killOnCancel: false, become).ConfigureAwait(false);
        if (SshClient.IsSshFailure(r.ExitCode, r.Stderr)) throw (await client.FailureAsync(host, r.Stderr).ConfigureAwait(false)).ToException();
        if (r.ExitCode != 0 && become?.Refusal(host, r.Stderr) is { } refused) throw refused.ToException();
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var kind = lines.FirstOrDefault();
        if (kind == "N") throw ReshError.NotFound($"{src} does not exist on {host.Alias}.", "Check the path (relative paths start at the login directory).",
            new JsonObject { ["host"] = host.Alias, ["path"] = src }).ToException();
        if (kind == "S") throw ReshError.Usage($"{src} on {host.Alias} is neither a file nor a directory.", null).ToException();
        if (r.ExitCode != 0 || kind is not ("D" or "F"))
            throw ReshError.Failed($"Listing {src} on {host.Alias} failed: {r.LastErrorLine}", "The host needs GNU find, stat and sha256sum; check read permission.",
                new JsonObject { ["host"] = host.Alias, ["phase"] = "list", ["stderr"] = r.Stderr }).ToException();
        var dirs = new List<(string, int)>();
        var meta = new Dictionary<string, (long Size, int Mode, long? MTime)>(StringComparer.Ordinal);
        var files = new List<RemoteFile>();
        bool hashes = false;
        foreach (var line in lines.Skip(1))
        {
            if (line == "H") { hashes = true; continue; }
            if (!hashes)
            {
                var f = line.Split(' ', line[0] == 'd' ? 3 : 5);
                if (f[0] == "d") dirs.Add((f[2], Convert.ToInt32(f[1], 8)));
                else meta[f[4]] = (long.Parse(f[2], CultureInfo.InvariantCulture), Convert.ToInt32(f[1], 8),
                    double.TryParse(f[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var mt) ? (long)mt : null);
                continue;
            }
            if (line.StartsWith('\\')) continue; // sha256sum escapes odd names; such files are skipped
            var rel = line[66..];
            if (rel.StartsWith("./", StringComparison.Ordinal)) rel = rel[2..];
            if (meta.TryGetValue(rel, out var m)) files.Add(new RemoteFile(rel, m.Size, m.Mode, line[..64], m.MTime));
        }
        files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        if (kind == "F" && files.Count == 1) files[0] = files[0] with { Relative = "" };
        return (kind == "D", dirs, files);
    }
}
