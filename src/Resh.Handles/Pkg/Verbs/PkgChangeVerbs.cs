using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Pkg;

public static class PkgInstall
{
    static readonly Arg<bool> Latest = Arg.Bool("latest", "Also upgrade packages that are installed but older than the candidate (default: installed is enough).");

    public static readonly VerbInfo Verb = VerbInfo.Define("install", Effect.Mutate,
        "Install packages (names, name=version pins, name:arch, or a local package file); already installed is `changed: false`.",
        [PkgFlow.Packages, Latest, PackageManager.ManagerArg], () => PkgJson.Default.PkgChangeResult, RunAsync,
        examples:
        [
            new("pkg://resh-test-hello.install", "Install it (and its dependencies) unless present."),
            new("'pkg://nginx.install(packages=curl,jq)'", "Several at once."),
            new("pkg://nginx=1.22.1-9.install --dry-run", "What apt would do for that exact version."),
            new("pkg:///tmp/tool_1.0_amd64.deb.install", "A local .deb, with its dependencies from the sources."),
        ],
        notes: "Ensure semantics, like Ansible's state=present: an installed package is left alone unless a different version is pinned or latest=true. "
            + "--dry-run runs the manager's simulation (apt-get -s) and lists exact versions; the result otherwise lists what actually changed (dpkg's status before and after). "
            + "A held dpkg lock is waited for up to --timeout (60 s without one) and then answered with `conflict` naming the holding process. "
            + "Through a server surface, a local package file (a path as the target or in packages=) needs the role's exec = true: its maintainer scripts run as the server's user.")
        .WithRunsProgramsWhen((target, args) => target.Contains('/') || args.Get(PkgFlow.Packages)?.Any(p => p.Contains('/')) == true);

    static async ValueTask<Outcome<PkgChangeResult>> RunAsync(VerbContext ctx)
    {
        PkgFlow.RequireRoot(ctx);
        var specs = PkgFlow.Specs(ctx);
        if (specs.Count == 0) return ReshError.Usage("Name a package: pkg://NAME.install (or packages=).", "Example: pkg://curl.install");
        var mgr = PackageManager.Open(ctx);
        var installed = (await mgr.ListAsync(ctx.Cancellation).ConfigureAwait(false)).Where(e => e.Status == "installed")
            .GroupBy(e => e.Name).ToDictionary(g => g.Key, g => g.First().Version);
        var latest = ctx.Get(Latest);
        var wanted = new List<PackageSpec>();
        foreach (var s in specs)
        {
            if (s.File is not null)
            {
                if (mgr is AptManager && await DebFieldsAsync(s.File, ctx.Cancellation).ConfigureAwait(false) is { } deb
                    && installed.GetValueOrDefault(deb.Name) == deb.Version) continue;
                wanted.Add(s);
                continue;
            }
            var have = installed.GetValueOrDefault(s.Name);
            if (have is not null && (s.Version is null ? !latest : s.Version == have)) continue;
            wanted.Add(s);
        }
        var requested = specs.Select(s => s.ToString()).ToList();
        if (wanted.Count == 0) return new PkgChangeResult(mgr.Name, requested, [], [], [], [], []);
        return await PkgFlow.ChangeAsync(ctx, mgr, new Transaction("install", wanted), requested).ConfigureAwait(false);
    }

    static async Task<(string Name, string Version)?> DebFieldsAsync(string file, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync(["dpkg-deb", "-f", file, "Package", "Version"], null, ct).ConfigureAwait(false);
        if (!r.Succeeded) throw ReshError.Usage($"{file} is not a Debian package: {r.LastErrorLine}", null).ToException();
        string? name = null, version = null;
        foreach (var line in r.Stdout.Split('\n'))
        {
            if (line.StartsWith("Package:", StringComparison.Ordinal)) name = line[8..].Trim();
            if (line.StartsWith("Version:", StringComparison.Ordinal)) version = line[8..].Trim();
        }
        return name is null || version is null ? null : (name, version);
    }
}

public static class PkgRemove
{
    static readonly Arg<bool> Purge = Arg.Bool("purge", "Also delete configuration files (apt purge, pacman -Rns, apk --purge).");
    static readonly Arg<bool> AutoRemove = Arg.Bool("autoremove", "Also remove dependencies nothing needs any more.");

    public static readonly VerbInfo Verb = VerbInfo.Define("remove", Effect.Destroy,
        "Remove packages (purge=true also deletes their configuration); not installed is `changed: false`.",
        [PkgFlow.Packages, Purge, AutoRemove, PackageManager.ManagerArg], () => PkgJson.Default.PkgChangeResult, RunAsync,
        examples: [new("pkg://resh-test-hello.remove purge=true", "Remove it with its configuration files."), new("pkg://nginx.remove --dry-run", "What else would go.")]);

    static async ValueTask<Outcome<PkgChangeResult>> RunAsync(VerbContext ctx)
    {
        PkgFlow.RequireRoot(ctx);
        var specs = PkgFlow.Specs(ctx, allowFiles: false);
        if (specs.Count == 0) return ReshError.Usage("Name a package: pkg://NAME.remove.", "Example: pkg://nginx.remove");
        var mgr = PackageManager.Open(ctx);
        var purge = ctx.Get(Purge);
        var present = (await mgr.ListAsync(ctx.Cancellation).ConfigureAwait(false))
            .Where(e => e.Status == "installed" || (purge && e.Status == "config-files")).Select(e => e.Name).ToHashSet();
        var wanted = specs.Where(s => present.Contains(s.Name)).Select(s => s with { Version = null }).ToList();
        var requested = specs.Select(s => s.ToString()).ToList();
        if (wanted.Count == 0) return new PkgChangeResult(mgr.Name, requested, [], [], [], [], []);
        return await PkgFlow.ChangeAsync(ctx, mgr, new Transaction("remove", wanted, purge, ctx.Get(AutoRemove)), requested).ConfigureAwait(false);
    }
}

public static class PkgUpgrade
{
    static readonly Arg<bool> Full = Arg.Bool("full", "Allow removing or adding packages to upgrade (apt dist-upgrade), for upgrade of everything.");

    public static readonly VerbInfo Verb = VerbInfo.Define("upgrade", Effect.Mutate,
        "Upgrade the named packages (pkg://curl.upgrade) or everything (pkg://.upgrade); --dry-run lists exact versions.",
        [PkgFlow.Packages, Full, PackageManager.ManagerArg], () => PkgJson.Default.PkgChangeResult, RunAsync,
        examples: [new("pkg://.upgrade --dry-run", "Every pending upgrade with from/to versions."), new("pkg://openssl.upgrade", "Only openssl (and what it needs).")],
        notes: "Named packages that are not installed are not installed by upgrade (apt-get install --only-upgrade); nothing to upgrade is `changed: false`.",
        targetHelp: "A package, or empty for everything.");

    static async ValueTask<Outcome<PkgChangeResult>> RunAsync(VerbContext ctx)
    {
        PkgFlow.RequireRoot(ctx);
        var specs = PkgFlow.Specs(ctx, allowFiles: false);
        var mgr = PackageManager.Open(ctx);
        return await PkgFlow.ChangeAsync(ctx, mgr, new Transaction("upgrade", specs, Full: ctx.Get(Full)), specs.Select(s => s.ToString()).ToList()).ConfigureAwait(false);
    }
}

public static class PkgUpdate
{
    static readonly Arg<string?> Repo = Arg.String("repo", "apt: refresh only this source (its name from repo.list), leaving the others' indexes alone.", examples: ["nodesource"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("update", Effect.Mutate,
        "Refresh the package indexes (apt-get update, dnf makecache, apk update, pacman -Sy, zypper refresh).",
        [Repo, PackageManager.ManagerArg], () => PkgJson.Default.PkgUpdateResult, RunAsync,
        examples: [new("pkg://.update", "Fetch the current indexes of every source."), new("'pkg://.update(repo=nodesource)'", "Only one apt source.")],
        notes: "changed is true when index files changed on disk.", targetHelp: "Empty: pkg://.update");

    static async ValueTask<Outcome<PkgUpdateResult>> RunAsync(VerbContext ctx)
    {
        PkgFlow.RequireRoot(ctx);
        var mgr = PackageManager.Open(ctx);
        var argv = mgr.UpdateArgv().ToList();
        if (ctx.Get(Repo) is { } repo)
        {
            if (mgr is not AptManager) return ReshError.Unsupported("repo= is supported with apt only.", null);
            var file = AptSources.List().FirstOrDefault(r => r.Name == AptSources.CheckName(repo))?.File;
            if (file is null) return ReshError.NotFound($"No apt source named {repo}.", "List them with resh pkg://.repo.list.");
            argv.InsertRange(1, ["-o", $"Dir::Etc::SourceList={file}", "-o", "Dir::Etc::SourceParts=-", "-o", "APT::Get::List-Cleanup=0"]);
        }
        if (ctx.DryRun) return Outcome.Changed(new PkgUpdateResult(mgr.Name, 0, [argv], null));
        var dir = PkgFlow.CacheDir(mgr);
        var before = PkgFlow.DirectoryFingerprint(dir);
        if (mgr is AptManager apt) await apt.RunChangeAsync(ctx, argv, "apt-get update").ConfigureAwait(false);
        else
        {
            var r = await ProcessRunner.RunAsync(argv, null, ctx.Cancellation).ConfigureAwait(false);
            if (!r.Succeeded) throw PkgErrors.Translate(argv, r).ToException();
        }
        var after = PkgFlow.DirectoryFingerprint(dir);
        var changed = before.Split('\n').Except(after.Split('\n')).Count() + after.Split('\n').Except(before.Split('\n')).Count();
        return Outcome.Changed(new PkgUpdateResult(mgr.Name, changed, [argv], null), changed > 0);
    }
}

public static class PkgHold
{
    public static readonly VerbInfo Hold = Define("hold", true, "Keep packages at their installed version (apt-mark hold, dnf versionlock, zypper addlock); already held is `changed: false`.");
    public static readonly VerbInfo Unhold = Define("unhold", false, "Let held packages be upgraded again; not held is `changed: false`.");

    static VerbInfo Define(string name, bool hold, string summary) => VerbInfo.Define(name, Effect.Mutate, summary,
        [PkgFlow.Packages, PackageManager.ManagerArg], () => PkgJson.Default.PkgHoldResult, ctx => RunAsync(ctx, hold),
        examples: [new($"pkg://resh-test-hello.{name}", hold ? "upgrade leaves it alone." : "upgrade may move it again.")]);

    static async ValueTask<Outcome<PkgHoldResult>> RunAsync(VerbContext ctx, bool hold)
    {
        PkgFlow.RequireRoot(ctx);
        var names = PkgFlow.Specs(ctx, allowFiles: false).Select(s => s.Name).Distinct().ToList();
        if (names.Count == 0) return ReshError.Usage($"Name a package: pkg://NAME.{ctx.Verb.Name}.", null);
        var mgr = PackageManager.Open(ctx);
        var installed = (await mgr.ListAsync(ctx.Cancellation).ConfigureAwait(false)).Where(e => e.Status == "installed").Select(e => e.Name).ToHashSet();
        foreach (var n in names) if (!installed.Contains(n)) return ReshError.NotFound($"Package {n} is not installed.", $"resh pkg://{n}.info");
        var held = await mgr.HeldAsync(ctx.Cancellation).ConfigureAwait(false);
        var change = names.Where(n => held.Contains(n) != hold).ToList();
        var state = hold ? "held" : "unheld";
        if (change.Count == 0) return new PkgHoldResult(mgr.Name, names, state, [], []);
        var argv = mgr.HoldArgv(change, hold);
        if (!ctx.DryRun)
        {
            var r = await ProcessRunner.RunAsync(argv, new ProcessOptions { Environment = mgr.Environment }, ctx.Cancellation).ConfigureAwait(false);
            if (!r.Succeeded) throw PkgErrors.Translate(argv, r).ToException();
        }
        return Outcome.Changed(new PkgHoldResult(mgr.Name, names, state, change, [argv]));
    }
}
