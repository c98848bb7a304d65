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
    static readonly Arg<string?> Src = Arg.String("src", "Local file or directory to send.", required: true, examples: ["./site"], aliases: ["source"], path: PathUse.Read);
    static readonly Arg<string?> Dest = Arg.String("dest", "Path of the copy on the host (the file itself, or the directory a tree becomes); relative to the login directory.",
        required: true, examples: ["/srv/site"], aliases: ["destination"]);
    static readonly Arg<string?> Mode = Arg.String("mode", "Permission bits for copied files, in octal (default: the local file's).", examples: ["0644"]);
    static readonly Arg<bool> Preserve = Arg.Bool("preserve", "Keep modification times and modes (sftp put -p).", true);
    static readonly Arg<bool> Parents = Arg.Bool("parents", "Create dest's missing parent directories (as mkdir -p); without it a missing parent is `not_found`.");
    static readonly Arg<string?> Links = Arg.Enum("links", "Symlinks inside src: skip them (with a warning), follow them (copy what they point to) or keep them (recreate the links).",
        ["skip", "follow", "keep"], "skip");

    public static readonly VerbInfo Verb = VerbInfo.Define("upload", Effect.Mutate,
        "Copy a local file or directory tree to the host over SFTP: only what differs, atomically per file, checksums verified.",
        [Src, Dest, Mode, Preserve, Parents, Links, .. SshArgs.Connection], () => SshJson.Default.TransferResult, RunAsync,
        examples:
        [
            new("'ssh://box.upload(src=app.conf,dest=/etc/app/app.conf,mode=0644)'", "One file; a second run is unchanged."),
            new("'ssh://web[01:03].upload(src=./site,dest=/srv/www/site,parents=true,links=keep)'", "A tree to three hosts, parents created, symlinks kept."),
            new("'ssh://deploy@box.upload(src=nginx.conf,dest=/etc/nginx/nginx.conf,become=true)'", "Into a root-owned path, through sudo."),
        ],
        notes: "Files whose SHA-256 already matches on the host are left alone (changed: false when nothing differs). " +
               "Each copied file goes to a temporary name beside its destination, created 0600 before any byte is written, and is renamed over it, " +
               "so readers see the old or the new file; temporary files an interrupted upload left behind are removed the next time. " +
               "Every copied file's SHA-256 is checked on the host. With become, each file is streamed through the become user's shell instead of SFTP, " +
               "checked there, then renamed into place (owned by that user). Special files are always skipped. Needs sha256sum on the host.");

    static ValueTask<Outcome<TransferResult>> RunAsync(VerbContext ctx) => HostVerb.RunAsync(ctx, SshJson.Default.TransferResult, (call, host) => UploadAsync(ctx, call, host));

    /// <summary>One thing to put on the host: a file (its local entry and hash) or a kept symlink (its target).</summary>
    sealed record Item(string Remote, LocalTree.Entry? File, string? LinkTarget, string Want);

    static async Task<Outcome<TransferResult>> UploadAsync(VerbContext ctx, SshCall call, HostTarget host)
    {
        var tree = LocalTree.Scan(ctx.Get(Src)!, ctx.Get(Links)!);
        var dest = ctx.Get(Dest)!.TrimEnd('/');
        if (dest.Length == 0 || dest.Contains('\n') || dest.Contains('\t')) return ReshError.Usage("dest must be a path on the host.", "Example: dest=/srv/site");
        UnixFileMode? mode = null;
        if (ctx.Get(Mode) is { } m)
        {
            if (!int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out _) || m.Any(c => c > '7') || Convert.ToInt32(m, 8) > 0xFFF)
                return ReshError.Usage($"mode `{m}` is not octal permission bits.", "Example: mode=0644");
            mode = (UnixFileMode)Convert.ToInt32(m, 8);
        }
        var become = call.BecomeFor(host);
        if (become?.Unsupported() is { } unsupported) return unsupported;
        foreach (var s in tree.Skipped) ctx.Warn($"skipped {s}: {(ctx.Get(Links) == "skip" ? "a symlink (links=follow or links=keep to send it), or " : "")}not a regular file or directory");

        var items = tree.Files.Select(f => new Item(tree.IsDirectory ? $"{dest}/{f.Relative}" : dest, f, null, LocalTree.Sha256(f.FullPath)))
            .Concat(tree.Links.Select(l => new Item($"{dest}/{l.Relative}", null, l.Target, l.Target))).ToList();
        var parents = ctx.Get(Parents);
        var apply = !ctx.DryRun && become is null; // temporary files are made ahead only for SFTP
        var state = await RemoteState(call.Client, host, dest, items, apply, parents, tree.IsDirectory, become).ConfigureAwait(false);
        if (state.ParentDenied)
            return ReshError.PermissionDenied($"The login user on {host.Alias} may not reach the directory that would hold {dest}.",
                "Pass become=true to write it as root (or become_user=...).", new JsonObject { ["host"] = host.Alias, ["dest"] = dest });
        if (!state.ParentExists)
            return ReshError.NotFound($"The directory that would hold {dest} does not exist on {host.Alias}.", "Pass parents=true to create it, or create it first.",
                new JsonObject { ["host"] = host.Alias, ["dest"] = dest });
        var plan = new List<TransferFile>();
        var copy = new List<int>();
        var chmodOnly = new List<int>();
        for (int i = 0; i < items.Count; i++)
        {
            var (hash, rmode, _) = state[i];
            if (hash == "!")
                return ReshError.Conflict($"{items[i].Remote} on {host.Alias} exists and is not a {(items[i].File is null ? "symlink or file" : "regular file")}.", "Remove it or choose another dest.",
                    new JsonObject { ["host"] = host.Alias, ["path"] = items[i].Remote });
            if (items[i].File is not { } file)
            {
                if (hash != "=") copy.Add(i);
                plan.Add(new TransferFile(items[i].Remote, 0, "", hash != "="));
                continue;
            }
            var want = mode ?? (ctx.Get(Preserve) ? file.Mode & (UnixFileMode)0xFFF : (UnixFileMode?)null);
            var modeDiffers = want is { } w && rmode is { } r && r != w;
            var same = hash == items[i].Want;
            if (!same) copy.Add(i);
            else if (modeDiffers) chmodOnly.Add(i);
            plan.Add(new TransferFile(items[i].Remote, file.Size, items[i].Want, !same || modeDiffers));
        }
        long bytes = copy.Sum(i => items[i].File?.Size ?? 0);
        var result = new TransferResult(host.Alias, tree.Root, dest, tree.IsDirectory ? "directory" : "file", copy.Count + chmodOnly.Count,
            items.Count - copy.Count - chmodOnly.Count, bytes, false, plan.ToArray());
        var changed = copy.Count + chmodOnly.Count > 0 || tree.IsDirectory && state.DestMissing;
        if (!changed) return Outcome.Unchanged(result with { Verified = true });
        if (ctx.DryRun) return Outcome.Changed(result);

        if (become is not null)
            await InstallAsBecomeAsync(ctx, call.Client, host, become, tree, items, copy, chmodOnly, mode, dest).ConfigureAwait(false);
        else
            await InstallWithSftpAsync(ctx, call.Client, host, tree, items, state, copy, chmodOnly, mode, dest).ConfigureAwait(false);

        // Verify what was copied, on the host.
        var copied = copy.Select(i => items[i]).ToList();
        var after = await RemoteState(call.Client, host, dest, copied, false, false, tree.IsDirectory, become).ConfigureAwait(false);
        var bad = copied.Where((item, k) => item.File is null ? after[k].Hash != "=" : after[k].Hash != item.Want).Select(item => item.Remote).ToList();
        if (bad.Count > 0)
            return ReshError.Failed($"{bad.Count} file(s) on {host.Alias} do not match their source after the copy.", "Run the upload again; check the host's disk.",
                new JsonObject { ["host"] = host.Alias, ["phase"] = "verify", ["files"] = new JsonArray(bad.Select(b => (JsonNode?)b).ToArray()) });
        return Outcome.Changed(result with { Verified = true });
    }

    static async Task InstallWithSftpAsync(VerbContext ctx, SshClient client, HostTarget host, LocalTree tree, List<Item> items, State state,
        List<int> copy, List<int> chmodOnly, UnixFileMode? mode, string dest)
    {
        var batch = new StringBuilder();
        if (tree.IsDirectory)
        {
            batch.Append("-mkdir ").Append(SftpBatch.Q(dest)).Append('\n');
            foreach (var d in tree.Dirs) batch.Append("-mkdir ").Append(SftpBatch.Q($"{dest}/{d}")).Append('\n');
        }
        var octal = mode is { } mm ? Convert.ToString((int)mm, 8) : null;
        var preserve = ctx.Get(Preserve);
        foreach (var i in copy)
        {
            var target = items[i].Remote;
            var tmp = state[i].Temp ?? TempName(target);
            if (items[i].File is not { } file)
            {
                batch.Append("symlink ").Append(SftpBatch.Q(items[i].LinkTarget!)).Append(' ').Append(SftpBatch.Q(tmp)).Append('\n');
                batch.Append("rename ").Append(SftpBatch.Q(tmp)).Append(' ').Append(SftpBatch.Q(target)).Append('\n');
                continue;
            }
            // The host made tmp 0600 (empty); put writes into it, and -p sets the final mode and times once the bytes are there.
            batch.Append(preserve ? "put -p " : "put ").Append(SftpBatch.Q(file.FullPath)).Append(' ').Append(SftpBatch.Q(tmp)).Append('\n');
            var bits = octal ?? (preserve ? null : Convert.ToString((int)(file.Mode & (UnixFileMode)0xFFF), 8));
            if (bits is not null) batch.Append("chmod ").Append(bits).Append(' ').Append(SftpBatch.Q(tmp)).Append('\n');
            batch.Append("rename ").Append(SftpBatch.Q(tmp)).Append(' ').Append(SftpBatch.Q(target)).Append('\n');
        }
        foreach (var i in chmodOnly)
        {
            var bits = octal ?? Convert.ToString((int)(items[i].File!.Mode & (UnixFileMode)0xFFF), 8);
            batch.Append("chmod ").Append(bits).Append(' ').Append(SftpBatch.Q(items[i].Remote)).Append('\n');
        }
        await SftpBatch.RunAsync(ctx, client, host, batch.ToString(), copy.Where(i => items[i].File is not null).Select(i => (items[i].File!.FullPath, items[i].File!.Size)).ToList(),
            $"upload {host.Alias}").ConfigureAwait(false);
    }

    /// <summary>
    /// With become, SFTP (which runs as the login user) cannot write the destination: each file is streamed
    /// on the channel's stdin to the become user's shell, which writes it to a 0600 temporary file beside
    /// the destination, checks its SHA-256, sets mode and time and renames it into place.
    /// </summary>
    static async Task InstallAsBecomeAsync(VerbContext ctx, SshClient client, HostTarget host, Become become, LocalTree tree, List<Item> items,
        List<int> copy, List<int> chmodOnly, UnixFileMode? mode, string dest)
    {
        var preserve = ctx.Get(Preserve);
        if (tree.IsDirectory)
        {
            var mk = "mkdir -p -- " + string.Join(' ', tree.Dirs.Select(d => ShellQuote.QuoteOneLine($"{dest}/{d}")).Prepend(ShellQuote.QuoteOneLine(dest)));
            await BecomeScriptAsync(client, host, become, mk, null, "mkdir").ConfigureAwait(false);
        }
        using var bar = ctx.Progress($"upload {host.Alias}", copy.Sum(i => items[i].File?.Size ?? 0));
        long done = 0;
        foreach (var i in copy)
        {
            var item = items[i];
            var f = ShellQuote.QuoteOneLine(item.Remote);
            var clean = $"f={f}; d=${{f%/*}}; [ \"$d\" = \"$f\" ] && d=.; [ -z \"$d\" ] && d=/; b=${{f##*/}}; " +
                        "for o in \"$d/.$b.resh-\"*; do if [ -n \"$(find \"$o\" -maxdepth 0 -mmin +10 2>/dev/null)\" ]; then rm -f -- \"$o\"; fi; done; mkdir -p -- \"$d\" || exit 4; t=\"$d/.$b.resh-$$\"; ";
            if (item.File is not { } file)
            {
                await BecomeScriptAsync(client, host, become, clean + $"ln -s -- {ShellQuote.QuoteOneLine(item.LinkTarget!)} \"$t\" && mv -fT -- \"$t\" \"$f\" || {{ rm -f -- \"$t\"; exit 5; }}",
                    null, "install").ConfigureAwait(false);
                continue;
            }
            var bits = Convert.ToString((int)(mode ?? file.Mode & (UnixFileMode)0xFFF), 8);
            var time = preserve ? $"touch -d @{new DateTimeOffset(file.ModifiedUtc).ToUnixTimeSeconds()} -- \"$t\" && " : "";
            var script = clean + $"umask 077; cat > \"$t\" && h=$(sha256sum < \"$t\") && [ \"${{h%% *}}\" = {item.Want} ] && chmod {bits} -- \"$t\" && {time}mv -f -- \"$t\" \"$f\" " +
                         "|| { rm -f -- \"$t\"; exit 5; }";
            await BecomeScriptAsync(client, host, become, script, file.FullPath, "install").ConfigureAwait(false);
            done += file.Size;
            bar.Report(done);
        }
        foreach (var i in chmodOnly)
        {
            var bits = Convert.ToString((int)(mode ?? items[i].File!.Mode & (UnixFileMode)0xFFF), 8);
            await BecomeScriptAsync(client, host, become, $"chmod {bits} -- {ShellQuote.QuoteOneLine(items[i].Remote)}", null, "chmod").ConfigureAwait(false);
        }
    }

    static async Task BecomeScriptAsync(SshClient client, HostTarget host, Become become, string script, string? stdinFile, string phase)
    {
        var r = await StdinScript.RunAsync(client, host, script, null, TimeSpan.FromMinutes(10), 64 * 1024, phase, killOnCancel: true, become, stdinFile).ConfigureAwait(false);
        if (r.ExitCode == 0) return;
        if (SshClient.IsSshFailure(r.ExitCode, r.Stderr)) throw (await client.FailureAsync(host, r.Stderr).ConfigureAwait(false)).ToException();
        if (become.Refusal(host, r.Stderr) is { } refused) throw refused.ToException();
        throw ReshError.Failed($"Writing on {host.Alias} as {become.User} failed: {r.LastErrorLine}", "Check the destination's directory and free space on the host.",
            new JsonObject { ["host"] = host.Alias, ["phase"] = phase, ["exit_code"] = r.ExitCode, ["stderr"] = r.Stderr }).ToException();
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

    sealed class State(List<(string Hash, UnixFileMode? Mode, string? Temp)> entries, bool destMissing, bool parentExists, bool parentDenied = false)
    {
        public bool ParentDenied => parentDenied;
        public (string Hash, UnixFileMode? Mode, string? Temp) this[int i] => entries[i];
        public bool DestMissing => destMissing;
        public bool ParentExists => parentExists;
    }

    /// <summary>
    /// One round trip (paths on stdin): whether dest and its parent exist, then per item its SHA-256 and mode
    /// ("-" when missing, "!" when in the way; for a kept symlink "=" when it already points there). With
    /// <paramref name="apply"/> it also removes temporary files an interrupted upload left beside each path (over 10
    /// minutes old: a younger one may be another upload's in flight, from another caller or a host on the same file system)
    /// and creates an empty 0600 temporary file for each file that will be copied (a link's gets only a name).
    /// </summary>
    static async Task<State> RemoteState(SshClient client, HostTarget host, string top, IReadOnlyList<Item> items, bool apply, bool parents, bool isDir, Become? become)
    {
        var script = "IFS= read -r top; read -r apply parents; if [ -e \"$top\" ] || [ -L \"$top\" ]; then echo present; else echo absent; fi; " +
                     "p=${top%/*}; [ \"$p\" = \"$top\" ] && p=.; [ -z \"$p\" ] && p=/; " +
                     "if [ ! -d \"$p\" ]; then if [ \"$parents\" = 1 ] && [ \"$apply\" = 1 ]; then e=$(mkdir -p -- \"$p\" 2>&1) || " +
                     "{ case $e in *'Permission denied'*) echo parent denied;; *) echo parent 0;; esac; exit 0; }; " +
                     "elif [ \"$parents\" != 1 ]; then if ls -d -- \"$p\" 2>&1 | grep -q 'Permission denied'; then echo parent denied; else echo parent 0; fi; exit 0; fi; fi; echo parent 1; n=0; " +
                     "while IFS= read -r line; do n=$((n+1)); k=${line%%\t*}; r=${line#*\t}; w=${r%%\t*}; f=${r#*\t}; " +
                     "d=${f%/*}; [ \"$d\" = \"$f\" ] && d=.; [ -z \"$d\" ] && d=/; b=${f##*/}; t=-; " +
                     "if [ \"$apply\" = 1 ]; then for o in \"$d/.$b.resh-\"*; do if [ -n \"$(find \"$o\" -maxdepth 0 -mmin +10 2>/dev/null)\" ]; then rm -f -- \"$o\"; fi; done; fi; " +
                     "if [ \"$k\" = l ]; then if [ -L \"$f\" ] && [ \"$(readlink -- \"$f\")\" = \"$w\" ]; then echo '= - -'; continue; fi; " +
                     "if [ -d \"$f\" ] && [ ! -L \"$f\" ]; then echo '! - -'; continue; fi; " +
                     "if [ \"$apply\" = 1 ]; then mkdir -p -- \"$d\" 2>/dev/null; t=\"$d/.$b.resh-$$-$n\"; fi; echo \"~ - $t\"; continue; fi; " +
                     "if [ -f \"$f\" ]; then h=$(sha256sum -- \"$f\" | cut -c1-64) && m=$(stat -c %a -- \"$f\") || { echo '! - -'; continue; }; " +
                     "elif [ -e \"$f\" ] || [ -L \"$f\" ]; then echo '! - -'; continue; else h=-; m=-; fi; " +
                     "if [ \"$apply\" = 1 ] && [ \"$h\" != \"$w\" ]; then mkdir -p -- \"$d\" 2>/dev/null; t=\"$d/.$b.resh-$$-$n\"; (umask 077; : > \"$t\") 2>/dev/null || t=-; fi; " +
                     "echo \"$h $m $t\"; done";
        var input = new StringBuilder();
        input.Append(top).Append('\n').Append(apply ? '1' : '0').Append(' ').Append(parents ? '1' : '0').Append('\n');
        foreach (var item in items) input.Append(item.File is null ? 'l' : 'f').Append('\t').Append(item.Want).Append('\t').Append(item.Remote).Append('\n');
        var r = await StdinScript.RunAsync(client, host, script, Encoding.UTF8.GetBytes(input.ToString()), TimeSpan.FromMinutes(10), 8 * 1024 * 1024, "compare",
            killOnCancel: false, become).ConfigureAwait(false);
        if (SshClient.IsSshFailure(r.ExitCode, r.Stderr)) throw (await client.FailureAsync(host, r.Stderr).ConfigureAwait(false)).ToException();
        if (r.ExitCode != 0 && become?.Refusal(host, r.Stderr) is { } refused) throw refused.ToException();
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (r.ExitCode != 0 || lines.Length < 2 || lines[1] == "parent 1" && lines.Length != items.Count + 2)
            throw ReshError.Failed($"Checking files on {host.Alias} failed: {r.LastErrorLine}", "The host needs sha256sum and stat (coreutils).",
                new JsonObject { ["host"] = host.Alias, ["phase"] = "compare", ["stderr"] = r.Stderr }).ToException();
        var entries = lines.Skip(2).Select(l =>
        {
            var f = l.Split(' ', 3);
            UnixFileMode? m = f.Length > 1 && f[1] != "-" ? (UnixFileMode)Convert.ToInt32(f[1], 8) : null;
            return (f[0], m, f.Length > 2 && f[2] != "-" ? f[2] : null);
        }).ToList();
        return new State(entries, lines[0] == "absent", lines[1] == "parent 1", lines[1] == "parent denied");
    }
}
