using Resh.Core.Platform;
using Xunit;

namespace Resh.Core.Tests.Platform;

public class CreatorPidTests
{
    [Fact]
    public void The_pid_is_the_decimal_digits_before_the_first_dash()
    {
        Assert.Equal(1234, CreatorPid.Parse("1234-hello-0123abcd", out var rest));
        Assert.Equal("hello-0123abcd", rest);
        Assert.Equal(7, CreatorPid.Parse("7-", out rest));
        Assert.Equal("", rest);
    }

    [Theory]
    [InlineData("+1234-x")]   // int.TryParse's default styles take a sign
    [InlineData(" 1234-x")]   // ... and leading white space
    [InlineData("1234 -x")]
    [InlineData("0x10-x")]
    [InlineData("1e3-x")]
    [InlineData("-1234-x")]
    [InlineData("0-x")]
    [InlineData("99999999999-x")]
    [InlineData("1234")]
    [InlineData("")]
    [InlineData("١٢٣-x")]     // Arabic-Indic digits are not a PID
    public void Anything_else_is_no_pid(string name)
    {
        Assert.Null(CreatorPid.Parse(name, out var rest));
        Assert.Equal("", rest);
    }

    [Fact]
    public void This_process_runs_and_a_pid_above_pid_max_does_not()
    {
        Assert.True(CreatorPid.Runs(Environment.ProcessId));
        Assert.True(CreatorPid.Runs(1));
        Assert.False(CreatorPid.Runs(int.MaxValue));
    }
}
