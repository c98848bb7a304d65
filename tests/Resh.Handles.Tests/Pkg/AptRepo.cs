using System.Diagnostics;
using Resh.Handles.Tests.Svc;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Pkg;

/// <summary>
/// A signed local apt repository of resh-test-* packages (tests/setup/pkg-repo.sh), added to the
/// machine's apt sources through resh itself (pkg://NAME.repo.add) and refreshed on its own
/// (pkg://.update(repo=NAME)), so no other source is fetched. Dispose removes the source, its keyring
/// and lists, and purges every resh-test-* package, even when a test failed.
/// </summary>
public sealed class AptRepo : IDisposable
{
    readonly TempDir _dir = new("reshpkg");
    FileStream? _machineLock;

    public AptRepo()
    {
        Namespaced.RequireRoot();
        _machineLock = TakeMachineLock();
        Name = "resh-test-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            RepoPath = Namespaced.Setup("pkg-repo.sh", "build", _dir.Path);
            var add = ReshBinary.Run($"pkg://{Name}.repo.add", $"uri=file:{RepoPath}", "suites=./", $"key=@{_dir["key.asc"]}");
            if (!add.Ok) throw new InvalidOperationException("repo.add failed: " + add);
            AddResult = add;
            var update = ReshBinary.Run($"pkg://.update(repo={Name})");
            if (!update.Ok) throw new InvalidOperationException("update failed: " + update);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name { get; }
    public string RepoPath { get; } = "";
    public string Dir => _dir.Path;
    public ReshRun AddResult { get; } = null!;

    public void Publish(string version) => Namespaced.Setup("pkg-repo.sh", "publish", _dir.Path, version);

    /// <summary>No resh-test-* package installed or held: each test starts from the same machine state.</summary>
    public void Reset() => Namespaced.Setup("pkg-repo.sh", "reset", _dir.Path);

    /// <summary>The version apt would install now (the repository may have gained 1.1 in another test).</summary>
    public static string Candidate(string name) =>
        ReshBinary.Run($"pkg://{name}.info").Result!["candidate"]!.GetValue<string>();

    /// <summary>The installed version of a package according to dpkg itself, or null.</summary>
    public static string? DpkgVersion(string name)
    {
        var r = Sh("dpkg-query", "-W", "-f", "${db:Status-Abbrev} ${Version}", name);
        // "ii" installed, "hi" installed and held.
        return r.Code == 0 && r.Out.Length > 2 && r.Out[1] == 'i' && r.Out[0] is 'i' or 'h' ? r.Out.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] : null;
    }

    public static (int Code, string Out) Sh(params string[] argv)
    {
        var psi = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, o.Trim());
    }

    /// <summary>
    /// dpkg's database is machine-wide and reset/clean purge every resh-test-* package: two test runs
    /// (two worktrees) must not interleave, so the fixture holds an exclusive lock on a file in /tmp
    /// for its lifetime (FileShare.None is an flock on Linux), waiting up to 15 minutes for another run.
    /// </summary>
    static FileStream TakeMachineLock()
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try { return new FileStream("/tmp/resh-pkg-tests.lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (sw.Elapsed < TimeSpan.FromMinutes(15)) { Thread.Sleep(500); }
        }
    }

    public void Dispose()
    {
        try { Namespaced.Setup("pkg-repo.sh", "clean", _dir.Path, Name); }
        catch (Exception) { /* best effort: still remove the directory */ }
        _dir.Dispose();
        _machineLock?.Dispose();
        _machineLock = null;
    }
}

[CollectionDefinition(Name)]
public sealed class AptRepoCollection : ICollectionFixture<AptRepo>
{
    public const string Name = "apt test repository";
}
