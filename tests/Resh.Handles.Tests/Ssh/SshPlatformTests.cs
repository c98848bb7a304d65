using System.Diagnostics;
using Resh.Core.Errors;
using Resh.Handles.Ssh.Remote;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

/// <summary>
/// What a host without the build reports (OS, architecture, libc) and whether this build may be sent there:
/// the real probe line run by a local sh, with getconf/ldd replaced on PATH to play an old glibc or musl host.
/// </summary>
public sealed class SshPlatformTests
{
    static readonly RemoteBinary Binary = new("/nonexistent/resh", new string('a', 64), "x86_64");

    /// <summary>Runs the missing-build half of the remote line in a fresh HOME; fake tools (name → script) go first on PATH.</summary>
    static RemotePlatform Probe(params (string Name, string Script)[] fakes)
    {
        using var dir = new TempDir("probe");
        var bin = Directory.CreateDirectory(dir["bin"]).FullName;
        foreach (var (name, script) in fakes)
        {
            File.WriteAllText(Path.Combine(bin, name), "#!/bin/sh\n" + script + "\n");
            File.SetUnixFileMode(Path.Combine(bin, name), (UnixFileMode)0x1ed);
        }
        var line = new RemoteRunner(null!, Binary).Script(["system://.hostname"], null);
        var psi = new ProcessStartInfo("sh", ["-c", line]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["HOME"] = dir.Path;
        psi.Environment["XDG_CACHE_HOME"] = dir["cache"];
        psi.Environment["PATH"] = bin + ":/usr/sbin:/usr/bin:/sbin:/bin";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(97, p.ExitCode);
        var marker = stdout.Split('\n').Single(l => l.StartsWith(RemoteRunner.MissingMarker, StringComparison.Ordinal));
        var platform = RemotePlatform.Parse(marker);
        Assert.NotNull(platform);
        Assert.StartsWith(dir["cache"], platform.TempFile);
        Assert.True(File.Exists(platform.TempFile), "the probe prepares the temporary file the upload writes into");
        return platform;
    }

    [Fact]
    public void This_host_reports_its_glibc_and_may_receive_the_build()
    {
        var platform = Probe();
        var getconf = Shell.Run("getconf GNU_LIBC_VERSION").Stdout.Trim(); // "glibc 2.36"
        Assert.Equal("glibc-" + getconf["glibc ".Length..], platform.Libc);
        Assert.Equal(("Linux", "x86_64"), (platform.Os, platform.Arch));
        Assert.Null(platform.Check("box", "x86_64", ElfGlibc.Required(ReshBinary.Path)));
    }

    [Fact]
    public void An_older_glibc_is_unsupported_naming_both_versions()
    {
        var platform = Probe(("getconf", "echo 'glibc 2.17'"));
        Assert.Equal("glibc-2.17", platform.Libc);
        var error = platform.Check("old7", "x86_64", new Version(2, 34));
        Assert.NotNull(error);
        Assert.Equal("unsupported", error.Code.ToWire());
        Assert.Equal("old7 has glibc 2.17; this resh build needs glibc 2.34 or newer.", error.Message);
        Assert.Contains("ssh://old7.exec", error.Hint!);
        Assert.Equal("2.34", error.Details!["required_glibc"]!.GetValue<string>());
        Assert.Equal("glibc-2.17", error.Details!["libc"]!.GetValue<string>());
        // The same glibc or a newer one is fine.
        Assert.Null(RemotePlatform.Parse($"{RemoteRunner.MissingMarker} Linux x86_64 glibc-2.34 /h/t")!.Check("h", "x86_64", new Version(2, 34)));
        Assert.Null(RemotePlatform.Parse($"{RemoteRunner.MissingMarker} Linux x86_64 glibc-2.41 /h/t")!.Check("h", "x86_64", new Version(2, 34)));
    }

    [Fact]
    public void Musl_is_unsupported_with_a_hint()
    {
        var platform = Probe(("getconf", "exit 1"), ("ldd", "echo 'musl libc (x86_64)' >&2; echo 'Version 1.2.4' >&2; exit 1"));
        Assert.Equal("musl", platform.Libc);
        var error = platform.Check("alp", "x86_64", new Version(2, 34));
        Assert.NotNull(error);
        Assert.Equal("unsupported", error.Code.ToWire());
        Assert.Equal("alp uses musl libc; this resh build needs glibc 2.34 or newer.", error.Message);
        Assert.Contains("ssh://alp.exec", error.Hint!);
    }

    [Fact]
    public void A_libc_the_probe_cannot_name_is_tried_and_another_architecture_is_refused()
    {
        var platform = Probe(("getconf", "exit 1"), ("ldd", "exit 127"));
        Assert.Equal("unknown", platform.Libc);
        Assert.Null(platform.Check("odd", "x86_64", new Version(2, 34)));

        var arm = RemotePlatform.Parse($"{RemoteRunner.MissingMarker} Linux aarch64 glibc-2.36 /home/u/.cache/resh/x/resh.tmp.1")!;
        var error = arm.Check("pi", "x86_64", new Version(2, 34));
        Assert.NotNull(error);
        Assert.Equal("pi is Linux aarch64; this resh build runs on Linux x86_64 only.", error.Message);
        Assert.Contains("linux-arm64", error.Hint!);
        Assert.Equal("/home/u/.cache/resh/x/resh.tmp.1", arm.TempFile);
        Assert.Null(RemotePlatform.Parse($"{RemoteRunner.MissingMarker} Linux x86_64 /only/four/fields"));
    }

    [Fact]
    public void Architectures_are_read_in_both_spellings_and_any_other_is_unsupported()
    {
        Assert.Equal("aarch64", RemoteBuilds.Normalize("arm64"));
        Assert.Equal("aarch64", RemoteBuilds.Normalize("aarch64"));
        Assert.Equal("x86_64", RemoteBuilds.Normalize("amd64"));
        Assert.Null(RemoteBuilds.Normalize("armv7l"));
        var builds = new RemoteBuilds(Binary);
        Assert.Same(Binary, builds.For("x86_64"));
        Assert.Null(builds.For("riscv64"));
        foreach (var (os, arch) in new[] { ("Linux", "riscv64"), ("Linux", "armv7l"), ("FreeBSD", "amd64") })
        {
            var error = builds.NoBuild("odd", RemotePlatform.Parse($"{RemoteRunner.MissingMarker} {os} {arch} unknown /h/t")!);
            Assert.Equal("unsupported", error.Code.ToWire());
            Assert.Equal($"odd is {os} {arch}; resh is built for Linux x86_64 and aarch64 only.", error.Message);
            Assert.Contains("ssh://odd.exec", error.Hint!);
        }
        // A musl host of a supported architecture stays unsupported: there is no musl build.
        Assert.Equal("unsupported", RemotePlatform.Parse($"{RemoteRunner.MissingMarker} Linux arm64 musl /h/t")!.Check("alp", "aarch64", new Version(2, 34))!.Code.ToWire());
    }

    [Fact]
    public void The_required_glibc_read_from_the_binary_is_what_objdump_lists()
    {
        var objdump = Shell.Run($"objdump -T {Shell.Q(ReshBinary.Path)} | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1");
        Assert.Equal(0, objdump.ExitCode);
        Assert.Equal(Version.Parse(objdump.Stdout.Trim()), ElfGlibc.Required(ReshBinary.Path));
        using var dir = new TempDir("elf");
        Assert.Null(ElfGlibc.Required(dir.File("script.sh", "#!/bin/sh\necho hi\n")));
        Assert.Null(ElfGlibc.Required(dir["missing"]));
        var truncated = dir["truncated"];
        File.WriteAllBytes(truncated, File.ReadAllBytes(ReshBinary.Path).AsSpan(0, 4096).ToArray());
        Assert.Null(ElfGlibc.Required(truncated));
    }
}
