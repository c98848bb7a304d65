using Resh.Core.Cli;
using Xunit;

namespace Resh.Core.Tests.Cli;

public class EnvelopeTargetTests
{
    [Theory]
    [InlineData("postgres:pgpw@127.0.0.1:5432/app", "postgres:***@127.0.0.1:5432/app")]
    [InlineData(":sekret1@127.0.0.1:6379", ":***@127.0.0.1:6379")]
    [InlineData("u:p@ss@host/x", "u:***@host/x")]
    [InlineData("resh@127.0.0.1:5432/app", "resh@127.0.0.1:5432/app")]        // no password: unchanged
    [InlineData("127.0.0.1:6379", "127.0.0.1:6379")]
    [InlineData("/etc/a:b@c", "/etc/a:b@c")]                                  // a path, not an authority
    [InlineData("web01/svc://u:p@x", "web01/svc://u:p@x")]                    // only the first stage's authority
    public void A_password_in_the_authority_is_never_shown(string raw, string shown) =>
        Assert.Equal(shown, Invocation.WithoutPassword(raw));
}
