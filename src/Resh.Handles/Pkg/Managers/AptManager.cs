using System.Globalization;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;

namespace Resh.Handles.Pkg;

/// <summary>
/// apt and dpkg: the installed set from dpkg's status file, candidates from apt-cache, changes through
/// apt-get (simulated with -s for plans and --dry-run), progress from apt's status lines
/// (APT::Status-Fd), and the dpkg frontend lock waited for and reported by holder.
/// </summary>
public sealed class AptManager : PackageManager
{
    public override string Name => "apt";

    public override IReadOnlyDictionary<string, string?> Environment { get; } = new Dictionary<string, string?>
    {
        ["DEBIAN_FRONTEND"] = "noninteractive",
        ["APT_LISTCHANGES_FRONTEND"] = "none",
        ["NEEDRESTART_MODE"] = "l",
    };

    public override Task<List<PkgEntry>> ListAsync(CancellationToken ct) =>
        Task.FromResult(DpkgStatus.Read().Where(s => s.State != "not-installed").Select(DpkgStatus.Entry).ToList());

    public override async Task<PkgInfo?> InfoAsync(string name, CancellationToken ct)
    {
        var installed = DpkgStatus.Read(fullDescriptions: true).Where(s => s.Package == name && s.State != "not-installed").ToList();
        var policy = (await QueryAsync(["apt-cache", "policy", name], ct, allowFailure: true).ConfigureAwait(false)).Stdout;
        var (candidate, versions) = ParsePolicy(policy, name);
        var st = installed.FirstOrDefault();
        if (st is null && candidate is null && versions.Count == 0) return null;
        Dictionary<string, string>? show = null;
        if (st is null || (candidate is not null && candidate != st.Version))
        {
            var text = (await QueryAsync(["apt-cache", "show", name], ct, allowFailure: true).ConfigureAwait(false)).Stdout;
            show = Stanzas(text).FirstOrDefault(s => candidate is null || s.GetValueOrDefault("Version") == candidate);
        }
        string? Field(string key) => show?.GetValueOrDefault(key) ?? key switch
        {
            "Description" => st?.Description, "Section" => st?.Section, "Maintainer" => st?.Maintainer, "Homepage" => st?.Homepage, "Depends" => st?.Depends, _ => null,
        };
        var desc = st?.Description ?? show?.GetValueOrDefault("Description");
        var size = st?.InstalledKib ?? (show?.GetValueOrDefault("Installed-Size") is { } isz && long.TryParse(isz, out var k) ? k : null);
        var upgrade = st is not null && candidate is not null && DebVersion.Compare(candidate, st.Version) > 0;
        return new PkgInfo(name, Name, st?.State == "installed", st?.Version, candidate, upgrade, st?.Arch ?? show?.GetValueOrDefault("Architecture"),
            size * 1024, st?.State, st?.Want == "hold", desc is null ? null : DpkgStatus.FirstLine(desc), desc,
            Field("Section"), Field("Maintainer"), Field("Homepage"), DpkgStatus.DependNames(Field("Depends")), versions);
    }

    /// <summary>`apt-cache policy NAME`: the candidate and each available version with its sources.</summary>
    public static (string? Candidate, List<PkgVersion> Versions) ParsePolicy(string text, string name)
    {
        string? candidate = null;
        var versions = new List<PkgVersion>();
        List<string>? sources = null;
        string? version = null;
        bool inTable = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd();
            var t = line.Trim();
            if (t.StartsWith("Candidate:", StringComparison.Ordinal)) { var c = t[10..].Trim(); candidate = c == "(none)" ? null : c; continue; }
            if (t.StartsWith("Version table:", StringComparison.Ordinal)) { inTable = true; continue; }
            if (!inTable || t.Length == 0) continue;
            var indent = line.Length - line.TrimStart().Length;
            if (indent < 8)
            {
                // " *** VERSION PRIORITY" (installed) or "     VERSION PRIORITY"; sources are indented by 8.
                if (version is not null) versions.Add(new PkgVersion(version, sources!));
                version = t.TrimStart('*').Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                sources = [];
                continue;
            }
            var w = t.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (w.Length >= 2 && int.TryParse(w[0], out _) && sources is not null) sources.Add(string.Join(' ', w.Skip(1)));
        }
        if (version is not null) versions.Add(new PkgVersion(version, sources!));
        _ = name;
        return (candidate, versions);
    }

    /// <summary>deb822 stanzas (apt-cache show, Packages files) as dictionaries; continuation lines are joined.</summary>
    public static List<Dictionary<string, string>> Stanzas(string text)
    {
        var list = new List<Dictionary<string, string>>();
        var cur = new Dictionary<string, string>();
        string? last = null;
        foreach (var raw in text.Split('\n'))
        {
            if (raw.Trim().Length == 0) { if (cur.Count > 0) list.Add(cur); cur = new(); last = null; continue; }
            if (raw[0] is ' ' or '\t') { if (last is not null) cur[last] += "\n" + (raw.Trim() == "." ? "" : raw.Trim()); continue; }
            var colon = raw.IndexOf(':');
            if (colon <= 0) continue;
            last = raw[..colon];
            cur[last] = raw[(colon + 1)..].Trim();
        }
        if (cur.Count > 0) list.Add(cur);
        return list;
    }

    public override async Task<List<PkgSearchHit>> SearchAsync(string query, int limit, CancellationToken ct)
    {
        var r = await QueryAsync(["apt-cache", "search", "--names-only", query], ct).ConfigureAwait(false);
        var installed = DpkgStatus.Read().Where(s => s.State == "installed").ToDictionary(s => s.Package, s => s.Version);
        var hits = new List<PkgSearchHit>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var sep = line.IndexOf(" - ", StringComparison.Ordinal);
            var name = sep < 0 ? line.Trim() : line[..sep];
            hits.Add(new PkgSearchHit(name, installed.GetValueOrDefault(name), sep < 0 ? null : line[(sep + 3)..], installed.ContainsKey(name)));
            if (hits.Count >= limit) break;
        }
        return hits;
    }

    public override IReadOnlyList<string> Argv(Transaction tx)
    {
        var a = new List<string> { "apt-get", "-y", "-q", "-o", "APT::Status-Fd=1", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold" };
        switch (tx.Kind)
        {
            case "install":
                a.Add("install");
                if (tx.Packages.Any(p => p.Version is not null)) a.Add("--allow-downgrades");
                break;
            case "remove": a.Add(tx.Purge ? "purge" : "remove"); if (tx.AutoRemove) a.Add("--autoremove"); break;
            case "upgrade" when tx.Packages.Count > 0: a.Add("install"); a.Add("--only-upgrade"); break;
            default: a.Add(tx.Full ? "dist-upgrade" : "upgrade"); break;
        }
        a.AddRange(tx.Packages.Select(p => p.Apt));
        return a;
    }

    public override IReadOnlyList<string> UpdateArgv() => ["apt-get", "update", "-q"];

    public override async Task<List<PkgAction>> PlanAsync(Transaction tx, CancellationToken ct)
    {
        var argv = Argv(tx).ToList();
        var fd = argv.IndexOf("APT::Status-Fd=1");
        argv.RemoveRange(fd - 1, 2);
        argv.Insert(1, "-s");
        var r = await QueryAsync(argv, ct).ConfigureAwait(false);
        return ParseSimulation(r.Stdout);
    }

    /// <summary>apt-get -s: `Inst NAME [OLD] (NEW REPO [ARCH])`, `Remv NAME [VER]`, `Purg NAME [VER]`.</summary>
    public static List<PkgAction> ParseSimulation(string text)
    {
        var list = new List<PkgAction>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length < 5) continue;
            var kind = line[..4];
            if (kind is not ("Inst" or "Remv" or "Purg")) continue;
            var rest = line[5..];
            var sp = rest.IndexOf(' ');
            var name = sp < 0 ? rest : rest[..sp];
            string? arch = null;
            var colon = name.IndexOf(':');
            if (colon > 0) { arch = name[(colon + 1)..]; name = name[..colon]; }
            string? old = null, neu = null;
            var ob = rest.IndexOf('[');
            var op = rest.IndexOf('(');
            if (ob >= 0 && (op < 0 || ob < op)) old = rest[(ob + 1)..rest.IndexOf(']', ob)];
            if (op >= 0)
            {
                var inner = rest[(op + 1)..rest.LastIndexOf(')')];
                neu = inner.Split(' ')[0];
                var ab = inner.LastIndexOf('[');
                if (ab >= 0) arch ??= inner[(ab + 1)..inner.IndexOf(']', ab)];
            }
            var action = kind switch
            {
                "Remv" => "remove",
                "Purg" => "purge",
                _ when old is null => "install",
                _ when neu is not null && old == neu => "reinstall",
                _ when neu is not null && DebVersion.Compare(neu, old) < 0 => "downgrade",
                _ => "upgrade",
            };
            list.Add(new PkgAction(action, name, arch, old, kind == "Inst" ? neu : null));
        }
        return list;
    }

    public override async Task<List<string>> FilesAsync(string name, CancellationToken ct)
    {
        var r = await QueryAsync(["dpkg-query", "-L", name], ct, allowFailure: true).ConfigureAwait(false);
        if (!r.Succeeded) throw ReshError.NotFound($"Package {name} is not installed.", $"resh pkg://{name}.info").ToException();
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('/') && l != "/.").ToList();
    }

    public override async Task<List<string>> OwnerAsync(string path, CancellationToken ct)
    {
        var r = await QueryAsync(["dpkg-query", "-S", path], ct, allowFailure: true).ConfigureAwait(false);
        var owners = new List<string>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("diversion ", StringComparison.Ordinal)) continue;
            var sep = line.LastIndexOf(": ", StringComparison.Ordinal);
            if (sep < 0 || line[(sep + 2)..] != path) continue;
            owners.AddRange(line[..sep].Split(", ").Select(p => p.Split(':')[0]));
        }
        return owners.Distinct().ToList();
    }

    public override async Task<List<PkgVerifyIssue>> VerifyAsync(string? name, CancellationToken ct)
    {
        var argv = new List<string> { "dpkg", "--verify" };
        if (name is not null) argv.Add(name);
        var r = await QueryAsync(argv, ct, allowFailure: true).ConfigureAwait(false);
        if (!r.Succeeded && r.Stdout.Length == 0) throw PkgErrors.Translate(argv, r).ToException();
        var found = new List<(string Path, List<string> Problems, bool Config)>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "??5?????? c /etc/x" or "missing   c /etc/y" (dpkg --verify-format rpm)
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2) continue;
            var path = parts[^1];
            var config = parts.Length >= 3 && parts[^2] == "c";
            var problems = new List<string>();
            if (parts[0] == "missing") problems.Add("missing");
            else
            {
                var f = parts[0];
                string[] names = ["size", "mode", "checksum", "device", "link", "owner", "group", "mtime", "capabilities"];
                for (int i = 0; i < Math.Min(f.Length, names.Length); i++) if (f[i] is not ('.' or '?')) problems.Add(names[i]);
                if (problems.Count == 0 && f.Contains('5')) problems.Add("checksum");
            }
            found.Add((path, problems, config));
        }
        // Every owner in one dpkg-query -S per few hundred paths (it reads the file lists once), not one process per file.
        var owners = name is null ? await OwnersAsync(found.Select(f => f.Path).Distinct().ToList(), ct).ConfigureAwait(false) : null;
        return found.Select(f => new PkgVerifyIssue(name ?? owners!.GetValueOrDefault(f.Path, "?"), f.Path, f.Problems, f.Config)).ToList();
    }

    async Task<Dictionary<string, string>> OwnersAsync(List<string> paths, CancellationToken ct)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in paths.Chunk(500))
        {
            var r = await QueryAsync(["dpkg-query", "-S", .. chunk], ct, allowFailure: true).ConfigureAwait(false);
            var wanted = chunk.ToHashSet(StringComparer.Ordinal);
            foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.StartsWith("diversion ", StringComparison.Ordinal)) continue;
                var sep = line.LastIndexOf(": ", StringComparison.Ordinal);
                if (sep < 0) continue;
                var path = line[(sep + 2)..];
                if (!wanted.Contains(path) || owners.ContainsKey(path)) continue;
                owners[path] = line[..sep].Split(", ")[0].Split(':')[0];
            }
        }
        return owners;
    }

    public override IReadOnlyList<string> HoldArgv(IReadOnlyList<string> names, bool hold) => ["apt-mark", hold ? "hold" : "unhold", .. names];

    public override Task<HashSet<string>> HeldAsync(CancellationToken ct) =>
        Task.FromResult(DpkgStatus.Read().Where(s => s.Want == "hold").Select(s => s.Package).ToHashSet());

    public override Task<List<PkgHistoryEntry>> HistoryAsync(int limit, CancellationToken ct)
    {
        var files = new List<string>();
        if (File.Exists("/var/log/apt/history.log")) files.Add("/var/log/apt/history.log");
        for (int i = 1; i < 20 && files.Count < 20; i++)
        {
            if (File.Exists($"/var/log/apt/history.log.{i}")) files.Add($"/var/log/apt/history.log.{i}");
            else if (File.Exists($"/var/log/apt/history.log.{i}.gz")) files.Add($"/var/log/apt/history.log.{i}.gz");
            else break;
        }
        var all = new List<PkgHistoryEntry>();
        foreach (var f in files)
        {
            string text;
            try
            {
                if (f.EndsWith(".gz", StringComparison.Ordinal))
                {
                    using var gz = new System.IO.Compression.GZipStream(File.OpenRead(f), System.IO.Compression.CompressionMode.Decompress);
                    using var sr = new StreamReader(gz);
                    text = sr.ReadToEnd();
                }
                else text = File.ReadAllText(f);
            }
            catch (UnauthorizedAccessException) { throw ReshError.PermissionDenied($"Cannot read {f}.", "The apt history is readable by root (and group adm).").ToException(); }
            var entries = ParseHistory(text);
            entries.Reverse();
            all.AddRange(entries);
            if (all.Count >= limit) break;
        }
        return Task.FromResult(all.Take(limit).ToList());
    }

    /// <summary>/var/log/apt/history.log: blank-line separated records of Start-Date, Commandline, Install/Upgrade/Remove/Purge, End-Date.</summary>
    public static List<PkgHistoryEntry> ParseHistory(string text)
    {
        var list = new List<PkgHistoryEntry>();
        foreach (var block in Stanzas(text))
        {
            if (!block.TryGetValue("Start-Date", out var start)) continue;
            var actions = new List<PkgAction>();
            foreach (var (key, action) in new[] { ("Install", "install"), ("Reinstall", "reinstall"), ("Upgrade", "upgrade"), ("Downgrade", "downgrade"), ("Remove", "remove"), ("Purge", "purge") })
                if (block.TryGetValue(key, out var v)) actions.AddRange(HistoryPackages(v, action));
            list.Add(new PkgHistoryEntry(Date(start), block.TryGetValue("End-Date", out var end) ? Date(end) : null, block.GetValueOrDefault("Commandline"),
                block.GetValueOrDefault("Requested-By"), actions, block.GetValueOrDefault("Error")));
        }
        return list;
    }

    static string Date(string s) => DateTime.TryParseExact(s.Replace("  ", " "), "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var d)
        ? d.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : s;

    /// <summary>`foo:amd64 (1.0), bar:amd64 (1.0, 1.1), baz:amd64 (2.0, automatic)`.</summary>
    static IEnumerable<PkgAction> HistoryPackages(string value, string action)
    {
        var sb = new StringBuilder();
        int depth = 0;
        var items = new List<string>();
        foreach (var c in value)
        {
            if (c == '(') depth++;
            if (c == ')') depth--;
            if (c == ',' && depth == 0) { items.Add(sb.ToString().Trim()); sb.Clear(); continue; }
            sb.Append(c);
        }
        if (sb.Length > 0) items.Add(sb.ToString().Trim());
        foreach (var item in items)
        {
            var p = item.IndexOf('(');
            var nameArch = (p < 0 ? item : item[..p]).Trim();
            var versions = p < 0 ? [] : item[(p + 1)..item.LastIndexOf(')')].Split(',').Select(v => v.Trim()).Where(v => v != "automatic").ToArray();
            var colon = nameArch.IndexOf(':');
            var name = colon < 0 ? nameArch : nameArch[..colon];
            var arch = colon < 0 ? null : nameArch[(colon + 1)..];
            yield return action switch
            {
                "upgrade" or "downgrade" => new PkgAction(action, name, arch, versions.ElementAtOrDefault(0), versions.ElementAtOrDefault(1)),
                "remove" or "purge" => new PkgAction(action, name, arch, versions.ElementAtOrDefault(0), null),
                _ => new PkgAction(action, name, arch, null, versions.ElementAtOrDefault(0)),
            };
        }
    }

    /// <summary>
    /// Waits while dpkg's frontend lock is held, up to --timeout (60 s without one), and answers `conflict`
    /// naming the holder when it stays held. Returns the deadline the rest of the call must keep.
    /// </summary>
    public static async Task<DateTime> WaitForLockAsync(VerbContext ctx)
    {
        var budget = ctx.TimeRemaining ?? TimeSpan.FromSeconds(60);
        var deadline = DateTime.UtcNow + budget - TimeSpan.FromMilliseconds(400);
        while (DpkgLock.Holder() is { } pid)
        {
            if (DateTime.UtcNow >= deadline)
                throw (ReshError.Conflict($"The dpkg lock is held by process {pid} ({DpkgLock.ProcessName(pid) ?? "unknown"}).",
                    "Wait for that package operation to finish, or give a longer --timeout.",
                    new System.Text.Json.Nodes.JsonObject { ["lock"] = DpkgLock.FrontendLock, ["holder_pid"] = pid, ["holder"] = DpkgLock.ProcessName(pid) }) with { Transient = true }).ToException();
            await Task.Delay(200, ctx.Cancellation).ConfigureAwait(false);
        }
        return deadline;
    }

    /// <summary>
    /// Runs a changing apt command: waits for dpkg's frontend lock (up to --timeout, else 60 s) and answers
    /// `conflict` naming the holder when it stays held; apt's status lines drive the progress bar.
    /// </summary>
    public async Task RunChangeAsync(VerbContext ctx, IReadOnlyList<string> argv, string label)
    {
        var deadline = await WaitForLockAsync(ctx).ConfigureAwait(false);
        var left = Math.Max(0, (int)(deadline - DateTime.UtcNow).TotalSeconds);
        var full = argv.ToList();
        full.InsertRange(1, ["-o", $"DPkg::Lock::Timeout={left.ToString(CultureInfo.InvariantCulture)}"]);
        using var progress = ctx.Progress(label, 100);
        var r = await ProcessRunner.RunAsync(full, new ProcessOptions
        {
            Environment = Environment,
            OnStdoutLine = line =>
            {
                // pmstatus:PACKAGE:PERCENT:MESSAGE (dpkg phase) / dlstatus:... (downloads)
                if (!line.StartsWith("pmstatus:", StringComparison.Ordinal) && !line.StartsWith("dlstatus:", StringComparison.Ordinal)) return;
                var f = line.Split(':', 4);
                if (f.Length >= 3 && double.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var pct)) progress.Report((long)pct);
            },
        }, ctx.Cancellation).ConfigureAwait(false);
        if (!r.Succeeded) throw PkgErrors.Translate(full, r).ToException();
    }
}
