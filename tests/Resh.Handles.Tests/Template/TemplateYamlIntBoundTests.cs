using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Handles.Config.Formats;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Template;

/// <summary>
/// Review s36 attacker #7: YAML 1.1 integers in vars= were built digit by digit (quadratic: 2 MB of digits took 73 s of CPU,
/// outside --timeout). Now an integer of more than 4300 digits (Python's limit) is a usage error, and the digits of
/// 0b/0o/0x integers are read a machine word at a time, so no vars file parses for long.
/// </summary>
public sealed class TemplateYamlIntBoundTests : IDisposable
{
    readonly TempDir _dir = new("yamlint");
    public void Dispose() => _dir.Dispose();

    ReshRun Render(string vars, string inline = "{{ a|string|length }}", params string[] more) =>
        ReshBinary.Run(["template://.render", $"inline={inline}", $"vars=@{vars}", "--format", "json", .. more], env: new Dictionary<string, string> { ["RESH_HOME"] = _dir["home"] });

    [Theory]
    [InlineData("1", 2_000_000)]
    [InlineData("0b1", 800_000)]
    [InlineData("0x1", 200_000)]
    [InlineData("01", 600_000)]
    public void An_integer_over_4300_digits_is_a_usage_error_at_once(string head, int zeros)
    {
        var vars = _dir.File("big.yml", "a: " + head + new string('0', zeros) + "\n");
        var clock = Stopwatch.StartNew();
        var run = Render(vars);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("4300 digits", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.NotNull(run.Envelope["error"]!["hint"]);
    }

    [Fact]
    public void A_sexagesimal_integer_over_the_bound_is_refused_too()
    {
        var vars = _dir.File("sexa.yml", "a: 1" + string.Concat(Enumerable.Repeat(":59", 300_000)) + "\n");
        var clock = Stopwatch.StartNew();
        var run = Render(vars);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Equal("usage", run.ErrorCode);
    }

    [Fact]
    public void Integers_up_to_the_bound_keep_their_exact_value_and_many_of_them_parse_quickly()
    {
        // The values as PyYAML reads them (YAML 1.1): 0b, 0 (octal), 0x, sexagesimal, decimal, with underscores.
        Assert.Equal("10", YamlFormat.Yaml11Value("0b1010")!.ToJsonString());
        Assert.Equal("511", YamlFormat.Yaml11Value("0777")!.ToJsonString());
        Assert.Equal("-255", YamlFormat.Yaml11Value("-0xff")!.ToJsonString());
        Assert.Equal("3723", YamlFormat.Yaml11Value("1:02:03")!.ToJsonString());
        Assert.Equal("1000000", YamlFormat.Yaml11Value("1_000_000")!.ToJsonString());
        var hex = "0x" + string.Concat(Enumerable.Repeat("fedcba9876543210", 268)) + "ab"; // 4290 hex digits
        Assert.Equal(System.Numerics.BigInteger.Parse("0" + hex[2..], System.Globalization.NumberStyles.AllowHexSpecifier).ToString(),
            YamlFormat.Yaml11Value(hex)!.ToJsonString());
        var bin = "0b1" + string.Concat(Enumerable.Repeat("0110", 1000));
        var expected = System.Numerics.BigInteger.Zero;
        foreach (var c in bin[2..]) expected = expected * 2 + (c - '0');
        Assert.Equal(expected.ToString(), YamlFormat.Yaml11Value(bin)!.ToJsonString());
        Assert.Equal(new string('9', 4300), YamlFormat.Yaml11Value(new string('9', 4300))!.ToJsonString());
        var dec = "-" + string.Concat(Enumerable.Repeat("1234567890", 200)) + "123";
        Assert.Equal(System.Numerics.BigInteger.Parse(dec).ToString(), YamlFormat.Yaml11Value(dec)!.ToJsonString());
        Assert.Throws<OverflowException>(() => YamlFormat.Yaml11Value(new string('9', 4301)));

        // 4 MB of integers at the bound: a bounded parse, not minutes of CPU.
        var text = new StringBuilder();
        for (int i = 0; i < 900; i++) text.Append("k").Append(i).Append(": ").Append((i % 3) switch { 0 => "0x" + new string('f', 4300), 1 => "0b" + new string('1', 4300), _ => new string('7', 4300) }).Append('\n');
        var vars = _dir.File("many.yml", text.ToString());
        var clock = Stopwatch.StartNew();
        var run = Render(vars, "{{ k0|string|length }}");
        Assert.True(run.Ok, run.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }
}
