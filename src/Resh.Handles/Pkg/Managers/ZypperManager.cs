using Resh.Core.Errors;

namespace Resh.Handles.Pkg;

/// <summary>zypper (SUSE): installed packages from rpm, plans from `zypper --xmlout ... --dry-run` (its XML install summary).</summary>
public sealed class ZypperManager : PackageManager
{
    public override string Name => "zypper";

    public override async Task<List<PkgEntry>> ListAsync(CancellationToken ct) =>
        RpmQuery.Parse((await QueryAsync(RpmQuery.Argv, ct).ConfigureAwait(false)).Stdout);

    public override async Task<PkgInfo?> InfoAsync(string name, CancellationToken ct)
    {
        var r = await QueryAsync(["zypper", "--non-interactive", "info", name], ct, allowFailure: true).ConfigureAwait(false);
        var d = new Dictionary<string, string>();
        foreach (var line in r.Stdout.Split('\n'))
        {
            var c = line.IndexOf(':');
            if (c > 0 && c < 20) d.TryAdd(line[..c].Trim(), line[(c + 1)..].Trim());
        }
        if (!d.ContainsKey("Name")) return null;
        var installed = d.GetValueOrDefault("Installed")?.StartsWith("Yes", StringComparison.Ordinal) == true;
        var version = d.GetValueOrDefault("Version");
        return new PkgInfo(name, Name, installed, installed ? version : null, version, d.GetValueOrDefault("Status")?.Contains("out-of-date") == true,
            d.GetValueOrDefault("Arch"), null, installed ? "installed" : null, false, d.GetValueOrDefault("Summary"), d.GetValueOrDefault("Description"),
            null, d.GetValueOrDefault("Vendor"), null, [], version is null ? [] : [new PkgVersion(version, [d.GetValueOrDefault("Repository") ?? "?"])]);
    }

    public override async Task<List<PkgSearchHit>> SearchAsync(string query, int limit, CancellationToken ct)
    {
        var r = await QueryAsync(["zypper", "--non-interactive", "--xmlout", "search", query], ct, allowFailure: true).ConfigureAwait(false);
        return Solvables(r.Stdout, "solvable").Take(limit)
            .Select(s => new PkgSearchHit(s.GetValueOrDefault("name") ?? "", null, s.GetValueOrDefault("summary"), s.GetValueOrDefault("status") == "installed")).ToList();
    }

    public override IReadOnlyList<string> Argv(Transaction tx)
    {
        var a = new List<string> { "zypper", "--non-interactive", "--xmlout" };
        a.Add(tx.Kind switch { "install" => "install", "remove" => "remove", _ => tx.Packages.Count > 0 ? "update" : tx.Full ? "dist-upgrade" : "update" });
        a.AddRange(tx.Packages.Select(p => p.File ?? p.Name + (p.Version is null ? "" : "=" + p.Version)));
        return a;
    }

    public override IReadOnlyList<string> UpdateArgv() => ["zypper", "--non-interactive", "refresh"];

    public override async Task<List<PkgAction>> PlanAsync(Transaction tx, CancellationToken ct)
    {
        var argv = Argv(tx).ToList();
        argv.Add("--dry-run");
        var r = await QueryAsync(argv, ct).ConfigureAwait(false);
        return ParsePlan(r.Stdout);
    }

    /// <summary>The &lt;install-summary&gt; of zypper's XML output: to-install, to-upgrade, to-downgrade, to-reinstall, to-remove lists of solvables.</summary>
    public static List<PkgAction> ParsePlan(string xml)
    {
        var list = new List<PkgAction>();
        foreach (var (section, action) in new[] { ("to-install", "install"), ("to-upgrade", "upgrade"), ("to-downgrade", "downgrade"), ("to-reinstall", "reinstall"), ("to-remove", "remove") })
        {
            var start = xml.IndexOf("<" + section + ">", StringComparison.Ordinal);
            if (start < 0) continue;
            var end = xml.IndexOf("</" + section + ">", start, StringComparison.Ordinal);
            foreach (var s in Solvables(xml[start..(end < 0 ? xml.Length : end)], "solvable"))
            {
                var name = s.GetValueOrDefault("name") ?? "";
                var edition = s.GetValueOrDefault("edition");
                var old = s.GetValueOrDefault("edition-old");
                list.Add(action == "remove" ? new PkgAction(action, name, s.GetValueOrDefault("arch"), edition, null)
                    : new PkgAction(action, name, s.GetValueOrDefault("arch"), old, edition));
            }
        }
        return list;
    }

    /// <summary>The attributes of each &lt;TAG .../&gt; element (a minimal reader for zypper's flat XML).</summary>
    public static IEnumerable<Dictionary<string, string>> Solvables(string xml, string tag)
    {
        int i = 0;
        while ((i = xml.IndexOf("<" + tag + " ", i, StringComparison.Ordinal)) >= 0)
        {
            var end = xml.IndexOf('>', i);
            if (end < 0) yield break;
            var attrs = new Dictionary<string, string>();
            var body = xml[(i + tag.Length + 2)..end];
            int p = 0;
            while (p < body.Length)
            {
                var eq = body.IndexOf("=\"", p, StringComparison.Ordinal);
                if (eq < 0) break;
                var key = body[p..eq].Trim();
                var close = body.IndexOf('"', eq + 2);
                if (close < 0) break;
                attrs[key] = System.Net.WebUtility.HtmlDecode(body[(eq + 2)..close]);
                p = close + 1;
            }
            yield return attrs;
            i = end;
        }
    }

    public override async Task<List<string>> FilesAsync(string name, CancellationToken ct)
    {
        var r = await QueryAsync(["rpm", "-ql", name], ct, allowFailure: true).ConfigureAwait(false);
        if (!r.Succeeded) throw ReshError.NotFound($"Package {name} is not installed.", null).ToException();
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('/')).ToList();
    }

    public override async Task<List<string>> OwnerAsync(string path, CancellationToken ct)
    {
        var r = await QueryAsync(["rpm", "-qf", "--qf", "%{NAME}\\n", path], ct, allowFailure: true).ConfigureAwait(false);
        return r.Succeeded ? r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct().ToList() : [];
    }

    public override IReadOnlyList<string> HoldArgv(IReadOnlyList<string> names, bool hold) => ["zypper", "--non-interactive", hold ? "addlock" : "removelock", .. names];

    public override async Task<HashSet<string>> HeldAsync(CancellationToken ct)
    {
        var r = await QueryAsync(["zypper", "--non-interactive", "--xmlout", "locks"], ct, allowFailure: true).ConfigureAwait(false);
        var set = new HashSet<string>();
        foreach (var l in Solvables(r.Stdout, "lock")) if (l.GetValueOrDefault("name") is { } n) set.Add(n);
        // Older zypper prints <name>curl</name> inside <lock>.
        int i = 0;
        while ((i = r.Stdout.IndexOf("<name>", i, StringComparison.Ordinal)) >= 0)
        {
            var e = r.Stdout.IndexOf("</name>", i, StringComparison.Ordinal);
            if (e < 0) break;
            set.Add(r.Stdout[(i + 6)..e]);
            i = e;
        }
        return set;
    }
}
