using Resh.Core.Errors;
using Resh.Handles.Pkg;
using Xunit;

namespace Resh.Handles.Tests.Pkg;

public sealed class PackageSpecTests
{
    [Theory]
    [InlineData("curl", "curl", null, null)]
    [InlineData("nginx=1.22.1-9", "nginx", null, "1.22.1-9")]
    [InlineData("libc6:amd64=2.36-9+deb12u4", "libc6", "amd64", "2.36-9+deb12u4")]
    [InlineData("g++", "g++", null, null)]
    [InlineData("openssl-libs=1:3.0.9-2.fc38", "openssl-libs", null, "1:3.0.9-2.fc38")]
    public void Names_arches_and_pins_are_split(string text, string name, string? arch, string? version)
    {
        var s = PackageSpec.Parse(text);
        Assert.Equal((name, arch, version), (s.Name, s.Arch, s.Version));
        Assert.Equal(text, s.Apt);
    }

    [Theory]
    [InlineData("-o")]
    [InlineData("a b")]
    [InlineData("x;id")]
    [InlineData("curl=")]
    [InlineData("curl=-1")]
    [InlineData(":amd64")]
    public void Anything_else_is_a_usage_error(string text) =>
        Assert.Equal(ErrorCode.Usage, Assert.Throws<ReshException>(() => PackageSpec.Parse(text)).Error.Code);

    [Theory]
    [InlineData("1.0", "1.1", -1)]
    [InlineData("1.0~rc1", "1.0", -1)]
    [InlineData("1:1.0", "2.0", 1)]
    [InlineData("7.88.1-10+deb12u14", "7.88.1-10+deb12u5", 1)]
    [InlineData("1.0-1", "1.0-1", 0)]
    [InlineData("2.36-9+deb12u4", "2.36-9", 1)]
    public void Debian_versions_order_as_dpkg_orders_them(string a, string b, int sign) => Assert.Equal(sign, Math.Sign(DebVersion.Compare(a, b)));

    [Fact]
    public void Apt_simulation_and_history_lines_are_read()
    {
        var plan = AptManager.ParseSimulation("NOTE: This is only a simulation!\nInst resh-test-lib (1.0 resh-test:localhost [all])\nInst libcurl4 [7.88.1-10+deb12u5] (7.88.1-10+deb12u14 Debian-Security:12/stable-security [amd64])\nRemv foo [1.2]\nConf resh-test-lib (1.0 resh-test:localhost [all])\n");
        Assert.Equal(["install resh-test-lib  1.0 all", "upgrade libcurl4 7.88.1-10+deb12u5 7.88.1-10+deb12u14 amd64", "remove foo 1.2  "],
            plan.Select(a => $"{a.Action} {a.Name} {a.From} {a.To} {a.Arch}"));
        var history = AptManager.ParseHistory("\nStart-Date: 2026-12-05  10:58:12\nCommandline: apt-get install -y curl\nInstall: curl:amd64 (7.88.1-10+deb12u14), libcurl4:amd64 (7.88.1-10+deb12u14, automatic)\nUpgrade: zlib1g:amd64 (1:1.2.13.dfsg-1, 1:1.2.13.dfsg-2)\nEnd-Date: 2026-12-05  10:58:14\n");
        var e = Assert.Single(history);
        Assert.Equal("apt-get install -y curl", e.Commandline);
        Assert.Equal(["install curl", "install libcurl4", "upgrade zlib1g"], e.Actions.Select(a => $"{a.Action} {a.Name}"));
        Assert.Equal("1:1.2.13.dfsg-2", e.Actions[2].To);
    }
}
