using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Pkg;

/// <summary>The path every package change takes: plan with the manager's simulation, stop there under --dry-run, run, then report what actually changed.</summary>
public static class PkgFlow
{
    public static readonly Arg<IReadOnlyList<string>> Packages = Arg.List("packages", "More packages (name, name=version, name:arch, or a package file), besides the target.",
        examples: ["curl,jq", "nginx=1.22.1-9"], aliases: ["names"], role: ArgRole.Target);

    /// <summary>The packages a call names: the target (pkg://curl) plus packages=.</summary>
    public static List<PackageSpec> Specs(VerbContext ctx, bool allowFiles = true)
    {
        var list = new List<PackageSpec>();
        if (ctx.Target.Length > 0) list.Add(PackageSpec.Parse(ctx.Target));
        foreach (var p in ctx.Get(Packages)) list.Add(PackageSpec.Parse(p));
        if (!allowFiles && list.Any(s => s.File is not null)) throw ReshError.Usage("Give package names here, not files.", null).ToException();
        return list;
    }

    public static string SingleName(VerbContext ctx)
    {
        if (ctx.Target.Length == 0) throw ReshError.Usage($"{ctx.Verb.Name} needs a package: pkg://NAME.{ctx.Verb.Name}.", $"Example: pkg://curl.{ctx.Verb.Name}").ToException();
        // A path (pkg:///tmp/x.deb.info): a missing file is not_found, as for install; an existing one is not a package name.
        if (ctx.Target.Contains('/') && !ctx.Target.Any(char.IsControl))
        {
            var full = Path.GetFullPath(ctx.Target);
            if (!File.Exists(full)) throw ReshError.NotFound($"No package file {full}.", $"{ctx.Verb.Name} takes an installed or available package's name: pkg://NAME.{ctx.Verb.Name}.").ToException();
            throw ReshError.Usage($"{ctx.Verb.Name} takes a package name, not a file ({full}).", "Install the file with pkg://PATH.install; dpkg-deb --info shows what it holds.").ToException();
        }
        return PackageSpec.CheckName(ctx.Target);
    }

    public static void RequireRoot(VerbContext ctx)
    {
        if (!ctx.DryRun && LibC.GetEUid() != 0)
            throw ReshError.PermissionDenied("Package changes need root.", "Run resh as root (or with sudo); --dry-run shows the plan without root.").ToException();
    }

    public static async Task<Outcome<PkgChangeResult>> ChangeAsync(VerbContext ctx, PackageManager mgr, Transaction tx, IReadOnlyList<string> requested)
    {
        // A busy dpkg is reported before anything else (a plan read while it works could be stale anyway).
        if (mgr is AptManager && !ctx.DryRun) await AptManager.WaitForLockAsync(ctx).ConfigureAwait(false);
        var before = await mgr.ListAsync(ctx.Cancellation).ConfigureAwait(false);
        // A held package named explicitly is not moved behind the operator's back: say so instead.
        if (tx.Kind is "install" or "upgrade")
        {
            var held = before.Where(e => e.Held).Select(e => e.Name).ToHashSet();
            var blocked = tx.Packages.Where(p => p.File is null && held.Contains(p.Name)).Select(p => p.Name).ToList();
            if (blocked.Count > 0)
                return ReshError.Conflict($"{string.Join(", ", blocked)} {(blocked.Count == 1 ? "is" : "are")} held at the installed version.",
                    $"Release the hold first: resh pkg://{blocked[0]}.unhold");
        }
        var argv = mgr.Argv(tx);
        if (ctx.DryRun)
        {
            // The manager's own simulation: exactly what it would do, with versions.
            var plan = await mgr.PlanAsync(tx, ctx.Cancellation).ConfigureAwait(false);
            var versions = before.GroupBy(e => e.Name).ToDictionary(g => g.Key, g => g.First().Version);
            plan = plan.Select(a => a.From is null && a.Action is "upgrade" or "downgrade" or "reinstall" ? a with { From = versions.GetValueOrDefault(a.Name) } : a).ToList();
            return plan.Count == 0 ? new PkgChangeResult(mgr.Name, requested, [], [], [], [], []) : Outcome.Changed(Result(mgr.Name, requested, plan, [argv]));
        }
        // A real run needs no separate plan: the installed set before and after says what changed
        // (nothing to do is `changed: false`), and the manager refuses what it cannot do.
        if (mgr is AptManager apt) await apt.RunChangeAsync(ctx, argv, $"apt-get {tx.Kind}").ConfigureAwait(false);
        else
        {
            var r = await ProcessRunner.RunAsync(argv, new ProcessOptions { Environment = mgr.Environment }, ctx.Cancellation).ConfigureAwait(false);
            if (!r.Succeeded) throw PkgErrors.Translate(argv, r).ToException();
        }
        var after = await mgr.ListAsync(ctx.Cancellation).ConfigureAwait(false);
        var actual = Compare(before, after, tx.Purge);
        return Outcome.Changed(Result(mgr.Name, requested, actual, [argv]), actual.Count > 0);
    }

    static PkgChangeResult Result(string mgr, IReadOnlyList<string> requested, List<PkgAction> actions, IReadOnlyList<IReadOnlyList<string>> commands) =>
        new(mgr, requested, actions,
            actions.Where(a => a.Action == "install").Select(a => new PkgEntry(a.Name, a.To ?? "", a.Arch, null, "installed", false, null)).ToList(),
            actions.Where(a => a.Action is "upgrade" or "downgrade").ToList(),
            actions.Where(a => a.Action is "remove" or "purge").Select(a => new PkgEntry(a.Name, a.From ?? "", a.Arch, null, a.Action == "purge" ? "purged" : "removed", false, null)).ToList(),
            commands);

    /// <summary>What changed between two installed sets: the truth, whatever the plan said.</summary>
    public static List<PkgAction> Compare(IReadOnlyList<PkgEntry> before, IReadOnlyList<PkgEntry> after, bool purge)
    {
        static string Key(PkgEntry e) => e.Name + ":" + e.Arch;
        var b = before.GroupBy(Key).ToDictionary(g => g.Key, g => g.First());
        var a = after.GroupBy(Key).ToDictionary(g => g.Key, g => g.First());
        var list = new List<PkgAction>();
        foreach (var (k, e) in a)
        {
            var had = b.GetValueOrDefault(k);
            var nowInstalled = e.Status == "installed";
            var wasInstalled = had?.Status == "installed";
            if (nowInstalled && !wasInstalled) list.Add(new PkgAction("install", e.Name, e.Arch, null, e.Version));
            else if (nowInstalled && had!.Version != e.Version)
                list.Add(new PkgAction(Comparer(had.Version, e.Version) < 0 ? "upgrade" : "downgrade", e.Name, e.Arch, had.Version, e.Version));
            else if (!nowInstalled && wasInstalled) list.Add(new PkgAction("remove", e.Name, e.Arch, had!.Version, null));
            else if (had is not null && had.Status != "installed" && e.Status != had.Status && !nowInstalled && purge) list.Add(new PkgAction("purge", e.Name, e.Arch, had.Version, null));
        }
        foreach (var (k, e) in b)
            if (!a.ContainsKey(k)) list.Add(new PkgAction(purge ? "purge" : "remove", e.Name, e.Arch, e.Version, null));
        return list;
    }

    static int Comparer(string x, string y) => DebVersion.Compare(x, y);

    /// <summary>A cheap fingerprint of a directory (names, sizes, mtimes), to tell whether an index refresh changed anything.</summary>
    public static string DirectoryFingerprint(string dir)
    {
        if (!Directory.Exists(dir)) return "";
        var sb = new System.Text.StringBuilder();
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            try
            {
                var fi = new FileInfo(f);
                sb.Append(f).Append('|').Append(fi.Length.ToString(CultureInfo.InvariantCulture)).Append('|').Append(fi.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
            catch (IOException) { }
        }
        return sb.ToString();
    }

    public static string CacheDir(PackageManager m) => m.Name switch
    {
        "apt" => "/var/lib/apt/lists",
        "dnf" or "yum" => "/var/cache/" + m.Name,
        "zypper" => "/var/cache/zypp/raw",
        "apk" => "/var/cache/apk",
        _ => "/var/lib/pacman/sync",
    };
}
