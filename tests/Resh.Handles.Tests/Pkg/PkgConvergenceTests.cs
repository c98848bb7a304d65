using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Pkg;

/// <summary>
/// Every changing pkg:// verb on the real apt/dpkg: --dry-run reports the change and leaves dpkg's
/// database, holds and apt's sources exactly as they were, the real run changes them, and the same
/// call again is `changed: false` (also as a dry run).
/// </summary>
[Collection(AptRepoCollection.Name)]
public sealed class PkgConvergenceTests(AptRepo repo)
{
    /// <summary>What a pkg:// verb may change: resh-test-* packages with state, holds, apt sources and keyrings.</summary>
    static string World()
    {
        var sb = new StringBuilder();
        sb.Append(AptRepo.Sh("dpkg-query", "-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}\n", "resh-test-*").Out);
        sb.Append(AptRepo.Sh("apt-mark", "showhold").Out);
        foreach (var d in new[] { "/etc/apt/sources.list.d", "/etc/apt/keyrings" })
            if (Directory.Exists(d))
                foreach (var f in Directory.GetFiles(d).Order()) sb.Append(f).Append(File.ReadAllText(f));
        return sb.ToString();
    }

    static void Converge(params string[] call)
    {
        var label = string.Join(' ', call);
        var before = World();
        var dry = ReshBinary.Run([.. call, "--dry-run"]);
        Assert.True(dry.Ok, dry.ToString());
        Assert.True(dry.Changed, $"dry run of {label} should report a change: {dry}");
        Assert.True(dry.Envelope["dry_run"]!.GetValue<bool>());
        Assert.Equal(before, World());
        var real = ReshBinary.Run(call);
        Assert.True(real.Ok, real.ToString());
        Assert.True(real.Changed, $"{label}: {real}");
        Assert.NotEqual(before, World());
        var after = World();
        var again = ReshBinary.Run(call);
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed, $"second {label} should be changed:false: {again}");
        Assert.Equal(after, World());
        var dryAgain = ReshBinary.Run([.. call, "--dry-run"]);
        Assert.False(dryAgain.Changed, $"dry run of a converged {label}: {dryAgain}");
    }

    [Fact]
    public void Every_changing_verb_dry_runs_without_touching_dpkg_or_apt_and_is_unchanged_the_second_time()
    {
        repo.Reset();
        // A second source for a copy of the repository (apt refuses two Signed-By values for one URI).
        var copy = Path.Combine(repo.Dir, "copy");
        Assert.Equal(0, AptRepo.Sh("cp", "-a", repo.RepoPath, copy).Code);
        var name = "resh-test-conv" + Guid.NewGuid().ToString("N")[..6];
        try
        {
            Converge("pkg://resh-test-lib.install");
            Assert.NotNull(AptRepo.DpkgVersion("resh-test-lib"));
            Converge("pkg://resh-test-lib.hold");
            Assert.Contains("resh-test-lib", AptRepo.Sh("apt-mark", "showhold").Out);
            Converge("pkg://resh-test-lib.unhold");
            Assert.DoesNotContain("resh-test-lib", AptRepo.Sh("apt-mark", "showhold").Out);
            Converge("pkg://resh-test-lib.remove", "purge=true");
            Assert.Null(AptRepo.DpkgVersion("resh-test-lib"));
            Converge($"pkg://{name}.repo.add", $"uri=file:{copy}", "suites=./", $"key=@{repo.Dir}/key.asc");
            Assert.True(File.Exists($"/etc/apt/sources.list.d/{name}.sources"));
            Converge($"pkg://{name}.repo.remove");
            Assert.False(File.Exists($"/etc/apt/sources.list.d/{name}.sources"));
            Assert.False(File.Exists($"/etc/apt/keyrings/{name}.gpg"));
        }
        finally
        {
            ReshBinary.Run($"pkg://{name}.repo.remove");
            repo.Reset();
        }
    }
}
