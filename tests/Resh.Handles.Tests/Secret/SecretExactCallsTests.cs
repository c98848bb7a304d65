using Xunit;

namespace Resh.Handles.Tests.Secret;

/// <summary>The secret:// calls issue 12 lists "exactly as written", run verbatim (as the shell splits them) through the native binary.</summary>
public sealed class SecretExactCallsTests
{
    [Fact]
    public void The_issue_calls_work_exactly_as_written()
    {
        using var kit = new SecretKit();

        // printf 's3cret' | ./resh secret://db/app.set value=@-
        var set = kit.Stdin("s3cret", "secret://db/app.set", "value=@-");
        Assert.True(set.Ok && set.Changed, set.ToString());

        // ./resh secret://db/app.get                 # value "***"
        var get = kit.Run("secret://db/app.get");
        Assert.True(get.Ok, get.ToString());
        Assert.Equal("***", get.Result!["value"]!.GetValue<string>());
        Assert.DoesNotContain("s3cret", get.Stdout);

        // ./resh secret://db/app.get reveal=true --format raw
        var raw = kit.Run("secret://db/app.get", "reveal=true", "--format", "raw");
        Assert.Equal(0, raw.ExitCode);
        Assert.Equal("s3cret", raw.Stdout);

        // ./resh secret://.list
        var list = kit.Run("secret://.list");
        Assert.True(list.Ok, list.ToString());
        Assert.Equal("db/app", list.Result!["secrets"]![0]!["name"]!.GetValue<string>());
        Assert.DoesNotContain("s3cret", list.Stdout);

        // ./resh 'secret://.exec(command=env,env=DB_PASSWORD:db/app)'
        var exec = kit.Run("secret://.exec(command=env,env=DB_PASSWORD:db/app)");
        Assert.True(exec.Ok, exec.ToString());
        Assert.Contains("DB_PASSWORD=***", exec.Result!["stdout"]!.GetValue<string>());
        Assert.DoesNotContain("s3cret", exec.Stdout + exec.Stderr);
    }
}
