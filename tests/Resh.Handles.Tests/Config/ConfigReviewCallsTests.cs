using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Config;

/// <summary>End-to-end regressions for what reviewers found: secrets printed, convert modes, multi-document YAML, hostile files.</summary>
public sealed class ConfigReviewCallsTests
{
    const string Yaml = "db:\n  user: app\n  password: hunter2secret   # rotate yearly\napi_key: abcd1234efgh\nport: 80\n";

    static void NoSecret(ReshRun run, params string[] secrets)
    {
        foreach (var s in secrets) Assert.DoesNotContain(s, run.Stdout + run.Stderr);
    }

    [Fact]
    public void Set_delete_merge_convert_and_diff_never_print_a_secret_value_in_any_format()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.yaml", Yaml);
        foreach (var format in new[] { "json", "yaml", "table" })
        {
            var set = ReshBinary.Run($"config://{file}", "set", "key=db.password", "value=newpass9999", "--dry-run", "--format", format);
            Assert.Equal(0, set.ExitCode);
            NoSecret(set, "hunter2secret", "newpass9999");
            Assert.Contains("***", set.Stdout);
        }
        var json = ReshBinary.Run($"config://{file}", "set", "key=db.password", "value=newpass9999");
        Assert.True(json.Ok, json.ToString());
        NoSecret(json, "hunter2secret", "newpass9999");
        Assert.Equal("***", json.Result!["previous"]!.GetValue<string>());
        Assert.Equal("***", json.Result!["value"]!.GetValue<string>());
        Assert.Contains("-  password: ***   # rotate yearly", json.Result!["diff"]!.GetValue<string>());
        Assert.Contains("+  password: ***   # rotate yearly", json.Result!["diff"]!.GetValue<string>());
        Assert.Contains("password: newpass9999   # rotate yearly", File.ReadAllText(file)); // the file has the real value

        var del = ReshBinary.Run($"config://{file}", "delete", "key=api_key");
        Assert.True(del.Ok, del.ToString());
        NoSecret(del, "abcd1234efgh");
        var merge = ReshBinary.Run($"config://{file}", "merge", "document:={\"db\":{\"password\":\"merged7777\"},\"api_key\":\"k3y-k3y-k3y\"}");
        Assert.True(merge.Ok, merge.ToString());
        NoSecret(merge, "newpass9999", "merged7777", "k3y-k3y-k3y");
        var diff = ReshBinary.Run($"config://{file}", "diff", "desired:={\"db\":{\"password\":\"other5555\"}}");
        Assert.True(diff.Ok, diff.ToString());
        NoSecret(diff, "merged7777", "other5555");
        Assert.Equal(1, diff.Result!["count"]!.GetValue<int>());
        var convert = ReshBinary.Run($"config://{file}", "convert", "to=json");
        Assert.True(convert.Ok, convert.ToString());
        NoSecret(convert, "merged7777", "k3y-k3y-k3y");
        Assert.Contains("app", convert.Result!["content"]!.GetValue<string>());
        var raw = ReshBinary.Run($"config://{file}", "convert", "to=toml", "--format", "raw");
        NoSecret(raw, "merged7777", "k3y-k3y-k3y");
        // Raw output is what a script consumes: "***" in place of the values would be a valid-looking, wrong file.
        Assert.Equal(2, raw.ExitCode);
        Assert.DoesNotContain("***", raw.Stdout);
        Assert.Contains("reveal=true", raw.Stderr);
        Assert.Contains("output=", raw.Stderr);
        Assert.Contains("merged7777", ReshBinary.Run($"config://{file}", "convert", "to=toml", "reveal=true", "--format", "raw").Stdout);
        var plain = dir.File("plain.yaml", "name: app\nport: 80\n");
        var plainRaw = ReshBinary.Run($"config://{plain}", "convert", "to=json", "--format", "raw");
        Assert.Equal(0, plainRaw.ExitCode);
        Assert.Equal(80, System.Text.Json.Nodes.JsonNode.Parse(plainRaw.Stdout)!["port"]!.GetValue<int>());
        var revealed = ReshBinary.Run($"config://{file}", "convert", "to=json", "reveal=true");
        Assert.Contains("merged7777", revealed.Result!["content"]!.GetValue<string>());
        var output = ReshBinary.Run($"config://{file}", "convert", "to=toml", $"output={dir["app.toml"]}");
        Assert.True(output.Ok, output.ToString());
        NoSecret(output, "merged7777", "k3y-k3y-k3y");
        Assert.Contains("merged7777", File.ReadAllText(dir["app.toml"]));
    }

    [Fact]
    public void Get_masks_a_secret_unless_revealed_and_raw_needs_reveal()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app.yaml", Yaml);
        var one = ReshBinary.Run($"config://{file}", "get", "key=db.password");
        Assert.True(one.Ok, one.ToString());
        Assert.Equal("***", one.Result!["value"]!.GetValue<string>());
        var tree = ReshBinary.Run($"config://{file}", "get", "key=db");
        Assert.Equal("***", tree.Result!["value"]!["password"]!.GetValue<string>());
        Assert.Equal("app", tree.Result!["value"]!["user"]!.GetValue<string>());
        NoSecret(ReshBinary.Run($"config://{file}", "get", "--format", "yaml"), "hunter2secret", "abcd1234efgh");
        var raw = ReshBinary.Run($"config://{file}", "get", "key=db.password", "--format", "raw");
        Assert.Equal(2, raw.ExitCode);
        NoSecret(raw, "hunter2secret");
        Assert.Equal("hunter2secret", ReshBinary.Run($"config://{file}", "get", "key=db.password", "reveal=true", "--format", "raw").Stdout.TrimEnd('\n'));
        Assert.Equal("app", ReshBinary.Run($"config://{file}", "get", "key=db.user", "--format", "raw").Stdout.TrimEnd('\n'));
    }

    [Fact]
    public void Short_secrets_in_line_formats_are_masked_in_the_diff_too()
    {
        using var dir = new TempDir("config");
        var ini = dir.File("my.cnf", "[client]\nuser = app\npassword = abc\n");
        var set = ReshBinary.Run($"config://{ini}", "set", "key=client.password", "value=xyz", "syntax=ini");
        Assert.True(set.Ok, set.ToString());
        var d = set.Result!["diff"]!.GetValue<string>();
        Assert.Contains("-password = ***", d);
        Assert.Contains("+password = ***", d);
        Assert.DoesNotContain("abc", d);
        Assert.DoesNotContain("xyz", d);
        var env = dir.File(".env", "DB_PASSWORD=s3cr3t-value\nAPP_ENV=prod\n");
        var envSet = ReshBinary.Run($"config://{env}", "set", "key=DB_PASSWORD", "value=n3w-value");
        NoSecret(envSet, "s3cr3t-value", "n3w-value");
    }

    [Fact]
    public void Convert_of_a_0600_file_writes_a_0600_file_and_an_existing_output_keeps_its_mode()
    {
        using var dir = new TempDir("config");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1FF); // 0777 for the unprivileged run below
        var src = dir.File("secret.yaml", "password: hunter2\n");
        File.SetUnixFileMode(src, (UnixFileMode)0x180); // 0600
        Assert.Equal(0, ConfigExactCallsTests.Shell("chown", "65534:65534", src));
        var asRoot = ReshBinary.Run($"config://{src}", "convert", "to=json", $"output={dir["root.json"]}");
        Assert.True(asRoot.Ok, asRoot.ToString());
        Assert.Equal("600", ConfigExactCallsTests.Stat("%a", dir["root.json"]));
        Assert.Equal("65534:65534", ConfigExactCallsTests.Stat("%u:%g", dir["root.json"]));
        // An existing output keeps its own mode.
        var existing = dir.File("existing.json", "{}\n");
        File.SetUnixFileMode(existing, (UnixFileMode)0x1A4); // 0644
        Assert.True(ReshBinary.Run($"config://{src}", "convert", "to=json", $"output={existing}").Ok);
        Assert.Equal("644", ConfigExactCallsTests.Stat("%a", existing));
        // An unprivileged user's own 0600 file.
        var nobody = ConfigExactCallsTests.AsNobody($"config://{src}", "convert", "to=toml", $"output={dir["nobody.toml"]}");
        Assert.True(nobody.Ok, nobody.ToString());
        Assert.Equal("600", ConfigExactCallsTests.Stat("%a", dir["nobody.toml"]));
        Assert.Equal("65534", ConfigExactCallsTests.Stat("%u", dir["nobody.toml"]));
    }

    [Fact]
    public void A_multi_document_yaml_file_is_refused_and_left_alone()
    {
        using var dir = new TempDir("config");
        const string text = "kind: Service\nname: a\n---\nkind: Deployment\nname: b\n";
        var file = dir.File("k8s.yaml", text);
        foreach (var args in new[] { new[] { "set", "key=name", "value=c" }, new[] { "get", "key=name" }, new[] { "delete", "key=name" } })
        {
            var run = ReshBinary.Run([$"config://{file}", .. args]);
            Assert.Equal("usage", run.ErrorCode);
            Assert.Contains("2 documents", run.Envelope["error"]!["message"]!.GetValue<string>());
            Assert.NotNull(run.Envelope["error"]!["hint"]);
        }
        Assert.Equal(text, File.ReadAllText(file));
    }

    [Fact]
    public void Deep_documents_and_deep_keys_get_a_usage_envelope_not_a_crash()
    {
        using var dir = new TempDir("config");
        var deepJson = dir.File("deep.json", string.Concat(Enumerable.Repeat("{\"a\":", 30_000)) + "1" + new string('}', 30_000));
        var deepYaml = dir.File("deep.yaml", string.Concat(Enumerable.Repeat("- ", 30_000)) + "x\n");
        var deepKey = string.Join(".", Enumerable.Repeat("a", 30_000));
        foreach (var file in new[] { deepJson, deepYaml })
            foreach (var args in new[] { new[] { "get" }, new[] { "delete", "key=a" }, new[] { "set", "key=a", "value=1" }, new[] { "delete", $"key={deepKey}" } })
            {
                var run = ReshBinary.Run([$"config://{file}", .. args]);
                Assert.Equal("usage", run.ErrorCode);
                Assert.True(run.Stdout.Length < 2000, run.Stdout[..Math.Min(run.Stdout.Length, 2000)]);
            }
        var plain = dir.File("plain.json", "{}\n");
        var key = ReshBinary.Run($"config://{plain}", "set", $"key={deepKey}", "value=1");
        Assert.Equal("usage", key.ErrorCode);
        Assert.Equal("{}\n", File.ReadAllText(plain));
        // 150 levels is within the limit and reads back.
        var ok = dir.File("ok.json", string.Concat(Enumerable.Repeat("{\"a\":", 150)) + "1" + new string('}', 150));
        var get = ReshBinary.Run($"config://{ok}", "get", "key=" + string.Join(".", Enumerable.Repeat("a", 150)));
        Assert.True(get.Ok, get.ToString());
        var whole = ReshBinary.Run($"config://{ok}", "get"); // the envelope nests deeper than the test's JSON reader (64) accepts
        Assert.Equal(0, whole.ExitCode);
        Assert.StartsWith("{\"ok\":true", whole.Stdout);
    }

    [Fact]
    public void Hostile_files_get_envelopes_and_crlf_and_bom_survive_an_edit()
    {
        using var dir = new TempDir("config");
        var junk = dir["junk.json"];
        File.WriteAllBytes(junk, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 256)).ToArray());
        var j = ReshBinary.Run($"config://{junk}", "get", "key=a");
        Assert.Contains(j.ErrorCode, new[] { "usage", "failed" });
        var crlf = dir.File("crlf.ini", "[a]\r\nx = 1\r\nflag\r\n");
        Assert.True(ReshBinary.Run($"config://{crlf}", "set", "key=a.y", "value=2").Ok);
        Assert.Equal("[a]\r\nx = 1\r\nflag\r\ny = 2\r\n", File.ReadAllText(crlf));
        var bom = dir["bom.yaml"];
        File.WriteAllBytes(bom, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("a: 1\r\nb: [x]\r\n")]);
        var set = ReshBinary.Run($"config://{bom}", "set", "key=b[1]", "value=z");
        Assert.True(set.Ok, set.ToString());
        Assert.Equal([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("a: 1\r\nb: [x, z]\r\n")], File.ReadAllBytes(bom));
        // A link to /etc/shadow, followed by an unprivileged user: permission_denied, nothing of the file shown.
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED);
        var link = dir["shadow.ini"];
        File.CreateSymbolicLink(link, "/etc/shadow");
        foreach (var args in new[] { new[] { "get" }, new[] { "set", "key=root", "value=x", "syntax=ini" } })
        {
            var run = ConfigExactCallsTests.AsNobody([$"config://{link}", .. args]);
            Assert.Equal("permission_denied", run.ErrorCode);
            Assert.DoesNotContain("root:", run.Stdout);
        }
    }
}
