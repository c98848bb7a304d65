using Resh.Core.Errors;

namespace Resh.Handles.Pkg;

/// <summary>apk (Alpine): `apk list --installed`, plans from `--simulate` ("(1/2) Installing curl (8.5.0-r0)"), world pins as name=version.</summary>
public sealed class ApkManager : PackageManager
{
    public override string Name => "apk";

    public override async Task<List<PkgEntry>> ListAsync(CancellationToken ct)
    {
        var r = await QueryAsync(["apk", "list", "--installed"], ct).ConfigureAwait(false);
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(ParseListLine).Where(e => e is not null).Select(e => e!).ToList();
    }

    /// <summary>`curl-8.5.0-r0 x86_64 {curl} (curl) [installed]`.</summary>
    public static PkgEntry? ParseListLine(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2) return null;
        var (name, version) = SplitNameVersion(words[0]);
        if (name is null) return null;
        return new PkgEntry(name, version!, words[1], null, "installed", false, null);
    }

    /// <summary>apk's `name-version-rN`: the version is the last two dash-separated parts.</summary>
    public static (string? Name, string? Version) SplitNameVersion(string s)
    {
        var last = s.LastIndexOf('-');
        if (last <= 0) return (null, null);
        var prev = s.LastIndexOf('-', last - 1);
        if (prev <= 0) return (null, null);
        return (s[..prev], s[(prev + 1)..]);
    }

    public override async Task<PkgInfo?> InfoAsync(string name, CancellationToken ct)
    {
        var installed = (await ListAsync(ct).ConfigureAwait(false)).FirstOrDefault(e => e.Name == name);
        var r = await QueryAsync(["apk", "policy", name], ct, allowFailure: true).ConfigureAwait(false);
        // "curl policy:\n  8.5.0-r0:\n    lib/apk/db/installed\n    https://dl-cdn.alpinelinux.org/alpine/v3.19/main"
        var versions = new List<PkgVersion>();
        string? ver = null; List<string>? src = null;
        foreach (var raw in r.Stdout.Split('\n'))
        {
            if (raw.StartsWith("  ", StringComparison.Ordinal) && !raw.StartsWith("    ", StringComparison.Ordinal) && raw.TrimEnd().EndsWith(':'))
            {
                if (ver is not null) versions.Add(new PkgVersion(ver, src!));
                ver = raw.Trim().TrimEnd(':'); src = [];
            }
            else if (raw.StartsWith("    ", StringComparison.Ordinal) && src is not null) src.Add(raw.Trim());
        }
        if (ver is not null) versions.Add(new PkgVersion(ver, src!));
        if (installed is null && versions.Count == 0) return null;
        var candidate = versions.Select(v => v.Version).LastOrDefault();
        return new PkgInfo(name, Name, installed is not null, installed?.Version, candidate, installed is not null && candidate is not null && candidate != installed.Version,
            installed?.Arch, null, installed?.Status, false, null, null, null, null, null, [], versions);
    }

    public override async Task<List<PkgSearchHit>> SearchAsync(string query, int limit, CancellationToken ct)
    {
        var r = await QueryAsync(["apk", "search", "-v", query], ct, allowFailure: true).ConfigureAwait(false);
        var hits = new List<PkgSearchHit>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var sep = line.IndexOf(" - ", StringComparison.Ordinal);
            var (name, version) = SplitNameVersion(sep < 0 ? line.Trim() : line[..sep]);
            if (name is null) continue;
            hits.Add(new PkgSearchHit(name, version, sep < 0 ? null : line[(sep + 3)..], false));
            if (hits.Count >= limit) break;
        }
        return hits;
    }

    public override IReadOnlyList<string> Argv(Transaction tx)
    {
        var a = new List<string> { "apk", "--no-progress" };
        a.Add(tx.Kind switch { "install" => "add", "remove" => "del", _ => tx.Packages.Count > 0 ? "add" : "upgrade" });
        if (tx.Kind == "upgrade" && tx.Packages.Count > 0) a.Add("--upgrade");
        if (tx.Kind == "remove" && tx.Purge) a.Add("--purge");
        a.AddRange(tx.Packages.Select(p => p.File ?? p.Name + (p.Version is null ? "" : "=" + p.Version)));
        return a;
    }

    public override IReadOnlyList<string> UpdateArgv() => ["apk", "update"];

    public override async Task<List<PkgAction>> PlanAsync(Transaction tx, CancellationToken ct)
    {
        var argv = Argv(tx).ToList();
        argv.Insert(2, "--simulate");
        var r = await QueryAsync(argv, ct).ConfigureAwait(false);
        return ParseSimulation(r.Stdout);
    }

    /// <summary>`(1/3) Installing curl (8.5.0-r0)`, `(2/3) Upgrading musl (1.2.4-r1 -> 1.2.4-r2)`, `(1/1) Purging curl (8.5.0-r0)`.</summary>
    public static List<PkgAction> ParseSimulation(string text)
    {
        var list = new List<PkgAction>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith('(')) continue;
            var words = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 3) continue;
            var action = words[1] switch
            {
                "Installing" => "install", "Upgrading" => "upgrade", "Downgrading" => "downgrade", "Replacing" => "reinstall",
                "Purging" => "purge", "Deleting" => "remove", _ => null,
            };
            if (action is null) continue;
            var rest = words[2];
            var p = rest.IndexOf(" (", StringComparison.Ordinal);
            var name = p < 0 ? rest : rest[..p];
            var vers = p < 0 ? "" : rest[(p + 2)..rest.LastIndexOf(')')];
            var arrow = vers.IndexOf(" -> ", StringComparison.Ordinal);
            list.Add(action switch
            {
                "upgrade" or "downgrade" when arrow > 0 => new PkgAction(action, name, null, vers[..arrow], vers[(arrow + 4)..]),
                "remove" or "purge" => new PkgAction(action, name, null, vers, null),
                _ => new PkgAction(action, name, null, null, vers),
            });
        }
        return list;
    }

    public override async Task<List<string>> FilesAsync(string name, CancellationToken ct)
    {
        var r = await QueryAsync(["apk", "info", "-L", name], ct, allowFailure: true).ConfigureAwait(false);
        if (!r.Succeeded || !r.Stdout.Contains("contains:", StringComparison.Ordinal)) throw ReshError.NotFound($"Package {name} is not installed.", null).ToException();
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => "/" + l.Trim()).ToList();
    }

    public override async Task<List<string>> OwnerAsync(string path, CancellationToken ct)
    {
        var r = await QueryAsync(["apk", "info", "--who-owns", path], ct, allowFailure: true).ConfigureAwait(false);
        // "/usr/bin/curl is owned by curl-8.5.0-r0"
        var i = r.Stdout.IndexOf(" is owned by ", StringComparison.Ordinal);
        if (!r.Succeeded || i < 0) return [];
        var (name, _) = SplitNameVersion(r.Stdout[(i + 13)..].Trim());
        return name is null ? [] : [name];
    }
}

/// <summary>pacman (Arch): `pacman -Q`, plans from `--print --print-format '%n %v'`, installs with --needed so present packages are untouched.</summary>
public sealed class PacmanManager : PackageManager
{
    public override string Name => "pacman";

    public override async Task<List<PkgEntry>> ListAsync(CancellationToken ct)
    {
        var r = await QueryAsync(["pacman", "-Q"], ct).ConfigureAwait(false);
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).Where(w => w.Length >= 2)
            .Select(w => new PkgEntry(w[0], w[1], null, null, "installed", false, null)).ToList();
    }

    public override async Task<PkgInfo?> InfoAsync(string name, CancellationToken ct)
    {
        var local = Fields((await QueryAsync(["pacman", "-Qi", name], ct, allowFailure: true).ConfigureAwait(false)).Stdout);
        var sync = Fields((await QueryAsync(["pacman", "-Si", name], ct, allowFailure: true).ConfigureAwait(false)).Stdout);
        if (local is null && sync is null) return null;
        var src = local ?? sync!;
        var candidate = sync?.GetValueOrDefault("Version") ?? local?.GetValueOrDefault("Version");
        return new PkgInfo(name, Name, local is not null, local?.GetValueOrDefault("Version"), candidate,
            local is not null && candidate != local.GetValueOrDefault("Version"), src.GetValueOrDefault("Architecture"), null,
            local is null ? null : "installed", false, src.GetValueOrDefault("Description"), src.GetValueOrDefault("Description"), null,
            src.GetValueOrDefault("Packager"), src.GetValueOrDefault("URL"),
            src.GetValueOrDefault("Depends On") is { } d && d != "None" ? d.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(x => x.Split('>', '<', '=')[0]).ToList() : [],
            sync is null ? [] : [new PkgVersion(sync.GetValueOrDefault("Version") ?? "", [sync.GetValueOrDefault("Repository") ?? "?"])]);
    }

    /// <summary>`Key            : value` blocks of pacman -Qi/-Si (continuation lines are indented).</summary>
    public static Dictionary<string, string>? Fields(string text)
    {
        if (text.Trim().Length == 0) return null;
        var d = new Dictionary<string, string>();
        string? last = null;
        foreach (var raw in text.Split('\n'))
        {
            if (raw.Trim().Length == 0) { if (d.Count > 0) break; continue; }
            var c = raw.IndexOf(" : ", StringComparison.Ordinal);
            if (c > 0 && !raw.StartsWith(' ')) { last = raw[..c].Trim(); d[last] = raw[(c + 3)..].Trim(); }
            else if (last is not null) d[last] += " " + raw.Trim();
        }
        return d.Count == 0 ? null : d;
    }

    public override async Task<List<PkgSearchHit>> SearchAsync(string query, int limit, CancellationToken ct)
    {
        var r = await QueryAsync(["pacman", "-Ss", query], ct, allowFailure: true).ConfigureAwait(false);
        var hits = new List<PkgSearchHit>();
        var lines = r.Stdout.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith(' ') || lines[i].Length == 0) continue;
            // "extra/curl 8.5.0-1 [installed]" then "    summary"
            var w = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var name = w[0].Contains('/') ? w[0][(w[0].IndexOf('/') + 1)..] : w[0];
            hits.Add(new PkgSearchHit(name, w.ElementAtOrDefault(1), i + 1 < lines.Length ? lines[i + 1].Trim() : null, lines[i].Contains("[installed", StringComparison.Ordinal)));
            if (hits.Count >= limit) break;
        }
        return hits;
    }

    public override IReadOnlyList<string> Argv(Transaction tx)
    {
        if (tx.Packages.Any(p => p.Version is not null))
            throw ReshError.Unsupported("pacman cannot install a pinned version from its repositories.", "Install the package file (pkg:///path/to/pkg.tar.zst.install).").ToException();
        var files = tx.Packages.Where(p => p.File is not null).ToList();
        var a = new List<string> { "pacman", "--noconfirm", "--noprogressbar" };
        switch (tx.Kind)
        {
            case "install": a.Add(files.Count > 0 ? "-U" : "-S"); a.Add("--needed"); break;
            case "remove": a.Add(tx.Purge ? "-Rns" : "-R"); break;
            default: a.Add(tx.Packages.Count > 0 ? "-S" : "-Su"); break;
        }
        a.AddRange(tx.Packages.Select(p => p.File ?? p.Name));
        return a;
    }

    public override IReadOnlyList<string> UpdateArgv() => ["pacman", "--noconfirm", "-Sy"];

    public override async Task<List<PkgAction>> PlanAsync(Transaction tx, CancellationToken ct)
    {
        var argv = Argv(tx).ToList();
        argv.AddRange(["--print", "--print-format", "%n %v"]);
        var r = await QueryAsync(argv, ct).ConfigureAwait(false);
        var installed = (await ListAsync(ct).ConfigureAwait(false)).ToDictionary(e => e.Name, e => e.Version);
        var list = new List<PkgAction>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var w = line.Trim().Split(' ');
            if (w.Length != 2 || line.StartsWith("::", StringComparison.Ordinal)) continue;
            var had = installed.GetValueOrDefault(w[0]);
            list.Add(tx.Kind == "remove" ? new PkgAction("remove", w[0], null, w[1], null)
                : new PkgAction(had is null ? "install" : had == w[1] ? "reinstall" : "upgrade", w[0], null, had, w[1]));
        }
        return list;
    }

    public override async Task<List<string>> FilesAsync(string name, CancellationToken ct)
    {
        var r = await QueryAsync(["pacman", "-Qlq", name], ct, allowFailure: true).ConfigureAwait(false);
        if (!r.Succeeded) throw ReshError.NotFound($"Package {name} is not installed.", null).ToException();
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    public override async Task<List<string>> OwnerAsync(string path, CancellationToken ct)
    {
        var r = await QueryAsync(["pacman", "-Qqo", path], ct, allowFailure: true).ConfigureAwait(false);
        return r.Succeeded ? r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList() : [];
    }

    public override async Task<List<PkgVerifyIssue>> VerifyAsync(string? name, CancellationToken ct)
    {
        var argv = new List<string> { "pacman", "-Qkk" };
        if (name is not null) argv.Add(name);
        var r = await QueryAsync(argv, ct, allowFailure: true).ConfigureAwait(false);
        // "warning: curl: /usr/bin/curl (Modification time mismatch)" / "curl: /x (No such file or directory)"
        var issues = new List<PkgVerifyIssue>();
        foreach (var raw in (r.Stdout + "\n" + r.Stderr).Split('\n'))
        {
            var line = raw.StartsWith("warning: ", StringComparison.Ordinal) ? raw[9..] : raw;
            var c = line.IndexOf(": /", StringComparison.Ordinal);
            var p = line.LastIndexOf(" (", StringComparison.Ordinal);
            if (c <= 0 || p <= c) continue;
            var why = line[(p + 2)..].TrimEnd(')').ToLowerInvariant();
            var problem = why.Contains("no such file") ? "missing" : why.Contains("checksum") || why.Contains("sha256") ? "checksum" : why.Contains("size") ? "size"
                : why.Contains("permission") || why.Contains("mode") ? "mode" : why.Contains("modification time") ? "mtime" : why.Contains("uid") ? "owner" : why.Contains("gid") ? "group" : why;
            issues.Add(new PkgVerifyIssue(line[..c], line[(c + 2)..p], [problem], false));
        }
        return issues;
    }
}
