using Xunit;

namespace Resh.Core.Tests.Cli;

/// <summary>Bad input is a `usage` envelope (exit 2) whose hint names the closest valid spelling.</summary>
public sealed class UsageErrorTests
{
    static void AssertUsage(InProcess.Result r, string? hintContains = null)
    {
        Assert.Equal(2, r.Exit);
        Assert.Equal("usage", r.Code);
        Assert.False(r.Envelope["ok"]!.GetValue<bool>());
        Assert.Null(r.Envelope["result"]);
        if (hintContains is not null) Assert.Contains(hintContains, r.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void Unknown_handle_suggests_the_closest_scheme() => AssertUsage(InProcess.Run("tt://x.read"), "t://");

    [Fact]
    public void A_handle_name_without_scheme_separator_shows_how_to_write_a_stage() => AssertUsage(InProcess.Run("t"), "t://");

    [Fact]
    public void Unknown_argument_suggests_the_closest_argument() => AssertUsage(InProcess.Run("t://x.read(nmae=a)"), "`name`");

    [Fact]
    public void Unknown_flag_suggests_the_closest_flag() => AssertUsage(InProcess.Run("t://x.read", "--forse"), "--force");

    [Fact]
    public void Unknown_global_flag_before_the_stage_is_usage() => AssertUsage(InProcess.Run("--formt", "json", "t://x.read"), "--format");

    [Fact]
    public void Bad_integer_is_usage() => AssertUsage(InProcess.Run("t://x.read(count=abc)"));

    [Fact]
    public void Out_of_range_integer_is_usage() => AssertUsage(InProcess.Run("t://x.read(count=5000)"));

    [Fact]
    public void Bad_enum_value_suggests_the_closest_choice() => AssertUsage(InProcess.Run("t://x.read(mode=slwo)"), "`slow`");

    [Fact]
    public void Bad_duration_is_usage() => AssertUsage(InProcess.Run("t://x.read(wait=soon)"));

    [Fact]
    public void Bad_size_is_usage() => AssertUsage(InProcess.Run("t://x.read(max=big)"));

    [Fact]
    public void Bad_bool_is_usage() => AssertUsage(InProcess.Run("t://x.read(force=maybe)"));

    [Fact]
    public void Bad_json_after_colon_equals_is_usage() => AssertUsage(InProcess.Run("t://x.read", "data:={nope"));

    [Fact]
    public void Scalar_given_twice_is_usage() => AssertUsage(InProcess.Run("t://x.read", "name=a", "name=b"));

    [Fact]
    public void Missing_required_argument_is_usage_and_names_it() => AssertUsage(InProcess.Run("t://x.need"), "needed=");

    [Fact]
    public void Bare_word_without_positional_argument_is_usage() => AssertUsage(InProcess.Run("t://x.read", "stray"));

    [Fact]
    public void Missing_at_file_is_usage() => AssertUsage(InProcess.Run("t://x.read", "name=@/no/such/file"));

    [Fact]
    public void Stdin_twice_is_usage() => AssertUsage(InProcess.Run("t://x.read", "name=@-", "content=@-"));

    [Fact]
    public void Args_that_are_not_an_object_are_usage() => AssertUsage(InProcess.Run("t://x.read", "--args", "[1]"));

    [Fact]
    public void Bad_format_is_usage() => AssertUsage(InProcess.Run("t://x.read", "--format", "xml"));

    [Fact]
    public void A_usage_error_still_honours_the_requested_format()
    {
        var r = InProcess.Run("t://x.raed", "--format", "json-pretty");
        Assert.Equal(2, r.Exit);
        Assert.Contains("\n  \"ok\": false", r.Stdout);
    }

    [Fact]
    public void A_secret_value_never_appears_in_an_error()
    {
        var r = InProcess.Run("t://x.read", "password=hunter2", "password=hunter3");
        Assert.Equal(2, r.Exit);
        Assert.DoesNotContain("hunter", r.Stdout);
    }
}
