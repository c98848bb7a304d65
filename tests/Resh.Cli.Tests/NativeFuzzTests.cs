using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>
/// Arbitrary bytes (invalid UTF-8 included) as STAGE or ARG of the native binary always give one
/// envelope with a SPEC §3 code and matching exit status. Bytes reach argv through printf %b, so
/// nothing is lost to .NET's UTF-16 strings on the way in.
/// </summary>
public sealed class NativeFuzzTests
{
    static readonly Dictionary<string, int> Codes = new()
    {
        ["failed"] = 1, ["usage"] = 2, ["not_found"] = 3, ["permission_denied"] = 4, ["conflict"] = 5, ["timeout"] = 6,
        ["unavailable"] = 7, ["unsupported"] = 8, ["partial"] = 9, ["interrupted"] = 130,
    };

    static readonly string[] Pieces = ["file://", "system://", "archive://", "snapshot://", "fs://", ".read", ".stat", ".info", "(", ")", ",",
        "=", ":=", "@", "%", "%zz", "%ff", "\"", "'", "..", "/", "x", "--", "é", "\u00ff"];

    static string RandomArg(Random rng)
    {
        var sb = new StringBuilder();
        int parts = rng.Next(1, 6);
        for (int i = 0; i < parts; i++)
        {
            if (rng.Next(3) == 0)
            {
                // raw bytes 0x01-0xff (NUL cannot be in argv), written as \xHH for printf %b
                int n = rng.Next(1, 6);
                for (int j = 0; j < n; j++) sb.Append($"\\x{rng.Next(1, 256):x2}");
            }
            else
            {
                foreach (var b in Encoding.UTF8.GetBytes(Pieces[rng.Next(Pieces.Length)])) sb.Append($"\\x{b:x2}");
            }
        }
        return sb.ToString();
    }

    static (int Exit, string Stdout) RunWithBytes(params string[] escapedArgs)
    {
        // bash turns each \xHH-escaped argument into raw bytes and execs resh with them.
        var script = "args=(); for a in \"$@\"; do args+=(\"$(printf '%b' \"$a\")\"); done; exec \"$RESH\" --format json --dry-run --timeout 3s \"${args[@]}\"";
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add("fuzz");
        foreach (var a in escapedArgs) psi.ArgumentList.Add(a);
        psi.Environment["RESH"] = ReshBinary.Path;
        psi.WorkingDirectory = Path.GetTempPath();
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "resh hung");
        return (p.ExitCode, stdout.GetAwaiter().GetResult());
    }

    [Fact]
    public void Random_bytes_as_stage_and_argument_always_give_one_envelope()
    {
        var rng = new Random(20261126);
        for (int i = 0; i < 150; i++)
        {
            var stage = RandomArg(rng);
            var arg = RandomArg(rng);
            if (stage.StartsWith("\\x2d")) stage = "\\x78" + stage; // not a leading '-'
            var (exit, stdout) = RunWithBytes(stage, arg);
            JsonObject env;
            try { env = (JsonObject)JsonNode.Parse(stdout.Trim())!; }
            catch (JsonException) { throw new Xunit.Sdk.XunitException($"no single envelope for {stage} {arg}: {stdout}"); }
            if (env["ok"]!.GetValue<bool>()) { Assert.Equal(0, exit); continue; }
            var code = env["error"]!["code"]!.GetValue<string>();
            Assert.True(Codes.TryGetValue(code, out var expected), $"unknown code {code}");
            Assert.Equal(expected, exit);
        }
    }
}
