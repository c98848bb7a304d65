using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Pkg;

public static class PkgList
{
    static readonly Arg<string?> Name = Arg.String("name", "Only names matching this glob.", examples: ["lib*", "python3-*"]);
    static readonly Arg<string?> Status = Arg.Enum("status", "installed (default), all (also dpkg's config-files and half states), or held.", ["installed", "all", "held"], "installed");

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "Installed packages: name, version, architecture, size, status, held; filter by name glob or status.",
        [Name, Status, PackageManager.ManagerArg], () => PkgJson.Default.PkgListResult, RunAsync,
        examples: [new("pkg://.list --format table", "Everything installed."), new("'pkg://.list(name=lib*ssl*)'", "A glob over names.")],
        notes: "With apt the list is read straight from dpkg's status file (what dpkg-query -W shows); rpm systems use rpm -qa, Alpine apk list --installed, Arch pacman -Q.",
        targetHelp: "Empty: pkg://.list");

    static async ValueTask<Outcome<PkgListResult>> RunAsync(VerbContext ctx)
    {
        var mgr = PackageManager.Open(ctx);
        var all = await mgr.ListAsync(ctx.Cancellation).ConfigureAwait(false);
        var glob = ctx.Get(Name);
        var status = ctx.Get(Status);
        var list = all.Where(e => status switch { "installed" => e.Status == "installed", "held" => e.Held, _ => true })
            .Where(e => glob is null || Glob(glob, e.Name)).ToList();
        return new PkgListResult(mgr.Name, list.Count, list);
    }

    /// <summary>Shell-style * and ? over a name.</summary>
    public static bool Glob(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t])) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}

public static class PkgInfoVerb
{
    public static readonly VerbInfo Verb = VerbInfo.Define("info", Effect.Read,
        "One package: installed version, candidate, whether an upgrade is available, size, summary, dependencies, versions and their sources.",
        [PackageManager.ManagerArg], () => PkgJson.Default.PkgInfo, RunAsync,
        examples: [new("pkg://curl.info", "Installed and candidate versions of curl.")],
        notes: "A package the manager does not know at all is `not_found`; a known but not installed one has installed: false.");

    static async ValueTask<Outcome<PkgInfo>> RunAsync(VerbContext ctx)
    {
        var name = PkgFlow.SingleName(ctx);
        var mgr = PackageManager.Open(ctx);
        var info = await mgr.InfoAsync(name, ctx.Cancellation).ConfigureAwait(false);
        if (info is null) return ReshError.NotFound($"No package `{name}` is installed or available.", $"Search for it: resh 'pkg://.search(query={name})'; refresh indexes with pkg://.update.");
        return info;
    }
}

public static class PkgSearch
{
    static readonly Arg<string?> Query = Arg.String("query", "What to look for in package names (apt: a regular expression).", required: true, examples: ["nginx", "^python3-requests$"]);
    static readonly Arg<long?> Limit = Arg.Int("limit", "At most this many results.", 100, min: 1, max: 100000);

    public static readonly VerbInfo Verb = VerbInfo.Define("search", Effect.Read,
        "Packages available from the configured sources whose names match, with summaries and whether they are installed.",
        [Query, Limit, PackageManager.ManagerArg], () => PkgJson.Default.PkgSearchResult, RunAsync,
        examples: [new("'pkg://.search(query=nginx)'", "nginx and its modules.")], targetHelp: "Empty: pkg://.search(query=...)");

    static async ValueTask<Outcome<PkgSearchResult>> RunAsync(VerbContext ctx)
    {
        var q = ctx.Get(Query)!;
        if (q.Length is 0 or > 200 || q.Any(char.IsControl) || q.StartsWith('-'))
            return ReshError.Usage("query must be 1-200 characters, without control characters, not starting with '-'.", null);
        var mgr = PackageManager.Open(ctx);
        var hits = await mgr.SearchAsync(q, (int)ctx.Get(Limit)!.Value, ctx.Cancellation).ConfigureAwait(false);
        return new PkgSearchResult(mgr.Name, q, hits.Count, hits);
    }
}

public static class PkgFiles
{
    public static readonly VerbInfo Verb = VerbInfo.Define("files", Effect.Read,
        "The files an installed package put on the system.",
        [PackageManager.ManagerArg], () => PkgJson.Default.PkgFilesResult, RunAsync,
        examples: [new("pkg://curl.files", "dpkg -L curl, as a list.")]);

    static async ValueTask<Outcome<PkgFilesResult>> RunAsync(VerbContext ctx)
    {
        var name = PkgFlow.SingleName(ctx);
        var files = await PackageManager.Open(ctx).FilesAsync(name, ctx.Cancellation).ConfigureAwait(false);
        return new PkgFilesResult(name, files.Count, files);
    }
}

public static class PkgOwner
{
    static readonly Arg<string?> PathArg = Arg.String("path", "The file (or the target: pkg:///usr/bin/curl.owner).", examples: ["/usr/bin/curl"], path: PathUse.Read);

    public static readonly VerbInfo Verb = VerbInfo.Define("owner", Effect.Read,
        "Which package owns a file (found: false, not an error, when none does).",
        [PathArg, PackageManager.ManagerArg], () => PkgJson.Default.PkgOwnerResult, RunAsync,
        examples: [new("pkg:///usr/bin/curl.owner", "curl."), new("'pkg://.owner(path=/etc/ssh/sshd_config)'", "openssh-server.")],
        targetHelp: "An absolute path (pkg:///usr/bin/curl.owner), or empty with path=.");

    static async ValueTask<Outcome<PkgOwnerResult>> RunAsync(VerbContext ctx)
    {
        var path = ctx.Get(PathArg) ?? (ctx.Target.Length > 0 ? ctx.Target : null);
        if (path is null || !path.StartsWith('/') || path.Any(c => char.IsControl(c) || c is '*' or '?' or '[' or ']'))
            return ReshError.Usage("owner needs an absolute path without wildcards.", "Example: pkg:///usr/bin/curl.owner");
        var mgr = PackageManager.Open(ctx);
        var owners = await mgr.OwnerAsync(path, ctx.Cancellation).ConfigureAwait(false);
        if (owners.Count == 0 && File.Exists(path))
        {
            // /bin/ls and /usr/bin/ls are one file on merged-/usr systems; the database knows one spelling.
            var real = new FileInfo(path).ResolveLinkTarget(true)?.FullName ?? Path.GetFullPath(path);
            var dir = Path.GetDirectoryName(path);
            var realDir = dir is null ? null : new DirectoryInfo(dir).ResolveLinkTarget(true)?.FullName;
            var alt = realDir is not null ? Path.Combine(realDir, Path.GetFileName(path)) : real;
            if (alt != path) owners = await mgr.OwnerAsync(alt, ctx.Cancellation).ConfigureAwait(false);
            if (owners.Count == 0 && real != path && real != alt) owners = await mgr.OwnerAsync(real, ctx.Cancellation).ConfigureAwait(false);
        }
        return new PkgOwnerResult(path, owners.Count > 0, owners);
    }
}

public static class PkgVerify
{
    public static readonly VerbInfo Verb = VerbInfo.Define("verify", Effect.Read,
        "Installed files that differ from what their package installed (checksum, mode, missing), for one package or all.",
        [PackageManager.ManagerArg], () => PkgJson.Default.PkgVerifyResult, RunAsync,
        examples: [new("pkg://openssh-server.verify", "Changed files of one package (config files are flagged)."), new("pkg://.verify", "The whole system (dpkg --verify).")],
        targetHelp: "A package, or empty for all.");

    static async ValueTask<Outcome<PkgVerifyResult>> RunAsync(VerbContext ctx)
    {
        string? name = ctx.Target.Length > 0 ? PkgFlow.SingleName(ctx) : null;
        var mgr = PackageManager.Open(ctx);
        var issues = await mgr.VerifyAsync(name, ctx.Cancellation).ConfigureAwait(false);
        return new PkgVerifyResult(mgr.Name, issues.Count == 0, issues.Count, issues);
    }
}

public static class PkgHistory
{
    static readonly Arg<long?> Limit = Arg.Int("limit", "At most this many transactions, newest first.", 20, min: 1, max: 10000);

    public static readonly VerbInfo Verb = VerbInfo.Define("history", Effect.Read,
        "Past package transactions (apt's history log): when, the command, what was installed, upgraded and removed.",
        [Limit, PackageManager.ManagerArg], () => PkgJson.Default.PkgHistoryResult, RunAsync,
        examples: [new("'pkg://.history(limit=5)'", "The last five transactions.")], targetHelp: "Empty: pkg://.history");

    static async ValueTask<Outcome<PkgHistoryResult>> RunAsync(VerbContext ctx)
    {
        var mgr = PackageManager.Open(ctx);
        var list = await mgr.HistoryAsync((int)ctx.Get(Limit)!.Value, ctx.Cancellation).ConfigureAwait(false);
        return new PkgHistoryResult(mgr.Name, list.Count, list);
    }
}
