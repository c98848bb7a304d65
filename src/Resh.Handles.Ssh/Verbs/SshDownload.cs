using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
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
        examples: ["./app.log"], aliases: ["destination"], path: PathUse.Write);
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

        // Every local write goes through a handle on the destination (a tree's dest, a file's parent), each path below
        // it opened component by component without following symbolic links: what the host lists stays below dest.
        var rootPath = isDir ? dest : Path.GetDirectoryName(dest)!;
        (string Dir, string Name) Place(RemoteFile f) => isDir
            ? (Path.GetDirectoryName(f.Relative) ?? "", Path.GetFileName(f.Relative))
            : ("", Path.GetFileName(dest));
        string LocalOf(RemoteFile f) => isDir ? Path.Combine(dest, f.Relative) : dest;

        var plan = new List<TransferFile>();
        var copy = new List<RemoteFile>();
        var missingDirs = new List<(string, int)>();
        using (var existing = Directory.Exists(rootPath) ? DirHandle.Open(rootPath) : null)
        {
            foreach (var f in files)
            {
                var same = existing is not null && LocalHash(existing, Place(f)) == f.Hash;
                if (!same) copy.Add(f);
                plan.Add(new TransferFile(LocalOf(f), f.Size, f.Hash, !same));
            }
            if (isDir)
                foreach (var d in dirs)
                    if (existing is null || !DirExists(existing, d.Item1)) missingDirs.Add(d);
        }
        var result = new TransferResult(host.Alias, src, dest, isDir ? "directory" : "file", copy.Count, files.Count - copy.Count, copy.Sum(f => f.Size), false, plan.ToArray());
        if (copy.Count == 0 && missingDirs.Count == 0 && Directory.Exists(rootPath)) return Outcome.Unchanged(result with { Verified = true });
        if (ctx.DryRun) return Outcome.Changed(result);

        Directory.CreateDirectory(rootPath);
        using var root = DirHandle.Open(rootPath);
        foreach (var (rel, mode) in missingDirs)
        {
            using var made = root.OpenBeneath(rel, create: true, 0x1c0)!;
            // Never a set-user-ID directory from the host; the rest of the mode as listed.
            made.Chmod(ctx.Get(Preserve) ? mode & 0x3ff : 0x1ed);
        }
        var parents = new Dictionary<string, DirHandle>(StringComparer.Ordinal);
        DirHandle ParentOf(string rel) => parents.TryGetValue(rel, out var h) ? h : parents[rel] = root.OpenBeneath(rel, create: true)!;
        try
        {
            var temps = copy.Select(f =>
            {
                var (dir, name) = Place(f);
                var parent = ParentOf(dir);
                var temp = $".{name}.resh-{Guid.NewGuid():N}";
                return (File: f, Parent: parent, Name: name, Temp: temp, Local: LocalOf(f));
            }).ToList();
            try
            {
                if (become is null)
                {
                    var batch = new StringBuilder();
                    foreach (var t in temps)
                    {
                        var remote = isDir ? $"{src.TrimEnd('/')}/{t.File.Relative}" : src;
                        batch.Append(ctx.Get(Preserve) ? "get -p " : "get ").Append(SftpBatch.Q(remote)).Append(' ').Append(SftpBatch.Q(t.Parent.PathOf(t.Temp))).Append('\n');
                    }
                    await SftpBatch.RunAsync(ctx, call.Client, host, batch.ToString(), temps.Select(t => (t.Parent.PathOf(t.Temp), t.File.Size)).ToList(), $"download {host.Alias}").ConfigureAwait(false);
                }
                else
                {
                    // SFTP reads as the login user: with become each file comes through the become user's cat instead.
                    foreach (var t in temps)
                    {
                        var remote = isDir ? $"{src.TrimEnd('/')}/{t.File.Relative}" : src;
                        await using var sink = t.Parent.CreateNew(t.Temp, 0x180);
                        var r = await StdinScript.RunAsync(call.Client, host, $"exec cat -- {ShellQuote.QuoteOneLine(remote)}", null, TimeSpan.FromMinutes(10), 64 * 1024, "transfer",
                            killOnCancel: true, become, stdoutSink: sink).ConfigureAwait(false);
                        if (r.ExitCode != 0)
                        {
                            if (SshClient.IsSshFailure(r.ExitCode, r.Stderr)) return await call.Client.FailureAsync(host, r.Stderr).ConfigureAwait(false);
                            return become.Refusal(host, r.Stderr) ?? ReshError.Failed($"Reading {remote} on {host.Alias} as {become.User} failed: {r.LastErrorLine}", null,
                                new JsonObject { ["host"] = host.Alias, ["phase"] = "transfer", ["stderr"] = r.Stderr });
                        }
                        await sink.FlushAsync().ConfigureAwait(false);
                        if (ctx.Get(Preserve))
                        {
                            File.SetUnixFileMode(sink.SafeFileHandle, (UnixFileMode)(t.File.Mode & 0x1ff));
                            if (t.File.MTime is { } mtime) File.SetLastWriteTimeUtc(sink.SafeFileHandle, DateTimeOffset.FromUnixTimeSeconds(mtime).UtcDateTime);
                        }
                    }
                }
                var bad = temps.Where(t => LocalHash(t.Parent, ("", t.Temp)) != t.File.Hash).Select(t => t.Local).ToList();
                if (bad.Count > 0)
                    return ReshError.Failed($"{bad.Count} file(s) from {host.Alias} do not match the host's checksum; nothing was replaced for them.", "Run the download again.",
                        new JsonObject { ["host"] = host.Alias, ["phase"] = "verify", ["files"] = new JsonArray(bad.Select(b => (JsonNode?)b).ToArray()) });
                foreach (var t in temps) t.Parent.Rename(t.Temp, t.Name);
            }
            finally
            {
                foreach (var t in temps) t.Parent.Unlink(t.Temp);
            }
        }
        finally
        {
            foreach (var h in parents.Values) h.Dispose();
        }
        return Outcome.Changed(result with { Verified = true });
    }

    /// <summary>The SHA-256 of a regular file below a directory handle (no symbolic link followed), or null.</summary>
    static string? LocalHash(DirHandle root, (string Dir, string Name) at)
    {
        try
        {
            using var dir = root.OpenBeneath(at.Dir, create: false);
            using var file = dir?.OpenRead(at.Name);
            return file is null ? null : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file));
        }
        catch (IOException) { return null; }
    }

    static bool DirExists(DirHandle root, string rel)
    {
        try
        {
            using var d = root.OpenBeneath(rel, create: false);
            return d is not null;
        }
        catch (IOException) { return false; }
    }

    static Exception Unparsable(HostTarget host, string src, string record) =>
        ReshError.Failed($"The listing of {src} from {host.Alias} has a record resh refuses (an absolute path, \"..\", an empty component, a line break or a malformed line); nothing was written.",
            "A file name with a line break cannot be downloaded: rename it on the host. Otherwise the host's find or sha256sum is not GNU, or the host is not trustworthy.",
            new JsonObject { ["host"] = host.Alias, ["phase"] = "list", ["record"] = record.Length > 300 ? record[..300] : record }).ToException();

    /// <summary>
    /// One round trip: whether src is a file or a tree, its directories, and each file's size, mode and SHA-256.
    /// Records are NUL-terminated (any name is one record); a record that is not a plain relative path below src is refused.
    /// </summary>
    static async Task<(bool IsDir, List<(string, int)> Dirs, List<RemoteFile> Files)> ListAsync(SshClient client, HostTarget host, string src, Become? become)
    {
        var q = ShellQuote.QuoteOneLine(src);
        var script = $"s={q}; if [ -d \"$s\" ]; then cd -- \"$s\" || exit 4; printf 'D\\0'; " +
                     "find . -mindepth 1 \\( -type d -printf 'd %m %P\\0' \\) -o \\( -type f -printf 'f %m %s %T@ %P\\0' \\) || exit 5; printf 'H\\0'; find . -type f -exec sha256sum -z -- {} + || exit 5; " +
                     "elif [ -f \"$s\" ]; then printf 'F\\0'; stat --printf 'f %a %s %Y x\\0' -- \"$s\" && printf 'H\\0' && h=$(sha256sum < \"$s\") && printf '%s  x\\0' \"${h%% *}\" || exit 5; " +
                     "elif [ -e \"$s\" ]; then printf 'S\\0'; else printf 'N\\0'; fi";
        var r = await StdinScript.RunAsync(client, host, script, null, TimeSpan.FromMinutes(10), 64 * 1024 * 1024, "list", killOnCancel: false, become).ConfigureAwait(false);
        if (SshClient.IsSshFailure(r.ExitCode, r.Stderr)) throw (await client.FailureAsync(host, r.Stderr).ConfigureAwait(false)).ToException();
        if (r.ExitCode != 0 && become?.Refusal(host, r.Stderr) is { } refused) throw refused.ToException();
        var records = r.Stdout.Split('\0');
        var kind = records[0];
        if (kind == "N") throw ReshError.NotFound($"{src} does not exist on {host.Alias}.", "Check the path (relative paths start at the login directory).",
            new JsonObject { ["host"] = host.Alias, ["path"] = src }).ToException();
        if (kind == "S") throw ReshError.Usage($"{src} on {host.Alias} is neither a file nor a directory.", null).ToException();
        if (r.ExitCode != 0 || kind is not ("D" or "F") || records[^1].Length != 0)
            throw ReshError.Failed($"Listing {src} on {host.Alias} failed: {r.LastErrorLine}", "The host needs GNU find, stat and sha256sum; check read permission.",
                new JsonObject { ["host"] = host.Alias, ["phase"] = "list", ["stderr"] = r.Stderr }).ToException();
        var dirs = new List<(string, int)>();
        var meta = new Dictionary<string, (long Size, int Mode, long? MTime)>(StringComparer.Ordinal);
        var files = new List<RemoteFile>();
        bool hashes = false;
        foreach (var rec in records.AsSpan(1, records.Length - 2))
        {
            if (rec == "H" && !hashes) { hashes = true; continue; }
            if (!hashes)
            {
                var f = rec.Split(' ', rec.StartsWith('d') ? 3 : 5);
                if (f[0] == "d" && f.Length == 3 && TryMode(f[1], out var dm) && DirHandle.IsPlainRelative(f[2])) dirs.Add((f[2], dm));
                else if (f[0] == "f" && f.Length == 5 && TryMode(f[1], out var fm) && long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size) &&
                         DirHandle.IsPlainRelative(f[4]))
                    meta[f[4]] = (size, fm, double.TryParse(f[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var mt) ? (long)mt : null);
                else throw Unparsable(host, src, rec);
                continue;
            }
            if (rec.Length < 67 || rec[64] != ' ' || rec[65] != ' ' || !rec.Take(64).All(char.IsAsciiHexDigit)) throw Unparsable(host, src, rec);
            var rel = rec[66..];
            if (kind == "D")
            {
                if (!rel.StartsWith("./", StringComparison.Ordinal)) throw Unparsable(host, src, rec);
                rel = rel[2..];
            }
            if (!DirHandle.IsPlainRelative(rel)) throw Unparsable(host, src, rec);
            if (meta.TryGetValue(rel, out var m)) files.Add(new RemoteFile(rel, m.Size, m.Mode, rec[..64].ToLowerInvariant(), m.MTime));
        }
        files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        if (kind == "F" && files.Count == 1) files[0] = files[0] with { Relative = "" };
        return (kind == "D", dirs, files);
    }

    static bool TryMode(string s, out int mode)
    {
        mode = 0;
        if (s.Length is 0 or > 5 || s.Any(c => c is < '0' or > '7')) return false;
        mode = Convert.ToInt32(s, 8);
        return true;
    }
}
