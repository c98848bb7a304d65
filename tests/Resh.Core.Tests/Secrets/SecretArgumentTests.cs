using System.Text.Json.Nodes;
using Resh.Core.Secrets;
using Resh.TestSupport;
using Xunit;

namespace Resh.Core.Tests.Secrets;

/// <summary>
/// The secret-typed argument kind end to end in-process: every source resolves, every output path masks
/// the value even when the verb leaks it on purpose (the `s://` test handle), and bad sources are usage errors.
/// </summary>
public sealed class SecretArgumentTests
{
    static string Canary() => "canary-" + Guid.NewGuid().ToString("N");

    static void AssertNowhere(string canary, InProcess.Result r)
    {
        Assert.DoesNotContain(canary, r.Stdout);
        Assert.DoesNotContain(canary, r.Stderr);
    }

    [Fact]
    public void A_literal_works_but_is_warned_about_and_masked_everywhere()
    {
        var canary = Canary();
        var r = InProcess.Run("s://x.use", $"password={canary}");
        Assert.Equal(0, r.Exit);
        AssertNowhere(canary, r);
        var result = r.Envelope["result"]!;
        Assert.Equal("***", result["source"]!.GetValue<string>());
        Assert.Equal(canary.Length, result["length"]!.GetValue<int>());
        Assert.Equal("echo *** ***", result["echo"]!.GetValue<string>());
        var warning = Assert.Single(r.Envelope["warnings"]!.AsArray())!.GetValue<string>();
        Assert.Contains("literal", warning);
        Assert.Contains("`password`", warning);
    }

    [Fact]
    public void An_environment_variable_is_resolved_at_call_time_and_not_warned_about()
    {
        var canary = Canary();
        var name = "RESH_TEST_SECRET_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(name, canary);
        try
        {
            var r = InProcess.Run("s://x.use", $"password=env:{name}");
            Assert.Equal(0, r.Exit);
            AssertNowhere(canary, r);
            Assert.Equal($"env:{name}", r.Envelope["result"]!["source"]!.GetValue<string>());
            Assert.Equal(canary.Length, r.Envelope["result"]!["length"]!.GetValue<int>());
            Assert.Empty(r.Envelope["warnings"]!.AsArray());
        }
        finally { Environment.SetEnvironmentVariable(name, null); }
    }

    [Fact]
    public void A_file_source_reads_the_first_line_only()
    {
        using var dir = new TempDir("sec");
        var canary = Canary();
        var path = dir.File("pw", canary + "\r\nsecond line\n");
        var r = InProcess.Run("s://x.use", $"password=file:{path}");
        Assert.Equal(0, r.Exit);
        AssertNowhere(canary, r);
        Assert.Equal(canary.Length, r.Envelope["result"]!["length"]!.GetValue<int>());
        Assert.Equal($"file:{path}", r.Envelope["result"]!["source"]!.GetValue<string>());
    }

    [Fact]
    public void Stdin_and_a_whole_file_lose_one_line_end_and_are_not_interpreted()
    {
        var canary = "env:" + Canary(); // looks like a source, but input is always the value itself
        var r = InProcess.Run(TestHandles.Registry(), ["s://x.use", "password=@-"], canary + "\n");
        Assert.Equal(0, r.Exit);
        AssertNowhere(canary, r);
        Assert.Equal(canary.Length, r.Envelope["result"]!["length"]!.GetValue<int>());
        Assert.Equal("@-", r.Envelope["result"]!["source"]!.GetValue<string>());
        Assert.Empty(r.Envelope["warnings"]!.AsArray());

        using var dir = new TempDir("sec");
        var path = dir.File("pw", canary + "\n");
        var f = InProcess.Run("s://x.use", $"password=@{path}");
        Assert.Equal(canary.Length, f.Envelope["result"]!["length"]!.GetValue<int>());
        Assert.Empty(f.Envelope["warnings"]!.AsArray());
    }

    [Theory]
    [InlineData("error")]
    [InlineData("warning")]
    [InlineData("event")]
    [InlineData("log")]
    public void A_verb_that_leaks_the_value_is_masked_in_every_output_path(string leak)
    {
        var canary = Canary();
        foreach (var format in new[] { "json", "json-pretty", "ndjson", "yaml", "table", "raw" })
        {
            var r = InProcess.Run("s://x.use", $"password={canary}", $"leak={leak}", "--format", format, "--verbose");
            AssertNowhere(canary, r);
            Assert.Contains("***", r.Stdout + r.Stderr);
        }
    }

    [Fact]
    public void A_value_with_json_escapes_and_unicode_is_masked_in_its_escaped_form()
    {
        var canary = "q\"uo\\te\u00fc\u2028" + Canary();
        var r = InProcess.Run(TestHandles.Registry(), ["s://x.use", "password=@-", "leak=error"], canary);
        Assert.Equal(1, r.Exit);
        var error = r.Envelope["error"]!;
        Assert.Equal("The backend refused password ***.", error["message"]!.GetValue<string>());
        Assert.Equal("***", error["details"]!["sent"]!.GetValue<string>());
        Assert.DoesNotContain("uo\\\\te", r.Stdout);
        Assert.DoesNotContain("\u00fc\\u2028", r.Stdout);
    }

    [Fact]
    public void Reveal_shows_one_secret_and_keeps_every_other_masked()
    {
        var shown = Canary();
        var hidden = Canary();
        var name = "RESH_TEST_OTHER_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(name, hidden);
        try
        {
            var r = InProcess.Run("s://x.use", $"password={shown}", $"other=env:{name}", "leak=reveal");
            Assert.Equal(0, r.Exit);
            Assert.Equal(shown, r.Envelope["result"]!["revealed"]!.GetValue<string>());
            Assert.Equal("***", r.Envelope["result"]!["config_echo"]!.GetValue<string>());
            Assert.DoesNotContain(hidden, r.Stdout);
        }
        finally { Environment.SetEnvironmentVariable(name, null); }
    }

    [Fact]
    public void A_config_value_resolves_the_same_sources_and_warns_about_a_literal()
    {
        using var dir = new TempDir("sec");
        var canary = Canary();
        var pwFile = dir.File("pw", canary + "\n");
        var literalConfig = dir.File("lit.toml", $"[t.prod]\npassword = \"{canary}\"\n");
        var fileConfig = dir.File("file.toml", $"[t.prod]\npassword = \"file:{pwFile}\"\n");

        var lit = InProcess.Run("s://x.use", "password=@" + pwFile, "leak=config", "--config", literalConfig);
        Assert.Equal(0, lit.Exit);
        AssertNowhere(canary, lit);
        Assert.Equal("***", lit.Envelope["result"]!["config_echo"]!.GetValue<string>());
        Assert.Contains(lit.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("config value `t.prod.password`"));

        var viaFile = InProcess.Run("s://x.use", "password=@" + pwFile, "leak=config", "--config", fileConfig);
        Assert.Equal(0, viaFile.Exit);
        Assert.Empty(viaFile.Envelope["warnings"]!.AsArray());
        Assert.Equal("***", viaFile.Envelope["result"]!["config_echo"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("password=env:RESH_TEST_SURELY_UNSET_VAR", "usage")]
    [InlineData("password=file:/nonexistent/pw", "usage")]
    [InlineData("password=secret:", "usage")]
    [InlineData("password=secret:../x", "usage")]
    [InlineData("password=env:", "usage")]
    [InlineData("password=", "usage")]
    public void A_bad_source_is_a_clear_error(string arg, string code)
    {
        var r = InProcess.Run("s://x.use", arg);
        Assert.Equal(code, r.Code);
        Assert.NotNull(r.Envelope["error"]!["hint"]);
    }

    [Fact]
    public void Empty_stdin_is_refused()
    {
        var r = InProcess.Run(TestHandles.Registry(), ["s://x.use", "password=@-"], "\n");
        Assert.Equal("usage", r.Code);
    }

    [Fact]
    public void A_store_reference_without_a_store_is_unavailable_and_with_one_resolves_or_is_not_found()
    {
        var saved = SecretStore.Provider;
        var canary = Canary();
        try
        {
            SecretStore.Provider = null;
            Assert.Equal("unavailable", InProcess.Run("s://x.use", "password=secret:db/app").Code);

            SecretStore.Provider = () => new DictionaryStore(new() { ["db/app"] = canary });
            var ok = InProcess.Run("s://x.use", "password=secret:db/app");
            Assert.Equal(0, ok.Exit);
            AssertNowhere(canary, ok);
            Assert.Equal("secret:db/app", ok.Envelope["result"]!["source"]!.GetValue<string>());
            Assert.Equal(canary.Length, ok.Envelope["result"]!["length"]!.GetValue<int>());
            Assert.Empty(ok.Envelope["warnings"]!.AsArray());

            var missing = InProcess.Run("s://x.use", "password=secret:db/other");
            Assert.Equal("not_found", missing.Code);

            // secret:BACKEND:NAME reaches the store whole; the store picks the backend.
            SecretStore.Provider = () => new DictionaryStore(new() { ["pass:web/api"] = canary });
            Assert.Equal("secret:pass:web/api", InProcess.Run("s://x.use", "password=secret:pass:web/api").Envelope["result"]!["source"]!.GetValue<string>());
            Assert.Equal("usage", InProcess.Run("s://x.use", "password=secret:Pass:web/api").Code);
            Assert.Equal("usage", InProcess.Run("s://x.use", "password=secret::web/api").Code);
        }
        finally { SecretStore.Provider = saved; }
    }

    [Fact]
    public void Batch_requests_resolve_and_mask_secrets_and_warn_about_literals()
    {
        var canary = Canary();
        var line = new JsonObject { ["id"] = 1, ["stage"] = "s://x", ["verb"] = "use", ["args"] = new JsonObject { ["password"] = canary, ["leak"] = "error" } };
        var r = InProcess.Run(TestHandles.Registry(), ["batch"], line.ToJsonString() + "\n");
        AssertNowhere(canary, r);
        Assert.Contains("***", r.Stdout);
    }

    [Fact]
    public void The_schema_describes_a_secret_as_a_write_only_string_with_the_resh_secret_format()
    {
        var r = InProcess.Run("schema", "s.use");
        Assert.Equal(0, r.Exit);
        var text = r.Stdout;
        var schema = JsonNode.Parse(text)!["result"]!["schemas"]![0]!;
        var password = schema["args"]!["properties"]!["password"]!;
        Assert.Equal("string", password["type"]!.GetValue<string>());
        Assert.Equal("resh-secret", password["format"]!.GetValue<string>());
        Assert.True(password["writeOnly"]!.GetValue<bool>());
    }

    [Fact]
    public void A_secret_value_never_reaches_ToString_or_json()
    {
        var v = SecretValue.FromText(Canary());
        Assert.Equal("***", v.ToString());
        Assert.Equal("\"***\"", System.Text.Json.JsonSerializer.Serialize(v, SecretValueJson.Default.SecretValue));
        Assert.Equal("***", $"{v}");
    }

    sealed class DictionaryStore(Dictionary<string, string> values) : ISecretStore
    {
        public SecretValue? Read(string name, Resh.Core.Execution.ReshRuntime runtime, CancellationToken cancellation) =>
            values.TryGetValue(name, out var v) ? SecretValue.FromText(v) : null;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(SecretValue))]
internal sealed partial class SecretValueJson : System.Text.Json.Serialization.JsonSerializerContext;
