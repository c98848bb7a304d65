using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>
/// An Authorization header or Bearer token written as text (a config file that was read) is masked in every format
/// also when no secret is registered in the process (s41 review: the JSON fast path skipped the scrub then). --format
/// raw of file.read stays the file's bytes, as it does for a registered secret (the bytes were asked for: docs/security.md).
/// </summary>
public sealed class CredentialOutputTests : IDisposable
{
    const string Credential = "abc123XYZtok";
    readonly TempDir _dir = new("cred-output");

    public void Dispose() => _dir.Dispose();

    string Write(string name, string content)
    {
        var path = _dir[name];
        File.WriteAllText(path, content);
        return path;
    }

    [Theory]
    [InlineData("json")]
    [InlineData("json-pretty")]
    [InlineData("ndjson")]
    [InlineData("yaml")]
    [InlineData("table")]
    public void A_small_file_holding_an_authorization_header_is_masked_with_no_secret_registered(string format)
    {
        var path = Write("headers.txt", $"GET / HTTP/1.1\nauthorization: Bearer {Credential}\nX-Other: 1\n");
        var run = ReshBinary.Run($"file://{path}.read", "--format", format);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain(Credential, run.Stdout);
        Assert.Contains("***", run.Stdout);
        Assert.Contains("X-Other", run.Stdout);
        if (format is "json" or "json-pretty") Assert.True(run.Ok);
    }

    [Theory]
    [InlineData("json", 0)]
    [InlineData("json", 40)]
    [InlineData("json", 200)]
    [InlineData("json-pretty", 200)]
    [InlineData("ndjson", 200)]
    public void A_large_output_is_masked_wherever_the_credential_sits(string format, int kibBefore)
    {
        // file.grep's matches are records: an output far larger than one 32 KiB chunk, the credential anywhere in it.
        var filler = string.Concat(Enumerable.Range(0, kibBefore * 16).Select(i => $"line {i:D6} {new string('f', 50)}\n"));
        var path = Write("big.txt", filler + $"Authorization: Bearer {Credential}\n" + filler);
        var run = ReshBinary.Run($"file://{path}.read", "--format", format);
        Assert.True(run.ExitCode == 0, run.ToString()[..Math.Min(2000, run.ToString().Length)]);
        Assert.DoesNotContain(Credential, run.Stdout);
        Assert.Contains("Bearer ***", run.Stdout);
        if (format != "ndjson") JsonNode.Parse(run.Stdout); // still one valid JSON document
    }

    [Theory]
    [InlineData("json")]
    [InlineData("json-pretty")]
    public void A_credential_written_with_json_escapes_is_masked_past_the_first_32_KiB_as_in_them(string format)
    {
        // s43 #5: file.tail's lines are strings of their own, so past the first 32 KiB the output goes out in chunks; a
        // chunk was masked as text, where `Authorization:<TAB>Bearer x` is written `\t` and was not seen as a header.
        string[] secretLines = [$"Authorization:\tBearer {Credential}", $"\"Authorization\":\t\"Bearer {Credential}\"", $"x\u0001Bearer {Credential}"];
        string MaskedLines(int linesBefore)
        {
            var filler = string.Concat(Enumerable.Range(0, linesBefore).Select(i => $"line {i:D6} {new string('f', 50)}\n"));
            var path = Write($"esc{linesBefore}.txt", filler + string.Join("\n", secretLines) + "\n" + filler);
            var run = ReshBinary.Run($"file://{path}.tail", "lines=100000", "--format", format);
            Assert.True(run.ExitCode == 0, run.ToString()[..Math.Min(2000, run.ToString().Length)]);
            Assert.DoesNotContain(Credential, run.Stdout);
            var lines = JsonNode.Parse(run.Stdout)!["result"]!["lines"]!.AsArray().Select(l => l!.GetValue<string>()).ToList();
            var at = lines.FindIndex(l => l.StartsWith("Authorization:", StringComparison.Ordinal));
            return string.Join("\n", lines.Skip(at).Take(secretLines.Length));
        }
        var early = MaskedLines(0);
        Assert.Contains("Bearer ***", early);
        Assert.Equal(early, MaskedLines(4000)); // ~250 KiB before it: the same masking in a later chunk
    }

    [Fact]
    public void Raw_of_a_file_read_is_the_files_bytes()
    {
        var content = $"Authorization: Bearer {Credential}\n";
        var path = Write("raw.txt", content);
        var run = ReshBinary.Run($"file://{path}.read", "--format", "raw");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(content, run.Stdout);
    }

    [Fact]
    public void Plain_words_after_bearer_and_placeholders_stay()
    {
        var path = Write("doc.txt", "Send Authorization: Bearer $TOKEN; bearer tokens expire.\n");
        var run = ReshBinary.Run($"file://{path}.read", "--format", "json");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Bearer $TOKEN; bearer tokens expire.", run.Result!["content"]!.GetValue<string>());
    }
}
