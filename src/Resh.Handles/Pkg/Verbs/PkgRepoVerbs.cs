using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Text;

namespace Resh.Handles.Pkg;

public static class PkgRepoList
{
    public static readonly VerbInfo Verb = VerbInfo.Define("repo.list", Effect.Read,
        "Package sources: apt's sources.list and sources.list.d (one-line and deb822), with suites, components and signing keyrings.",
        [PackageManager.ManagerArg], () => PkgJson.Default.PkgRepoListResult, Run,
        examples: [new("pkg://.repo.list --format table", "Every source.")], targetHelp: "Empty: pkg://.repo.list");

    static Outcome<PkgRepoListResult> Run(VerbContext ctx)
    {
        var mgr = PackageManager.Open(ctx);
        if (mgr is not AptManager) return ReshError.Unsupported($"repo.list is implemented for apt, not {mgr.Name}.", null);
        var repos = AptSources.List();
        return new PkgRepoListResult(mgr.Name, repos.Count, repos);
    }
}

public static class PkgRepoAdd
{
    static readonly Arg<string?> Name = Arg.String("name", "The source's name (its file /etc/apt/sources.list.d/NAME.sources); or the target.", examples: ["nodesource"], role: ArgRole.Target);
    static readonly Arg<IReadOnlyList<string>> Uris = Arg.List("uri", "Repository URL(s).", required: true, examples: ["https://deb.nodesource.com/node_22.x"], aliases: ["uris"]);
    static readonly Arg<IReadOnlyList<string>> Suites = Arg.List("suites", "Suites (a distribution codename, or ./ for a flat repository).", required: true, examples: ["bookworm", "./"], aliases: ["suite"]);
    static readonly Arg<IReadOnlyList<string>> Components = Arg.List("components", "Components (none for a flat repository).", examples: ["main"]);
    static readonly Arg<byte[]?> Key = Arg.Bytes("key", "The repository's public signing key (armored or binary), usually key=@file; stored as /etc/apt/keyrings/NAME.gpg.", examples: ["@repo.asc"]);
    static readonly Arg<string?> Keyring = Arg.String("keyring", "An existing keyring file to use as Signed-By instead of key=.", examples: ["/usr/share/keyrings/nodesource.gpg"], path: PathUse.Read);
    static readonly Arg<IReadOnlyList<string>> Types = Arg.List("types", "deb and/or deb-src.", choices: ["deb", "deb-src"], @default: ["deb"]);
    static readonly Arg<IReadOnlyList<string>> Arch = Arg.List("arch", "Only these architectures.", examples: ["amd64"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("repo.add", Effect.Mutate,
        "Add an apt source as a deb822 .sources file with its own Signed-By keyring; the same source again is `changed: false`.",
        [Name, Uris, Suites, Components, Key, Keyring, Types, Arch, PackageManager.ManagerArg], () => PkgJson.Default.PkgRepoChangeResult, RunAsync,
        examples:
        [
            new("'pkg://nodesource.repo.add(uri=https://deb.nodesource.com/node_22.x,suites=nodistro,components=main,key=@nodesource.asc)'", "A vendor repository, signed by its own key only."),
        ],
        notes: "An armored key is converted with gpg --dearmor. The key is trusted for this source only (Signed-By), never added to the global trusted.gpg. Run pkg://.update (repo=NAME) afterwards.",
        targetHelp: "The source's name (pkg://NAME.repo.add), or empty with name=.");

    static async ValueTask<Outcome<PkgRepoChangeResult>> RunAsync(VerbContext ctx)
    {
        PkgFlow.RequireRoot(ctx);
        if (PackageManager.Open(ctx) is not AptManager) return ReshError.Unsupported("repo.add is implemented for apt.", null);
        var name = AptSources.CheckName(ctx.Get(Name) ?? (ctx.Target.Length > 0 ? ctx.Target : throw ReshError.Usage("Name the source: name= (or pkg://NAME.repo.add).", null).ToException()));
        var uris = ctx.Get(Uris).Select(u => AptSources.CheckWord(u, "uri")).ToList();
        foreach (var u in uris)
            if (!(u.StartsWith("http://", StringComparison.Ordinal) || u.StartsWith("https://", StringComparison.Ordinal) || u.StartsWith("file:", StringComparison.Ordinal)
                  || u.StartsWith("mirror+", StringComparison.Ordinal) || u.StartsWith("cdrom:", StringComparison.Ordinal)))
                return ReshError.Usage($"uri `{u}` is not an apt URI (http, https, file, mirror+).", null);
        var suites = ctx.Get(Suites).Select(s => AptSources.CheckWord(s, "suite")).ToList();
        var components = ctx.Get(Components).Select(c => AptSources.CheckWord(c, "component")).ToList();
        if (suites.Any(s => s.EndsWith('/')) && components.Count > 0) return ReshError.Usage("A flat repository (suite ending in /) takes no components.", null);
        var archs = ctx.Get(Arch).Select(a => AptSources.CheckWord(a, "arch")).ToList();
        string? signedBy = ctx.Get(Keyring) is { } kr ? AptSources.CheckWord(kr, "keyring") : null;
        byte[]? keyBytes = null;
        string? keyPath = null;
        if (ctx.Get(Key) is { } key)
        {
            if (signedBy is not null) return ReshError.Usage("Give key= or keyring=, not both.", null);
            keyBytes = Encoding.ASCII.GetString(key, 0, Math.Min(key.Length, 64)).Contains("-----BEGIN PGP PUBLIC KEY BLOCK-----")
                ? await DearmorAsync(key, ctx.Cancellation).ConfigureAwait(false) : key;
            keyPath = Path.Combine(AptSources.KeyringDir, name + ".gpg");
            signedBy = keyPath;
        }
        else if (signedBy is not null && (!signedBy.StartsWith('/') || !File.Exists(signedBy)))
            return ReshError.NotFound($"keyring {signedBy} does not exist.", "Give an absolute path to a keyring file, or key=@file.");
        var content = AptSources.Render(ctx.Get(Types), uris, suites, components, signedBy, archs);
        var file = Path.Combine(AptSources.SourcesDir, name + ".sources");
        var old = File.Exists(file) ? await File.ReadAllTextAsync(file, ctx.Cancellation).ConfigureAwait(false) : null;
        var keyChanged = keyPath is not null && (!File.Exists(keyPath) || !File.ReadAllBytes(keyPath).AsSpan().SequenceEqual(keyBytes));
        var repo = AptSources.Deb822(file, content).First();
        if (old == content && !keyChanged) return new PkgRepoChangeResult(name, file, keyPath, repo, null);
        var diff = Diff.Unified(old, content, file);
        if (!ctx.DryRun)
        {
            if (keyPath is not null && keyChanged)
            {
                Directory.CreateDirectory(AptSources.KeyringDir);
                AtomicFile.Write(keyPath, keyBytes, (UnixFileMode)0x1a4);
            }
            Directory.CreateDirectory(AptSources.SourcesDir);
            AtomicFile.Write(file, Encoding.UTF8.GetBytes(content), (UnixFileMode)0x1a4);
        }
        return Outcome.Changed(new PkgRepoChangeResult(name, file, keyPath, repo, diff));
    }

    static async Task<byte[]> DearmorAsync(byte[] armored, CancellationToken ct)
    {
        var gpg = ProcessRunner.Which("gpg") ?? throw ReshError.Unavailable("gpg is needed to convert an armored key.", "Install gnupg, or pass a binary key.").ToException();
        var home = Directory.CreateTempSubdirectory("resh-gpg-");
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo(gpg) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--homedir", home.FullName, "--batch", "--dearmor" }) psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            var output = new MemoryStream();
            var copy = p.StandardOutput.BaseStream.CopyToAsync(output, ct);
            var err = p.StandardError.ReadToEndAsync(ct);
            await p.StandardInput.BaseStream.WriteAsync(armored, ct).ConfigureAwait(false);
            p.StandardInput.Close();
            await p.WaitForExitAsync(ct).ConfigureAwait(false);
            await copy.ConfigureAwait(false);
            if (p.ExitCode != 0 || output.Length == 0) throw ReshError.Usage($"key is not an OpenPGP public key: {(await err.ConfigureAwait(false)).Trim()}", null).ToException();
            return output.ToArray();
        }
        finally { home.Delete(true); }
    }
}

public static class PkgRepoRemove
{
    static readonly Arg<string?> Name = Arg.String("name", "The source's name (from repo.list); or the target.", examples: ["nodesource"], role: ArgRole.Target);

    public static readonly VerbInfo Verb = VerbInfo.Define("repo.remove", Effect.Mutate,
        "Remove an apt source file (NAME.sources or NAME.list) and the keyring resh stored for it; absent is `changed: false`.",
        [Name, PackageManager.ManagerArg], () => PkgJson.Default.PkgRepoChangeResult, Run,
        examples: [new("pkg://nodesource.repo.remove", "Gone, with /etc/apt/keyrings/nodesource.gpg.")],
        targetHelp: "The source's name (pkg://NAME.repo.remove), or empty with name=.");

    static Outcome<PkgRepoChangeResult> Run(VerbContext ctx)
    {
        PkgFlow.RequireRoot(ctx);
        if (PackageManager.Open(ctx) is not AptManager) return ReshError.Unsupported("repo.remove is implemented for apt.", null);
        var name = AptSources.CheckName(ctx.Get(Name) ?? (ctx.Target.Length > 0 ? ctx.Target : throw ReshError.Usage("Name the source: name=.", null).ToException()));
        var file = new[] { ".sources", ".list" }.Select(e => Path.Combine(AptSources.SourcesDir, name + e)).FirstOrDefault(File.Exists);
        var keyring = Path.Combine(AptSources.KeyringDir, name + ".gpg");
        var hasKey = File.Exists(keyring);
        if (hasKey && UsedElsewhere(keyring, file) is { } user)
        {
            // Another source still verifies with it: removing it would break that source's updates.
            ctx.Warn($"{keyring} is kept: {user} still uses it.");
            hasKey = false;
        }
        if (file is null && !hasKey) return new PkgRepoChangeResult(name, Path.Combine(AptSources.SourcesDir, name + ".sources"), null, null, null);
        string? diff = file is null ? null : Diff.Unified(File.ReadAllText(file), "", file);
        if (!ctx.DryRun)
        {
            if (file is not null) File.Delete(file);
            if (hasKey) File.Delete(keyring);
        }
        return Outcome.Changed(new PkgRepoChangeResult(name, file ?? Path.Combine(AptSources.SourcesDir, name + ".sources"), hasKey ? keyring : null, null, diff));
    }

    /// <summary>The first other apt source file that names the keyring, or null.</summary>
    static string? UsedElsewhere(string keyring, string? removed)
    {
        var candidates = (Directory.Exists(AptSources.SourcesDir) ? Directory.GetFiles(AptSources.SourcesDir) : []).Append("/etc/apt/sources.list");
        foreach (var f in candidates)
        {
            if (f == removed || !(f.EndsWith(".sources", StringComparison.Ordinal) || f.EndsWith(".list", StringComparison.Ordinal))) continue;
            try { if (File.ReadAllText(f).Contains(keyring, StringComparison.Ordinal)) return f; }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }
}
