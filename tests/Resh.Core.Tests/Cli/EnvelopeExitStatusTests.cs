using Resh.Core.Errors;
using Resh.Core.Output;
using Xunit;

namespace Resh.Core.Tests.Cli;

/// <summary>A verb may give the exit status (a command's own), but a failed envelope never exits 0 (s32 attacker #4: lock.run).</summary>
public class EnvelopeExitStatusTests
{
    static Envelope Of(bool ok, int? own, ErrorCode? code = null) => new()
    {
        Ok = ok, Handle = "lock", Verb = "run", Target = "x", ExitStatusOverride = own,
        Error = code is { } c ? new ReshError(c, "m", null) : null,
    };

    [Fact]
    public void The_override_counts_except_a_zero_on_a_failed_envelope()
    {
        Assert.Equal(0, Of(true, null).ExitStatus);
        Assert.Equal(3, Of(false, 3, ErrorCode.Failed).ExitStatus);
        Assert.Equal(4, Of(true, 4).ExitStatus);
        Assert.Equal(ErrorCode.Failed.ExitStatus(), Of(false, 0, ErrorCode.Failed).ExitStatus);
        Assert.Equal(ErrorCode.Conflict.ExitStatus(), Of(false, 0, ErrorCode.Conflict).ExitStatus);
        Assert.NotEqual(0, Of(false, 0, ErrorCode.Failed).ExitStatus);
    }
}
