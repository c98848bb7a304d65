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

public static class SshUpload
{
    static readonly Arg<string?> Src = Arg.String("src", "Local file or directory to send.", required: true, examples: ["./site"], aliases: ["source"]);
    static readonly Arg<string?> Dest = Arg.String("dest", "Path of the copy on the host (the file itself, or the directory a tree becomes); relative to the login directory.",
        required: true, examples: ["/srv/site"], aliases: ["destination"]);
    static readonly Arg<string?> Mode = Arg.String("mode", "Permission bits for copied files, in octal (default: the local file's).", examples: ["0644"]);
    static readonly Arg<bool> Preserve = Arg.Bool("preserve", "Keep modification times and modes (sftp put -p).", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("upload", Effect.Mutate,
        "Copy a local file or directory tree to the host over SFTP: only what differs, atomically per file, checksums verified.",
        [Src, Dest, Mode, Preserve, .. SshArgs.Connection], () => SshJson.Default.TransferResult, RunAsync,
        examples:
        [
            new("'ssh://box.upload(src=app.conf,dest=/etc/app/app.conf,mode=0644)'", "One file; a second run is unchanged."),
            new("'ssh://web[01:03].upload(src=./site,dest=/srv/site)'", "A tree to three hosts."),
        ],
        notes: "Files whose SHA-256 already matches on the host are left alone (changed: false when nothing differs). " +
               "Each copied file goes to a temporary name beside its destination and is renamed over it, so readers see the old or the new file. " +
               "Every copied file's SHA-256 is checked on the host afterwards. Symlinks and special files are skipped with a warning. Needs sha256sum on the host.");

    static ValueTask<Outcome<TransferResult>> RunAsync(VerbContext ctx) => HostVerb.RunAsync(ctx, SshJson.Default.TransferResult, (call, host) => UploadAsync(ctx, call, host));

    static async Task<Outcome<TransferResult>> UploadAsync(VerbContext ctx, SshCall call, HostTarget host)
    {
        var tree = LocalTree.Scan(ctx.Get(Src)!);
        var dest = ctx.Get(Dest)!.TrimEnd('/');
        if (dest.Length == 0 || dest.Contains('\n')) return ReshError.Usage("dest must be a path on the host.", "Example: dest=/srv/site");
        UnixFileMode? mode = null;
        if (ctx.Get(Mode) is { } m)
        {
            if (!int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out _) || m.Any(c => c > '7') || Convert.ToInt32(m, 8) > 0xFFF)
                return ReshError.Usage($"mode `{m}` is not octal permission bits.", "Example: mode=0644");
            mode = (UnixFileMode)Convert.ToInt32(m, 8);
        }
        foreach (var s in tree.Skipped) ctx.Warn($"skipped {s}: not a regular file or directory");

        var remote = tree.Files.Select(f => tree.IsDirectory ? $"{dest}/{f.Relative}" : dest).ToList();
        var hashes = tree.Files.Select(f => LocalTree.Sha256(f.FullPath)).ToList();
        var state = await RemoteState(call.Client, host, dest, remote).ConfigureAwait(false);
        var plan = new List<TransferFile>();
        var copy = new List<int>();
        var chmodOnly = new List<int>();
        for (int i = 0; i < tree.Files.Count; i++)
        {
            var (hash, rmode) = state[i];
            if (hash == "!")
                return ReshError.Conflict($"{remote[i]} on {host.Alias} exists and is not a regular file.", "Remove it or choose another dest.",
                    new JsonObject { ["host"] = host.Alias, ["path"] = remote[i] });
            var want = mode ?? (ctx.Get(Preserve) ? tree.Files[i].Mode & (UnixFileMode)0xFFF : (UnixFileMode?)null);
            var modeDiffers = want is { } w && rmode is { } r && r != w;
            var same = hash == hashes[i];
            if (!same) copy.Add(i);
            else if (modeDiffers) chmodOnly.Add(i);
            plan.Add(new TransferFile(remote[i], tree.Files[i].Size, hashes[i], !same || modeDiffers));
        }
        long bytes = copy.Sum(i => tree.Files[i].Size);
        var result = new TransferResult(host.Alias, tree.Root, dest, tree.IsDirectory ? "directory" : "file", copy.Count + chmodOnly.Count,
            tree.Files.Count - copy.Count - chmodOnly.Count, bytes, false, plan.ToArray());
        var changed = copy.Count + chmodOnly.Count > 0 || tree.IsDirectory && state.DestMissing;
        if (!changed) return Outcome.Unchanged(result with { Verified = true });
        if (ctx.DryRun) return Outcome.Changed(result);

        var batch = new StringBuilder();
        if (tree.IsDirectory)
        {
            batch.Append("-mkdir ").Append(SftpBatch.Q(dest)).Append('\n');
            foreach (var d in tree.Dirs) batch.Append("-mkdir ").Append(SftpBatch.Q($"{dest}/{d}")).Append('\n');
        }
        var octal = mode is { } mm ? Convert.ToString((int)mm, 8) : null;
        foreach (var i in copy)
        {
            var target = remote[i];
            var tmp = TempName(target);
            batch.Append(ctx.Get(Preserve) ? "put -p " : "put ").Append(SftpBatch.Q(tree.Files[i].FullPath)).Append(' ').Append(SftpBatch.Q(tmp)).Append('\n');
            if (octal is not null) batch.Append("chmod ").Append(octal).Append(' ').Append(SftpBatch.Q(tmp)).Append('\n');
            batch.Append("rename ").Append(SftpBatch.Q(tmp)).Append(' ').Append(SftpBatch.Q(target)).Append('\n');
        }
        foreach (var i in chmodOnly)
        {
            var bits = octal ?? Convert.ToString((int)(tree.Files[i].Mode & (UnixFileMode)0xFFF), 8);
            batch.Append("chmod ").Append(bits).Append(' ').Append(SftpBatch.Q(remote[i])).Append('\n');
        }
        await SftpBatch.RunAsync(ctx, call.Client, host, batch.ToString(), copy.Select(i => (tree.Files[i].FullPath, tree.Files[i].Size)).ToList(),
            $"upload {host.Alias}").ConfigureAwait(false);

        // Verify what was copied, on the host.
        var after = await RemoteState(call.Client, host, dest, copy.Select(i => remote[i]).ToList()).ConfigureAwait(false);
        var bad = copy.Where((i, k) => after[k].Hash != hashes[i]).Select(i => remote[i]).ToList();
        if (bad.Count > 0)
            return ReshError.Failed($"{bad.Count} file(s) on {host.Alias} do not match their source after the copy.", "Run the upload again; check the host's disk.",
                new JsonObject { ["host"] = host.Alias, ["phase"] = "verify", ["files"] = new JsonArray(bad.Select(b => (JsonNode?)b).ToArray()) });
        return Outcome.Changed(result with { Verified = true });
    }

    /// <summary>A hidden name beside the destination (same directory, so the rename is atomic), within NAME_MAX.</summary>
    static string TempName(string target)
    {
        var slash = target.LastIndexOf('/');
        var dir = slash >= 0 ? target[..(slash + 1)] : "";
        var name = slash >= 0 ? target[(slash + 1)..] : target;
        if (name.Length > 200) name = name[..200];
        return $"{dir}.{name}.resh-{Guid.NewGuid():N}";
    }

    sealed class State(List<(string Hash, UnixFileMode? Mode)> entries, bool destMissing)
    {
        public (string Hash, UnixFileMode? Mode) this[int i] => entries[i];
        public bool DestMissing => destMissing;
    }

    /// <summary>SHA-256 and mode of each remote path, in one round trip (paths on stdin): "-" when missing, "!" when not a regular file.</summary>
    static async Task<State> RemoteState(SshClient client, HostTarget host, string top, IReadOnlyList<string> paths)
    {
        var script = "read -r top; if [ -e \"$top\" ]; then echo present; else echo absent; fi; " +
                     "while IFS= read -r f; do if [ -f \"$f\" ]; then h=$(sha256sum -- \"$f\" | cut -c1-64) && m=$(stat -c %a -- \"$f\") && echo \"$h $m\"; " +
                     "elif [ -e \"$f\" ] || [ -L \"$f\" ]; then echo '! -'; else echo '- -'; fi; done";
        var input = string.Join('\n', paths.Prepend(top)) + "\n";
        var r = await client.ExecAsync(host, script, Encoding.UTF8.GetBytes(input), TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        if (SshClient.IsSshFailure(r.ExitCode, r.Stderr)) throw (await client.FailureAsync(host, r.Stderr).ConfigureAwait(false)).ToException();
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (r.ExitCode != 0 || lines.Length != paths.Count + 1)
            throw ReshError.Failed($"Checking files on {host.Alias} failed: {r.LastErrorLine}", "The host needs sha256sum and stat (coreutils).",
                new JsonObject { ["host"] = host.Alias, ["phase"] = "compare", ["stderr"] = r.Stderr }).ToException();
        var entries = lines.Skip(1).Select(l =>
        {
            var f = l.Split(' ');
            UnixFileMode? m = f.Length > 1 && f[1] != "-" ? (UnixFileMode)Convert.ToInt32(f[1], 8) : null;
            return (f[0], m);
        }).ToList();
        return new State(entries, lines[0] == "absent");
    }
}
