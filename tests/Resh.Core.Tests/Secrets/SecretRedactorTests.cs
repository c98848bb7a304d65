using System.Text;
using System.Text.Json;
using Resh.Core.Output;
using Resh.Core.Secrets;
using Xunit;

namespace Resh.Core.Tests.Secrets;

public sealed class SecretRedactorTests
{
    static string Canary() => "canary-" + Guid.NewGuid().ToString("N");

    [Fact]
    public void Clean_json_is_left_alone()
    {
        SecretValue.FromText(Canary());
        var json = "{\"a\":\"nothing here\",\"n\":12}"u8.ToArray();
        Assert.Null(SecretRedactor.ScrubJson(json, EnvelopeJson.WriterOptions(false)));
    }

    [Fact]
    public void Strings_property_names_and_numbers_are_masked_and_the_json_stays_valid()
    {
        var secret = "98127364519283";
        SecretValue.FromText(secret);
        var json = Encoding.UTF8.GetBytes($"{{\"k{secret}\":\"x {secret} y\",\"n\":{secret},\"list\":[true,null,\"{secret}\"]}}");
        var scrubbed = SecretRedactor.ScrubJson(json, EnvelopeJson.WriterOptions(false))!;
        var text = Encoding.UTF8.GetString(scrubbed);
        Assert.DoesNotContain(secret, text);
        using var doc = JsonDocument.Parse(scrubbed);
        Assert.Equal("x *** y", doc.RootElement.GetProperty("k***").GetString());
        Assert.Equal("***", doc.RootElement.GetProperty("n").GetString());
        Assert.Equal("***", doc.RootElement.GetProperty("list")[2].GetString());
    }

    [Fact]
    public void A_multi_line_secret_is_masked_line_by_line_and_short_values_are_not_searched()
    {
        var line1 = Canary();
        var line2 = Canary();
        SecretValue.FromText($"{line1}\n{line2}\n");
        Assert.Equal("a *** b ***", SecretRedactor.Scrub($"a {line1} b {line2}"));
        SecretValue.FromText("ab");
        Assert.Equal("ab cd", SecretRedactor.Scrub("ab cd"));
    }

    [Fact]
    public void A_revealed_value_is_left_but_a_longer_secret_containing_it_is_not()
    {
        var inner = Canary();
        var outer = "x" + inner + "x";
        SecretValue.FromText(inner);
        SecretValue.FromText(outer);
        Assert.Equal($"{inner} ***", SecretRedactor.Scrub($"{inner} {outer}", [inner]));
    }
}
