using System.Globalization;

namespace Resh.Handles.Pkg;

/// <summary>The installed set of rpm-based systems (dnf, yum, zypper), from one `rpm -qa` with a tab-separated query format.</summary>
public static class RpmQuery
{
    public static readonly string[] Argv =
        ["rpm", "-qa", "--qf", "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SIZE}\\t%{SUMMARY}\\n"];

    public static List<PkgEntry> Parse(string text)
    {
        var list = new List<PkgEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t');
            if (f.Length < 5 || f[0] == "gpg-pubkey") continue;
            list.Add(new PkgEntry(f[0], f[1], f[2], long.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null, "installed", false, f[4]));
        }
        return list;
    }

    /// <summary>`rpm -V` lines: `S.5....T.  c /etc/x` or `missing   c /etc/y`.</summary>
    public static List<PkgVerifyIssue> ParseVerify(string text, string package)
    {
        var issues = new List<PkgVerifyIssue>();
        string[] names = ["size", "mode", "checksum", "device", "link", "owner", "group", "mtime", "capabilities"];
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2) continue;
            var problems = new List<string>();
            if (parts[0] == "missing") problems.Add("missing");
            else for (int i = 0; i < Math.Min(parts[0].Length, names.Length); i++) if (parts[0][i] is not ('.' or '?')) problems.Add(names[i]);
            issues.Add(new PkgVerifyIssue(package, parts[^1], problems, parts.Length >= 3 && parts[^2] == "c"));
        }
        return issues;
    }
}

/// <summary>
/// dnf (and yum, which takes the same arguments): installed packages from rpm, plans parsed from the
/// transaction table dnf prints before it asks (--assumeno), changes with -y.
/// </summary>
public sealed class DnfManager(string tool) : PackageManager
{
    public override string Name => tool;

    public override async Task<List<PkgEntry>> ListAsync(CancellationToken ct)
    {
        var entries = RpmQuery.Parse((await QueryAsync(RpmQuery.Argv, ct).ConfigureAwait(false)).Stdout);
        var held = await HeldAsync(ct).ConfigureAwait(false);
        return entries.Select(e => held.Contains(e.Name) ? e with { Held = true } : e).ToList();
    }

    public override async Task<PkgInfo?> InfoAsync(string name, CancellationToken ct)
    {
        var r = await QueryAsync([tool, "info", "-q", name], ct, allowFailure: true).ConfigureAwait(false);
        if (!r.Succeeded || r.Stdout.Trim().Length == 0) return null;
        // "Installed Packages" / "Available Packages" sections of "Key : value" blocks.
        Dictionary<string, string>? installed = null, available = null;
        Dictionary<string, string>? cur = null;
        string? lastKey = null;
        foreach (var raw in r.Stdout.Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.StartsWith("Installed Packages", StringComparison.Ordinal)) { cur = installed = new(); continue; }
            if (line.StartsWith("Available Packages", StringComparison.Ordinal) || line.StartsWith("Upgrades", StringComparison.Ordinal)) { cur = available = new(); continue; }
            var colon = line.IndexOf(" : ", StringComparison.Ordinal);
            if (colon < 0) continue;
            cur ??= available = new();
            var key = line[..colon].Trim();
            var value = line[(colon + 3)..].Trim();
            if (key.Length == 0 && lastKey is not null) { cur[lastKey] += " " + value; continue; }
            if (cur.ContainsKey(key) && key == "Name") break; // a second package of the same name: keep the first
            cur[key] = value;
            lastKey = key;
        }
        var src = installed ?? available!;
        string? Ver(Dictionary<string, string>? d) => d is null ? null : (d.TryGetValue("Epoch", out var e) && e != "0" ? e + ":" : "") + d.GetValueOrDefault("Version") + "-" + d.GetValueOrDefault("Release");
        var held = (await HeldAsync(ct).ConfigureAwait(false)).Contains(name);
        return new PkgInfo(name, Name, installed is not null, Ver(installed), Ver(available) ?? Ver(installed), available is not null && installed is not null,
            src.GetValueOrDefault("Architecture"), Size(src.GetValueOrDefault("Size")), installed is not null ? "installed" : null, held,
            src.GetValueOrDefault("Summary"), src.GetValueOrDefault("Description"), null, null, src.GetValueOrDefault("URL"), [],
            new[] { installed, available }.OfType<Dictionary<string, string>>().Select(d => new PkgVersion(Ver(d)!, [d.GetValueOrDefault("Repository") ?? d.GetValueOrDefault("From repo") ?? "?"])).ToList());
    }

    static long? Size(string? s)
    {
        if (s is null) return null;
        var parts = s.Split(' ');
        if (!double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) return null;
        var mult = parts.Length > 1 ? parts[1] switch { "k" => 1024, "M" => 1024 * 1024, "G" => 1024L * 1024 * 1024, _ => 1 } : 1;
        return (long)(n * mult);
    }

    public override async Task<List<PkgSearchHit>> SearchAsync(string query, int limit, CancellationToken ct)
    {
        var r = await QueryAsync([tool, "search", "-q", query], ct, allowFailure: true).ConfigureAwait(false);
        var hits = new List<PkgSearchHit>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("=", StringComparison.Ordinal)) continue;
            var sep = line.IndexOf(" : ", StringComparison.Ordinal);
            if (sep < 0) continue;
            var nameArch = line[..sep].Trim();
            var dot = nameArch.LastIndexOf('.');
            hits.Add(new PkgSearchHit(dot > 0 ? nameArch[..dot] : nameArch, null, line[(sep + 3)..].Trim(), false));
            if (hits.Count >= limit) break;
        }
        return hits;
    }

    public override IReadOnlyList<string> Argv(Transaction tx)
    {
        var a = new List<string> { tool, "-y" };
        switch (tx.Kind)
        {
            case "install": a.Add("install"); break;
            case "remove": a.Add("remove"); break;
            default: a.Add("upgrade"); break;
        }
        a.AddRange(tx.Packages.Select(p => p.File ?? p.Name + (p.Version is null ? "" : "-" + p.Version) + (p.Arch is null ? "" : "." + p.Arch)));
        return a;
    }

    public override IReadOnlyList<string> UpdateArgv() => [tool, "makecache", "-q"];

    public override async Task<List<PkgAction>> PlanAsync(Transaction tx, CancellationToken ct)
    {
        var argv = Argv(tx).ToList();
        argv[1] = "--assumeno";
        var r = await QueryAsync(argv, ct, allowFailure: true).ConfigureAwait(false);
        // --assumeno exits 1 ("Operation aborted.") after printing the plan; "Nothing to do." exits 0.
        if (!r.Succeeded && !r.Stdout.Contains("Transaction Summary", StringComparison.Ordinal) && !(r.Stdout + r.Stderr).Contains("Operation aborted", StringComparison.Ordinal))
            throw PkgErrors.Translate(argv, r).ToException();
        return ParseTransaction(r.Stdout);
    }

    /// <summary>dnf's transaction table: sections (Installing:, Upgrading:, Removing:...) of `name arch version repo size` rows.</summary>
    public static List<PkgAction> ParseTransaction(string text)
    {
        var list = new List<PkgAction>();
        string? action = null;
        var row = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.StartsWith("Transaction Summary", StringComparison.Ordinal)) break;
            if (line.Length > 0 && line[0] != ' ' && line.EndsWith(':'))
            {
                row.Clear();
                action = line switch
                {
                    _ when line.StartsWith("Installing", StringComparison.Ordinal) => "install",
                    _ when line.StartsWith("Upgrading", StringComparison.Ordinal) => "upgrade",
                    _ when line.StartsWith("Downgrading", StringComparison.Ordinal) => "downgrade",
                    _ when line.StartsWith("Reinstalling", StringComparison.Ordinal) => "reinstall",
                    _ when line.StartsWith("Removing", StringComparison.Ordinal) => "remove",
                    _ => null,
                };
                continue;
            }
            if (action is null || !line.StartsWith(' ')) continue;
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length > 0 && words[0] == "replacing") continue;
            // A row is "name arch version repository size unit"; dnf wraps long rows onto the next line.
            row.AddRange(words);
            if (row.Count < 6) continue;
            list.Add(action == "remove" ? new PkgAction(action, row[0], row[1], row[2], null) : new PkgAction(action, row[0], row[1], null, row[2]));
            row.Clear();
        }
        return list;
    }

    public override async Task<List<string>> FilesAsync(string name, CancellationToken ct)
    {
        var r = await QueryAsync(["rpm", "-ql", name], ct, allowFailure: true).ConfigureAwait(false);
        if (!r.Succeeded) throw Resh.Core.Errors.ReshError.NotFound($"Package {name} is not installed.", null).ToException();
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('/')).ToList();
    }

    public override async Task<List<string>> OwnerAsync(string path, CancellationToken ct)
    {
        var r = await QueryAsync(["rpm", "-qf", "--qf", "%{NAME}\\n", path], ct, allowFailure: true).ConfigureAwait(false);
        return r.Succeeded ? r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct().ToList() : [];
    }

    public override async Task<List<PkgVerifyIssue>> VerifyAsync(string? name, CancellationToken ct)
    {
        if (name is null) throw Unsupported("verify without a package name");
        var r = await QueryAsync(["rpm", "-V", name], ct, allowFailure: true).ConfigureAwait(false);
        return RpmQuery.ParseVerify(r.Stdout, name);
    }

    public override IReadOnlyList<string> HoldArgv(IReadOnlyList<string> names, bool hold) => [tool, "versionlock", hold ? "add" : "delete", .. names];

    public override async Task<HashSet<string>> HeldAsync(CancellationToken ct)
    {
        var r = await QueryAsync([tool, "versionlock", "list", "-q"], ct, allowFailure: true).ConfigureAwait(false);
        var set = new HashSet<string>();
        if (!r.Succeeded) return set;
        // "curl-0:7.76.1-26.el9.*" -> curl
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var t = line.Trim();
            var m = t.IndexOf("-0:", StringComparison.Ordinal);
            if (m < 0) { var parts = t.Split('-'); m = parts.Length >= 3 ? t.Length - parts[^1].Length - parts[^2].Length - 2 : -1; }
            if (m > 0) set.Add(t[..m]);
        }
        return set;
    }
}
