using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Handles.Config.Formats;
using Resh.Handles.Template.Engine;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Template;

/// <summary>The leftovers of issue 17 and the s35 reviews: YAML 1.1 vars, filter bounds, validate, test cases, inline templates and the missing tags.</summary>
public sealed class TemplateLeftoversTests
{
    /// <summary>Runs Debian's python3 with a script on stdin-free argv, returning stdout (python3-yaml and python3-jinja2 are test deps).</summary>
    internal static string Python(string script, string stdin)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", script])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "python3 did not finish");
        Assert.True(p.ExitCode == 0, $"python3 failed: {stderr.Result}");
        return stdout.Result;
    }

    const string PyYamlTypes = """
        import sys, json, yaml
        out = []
        for s in json.load(sys.stdin):
            v = yaml.safe_load("v: " + s + "\n")["v"]
            if v is None: out.append(["none", "None"])
            elif isinstance(v, bool): out.append(["bool", str(v)])
            elif isinstance(v, int): out.append(["int", str(v)])
            elif isinstance(v, float): out.append(["float", repr(v)])
            else: out.append(["str", str(v)])
        print(json.dumps(out))
        """;

    static readonly string[] Scalars =
    [
        "yes", "Yes", "YES", "yEs", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "true", "True", "TRUE", "tRUE", "false", "FALSE",
        "y", "n", "Y", "N", "~", "null", "Null", "NULL", "nULL", "", "0644", "0o644", "0x1F", "0x_1F", "-0x1f", "0b101", "-0b11", "0b_1", "0_",
        "1_000", "1_000.5", "1:30", "190:20:30", "-1:30", "1:30.5", "0:30", "1:60", "08", "09.5", "0", "00", "-0", "+12", "1_",
        "1e3", "1.0e3", "1.0e+3", "1.5E-2", ".5", "+.5", "1.", ".", ".inf", "-.inf", "+.INF", ".nan", ".NaN", "-.nan", "3.14", "0.1",
        "12345678901234567890", "0777777777777777777777777", "2001-12-14", "22:22", "1.2.3", "0x", "0b2", "hello", "'no'", "\"0644\"", "!!str yes",
    ];

    static (string Type, string Text) Ours(JsonNode? n, string plain)
    {
        if (n is null) return ("none", "None");
        var v = (JsonValue)n;
        switch (v.GetValueKind())
        {
            case JsonValueKind.True: return ("bool", "True");
            case JsonValueKind.False: return ("bool", "False");
            case JsonValueKind.String:
                var s = v.GetValue<string>();
                // Python's float('inf') and float('nan') have no JSON form: they are read as the text Python prints for them.
                if (s is "inf" or "-inf" or "nan" && plain.Contains('.')) return ("float", s);
                return ("str", s);
            default:
                if (v.TryGetValue<long>(out var l)) return ("int", l.ToString(CultureInfo.InvariantCulture));
                if (v.TryGetValue<decimal>(out var m)) return ("int", m.ToString(CultureInfo.InvariantCulture));
                return ("float", V.Float(v.GetValue<double>()));
        }
    }

    [Fact]
    public void Yaml_vars_read_plain_scalars_exactly_as_pyyaml_does()
    {
        var expected = JsonNode.Parse(Python(PyYamlTypes, new JsonArray(Scalars.Select(s => (JsonNode?)s).ToArray()).ToJsonString()))!.AsArray();
        var mismatches = new List<string>();
        for (int i = 0; i < Scalars.Length; i++)
        {
            var want = (expected[i]![0]!.GetValue<string>(), expected[i]![1]!.GetValue<string>());
            var got = Ours(YamlFormat.Yaml11.Read("v: " + Scalars[i] + "\n")!["v"], Scalars[i]);
            if (got != want) mismatches.Add($"{Scalars[i]}: PyYAML {want}, resh {got}");
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        // config:// keeps YAML 1.2: only template vars read 1.1.
        Assert.Equal("no", YamlFormat.Instance.Read("v: no\n")!["v"]!.GetValue<string>());
        Assert.Equal(644, YamlFormat.Instance.Read("v: 0644\n")!["v"]!.GetValue<long>());
    }

    [Fact]
    public void Yaml_vars_file_renders_as_ansible_does()
    {
        using var dir = new TempDir("tmpl");
        var vars = dir.File("vars.yml", "gzip: no\nssl: off\nmode: 0644\nquoted: 'no'\nbig: 1_000\nnothing: ~\nkeys: {on: 1}\n");
        var tmpl = dir.File("t.j2", "{% if gzip %}gzip on;{% else %}gzip off;{% endif %} ssl={{ ssl }} mode={{ mode }} q={{ quoted }} big={{ big + 1 }} n={{ nothing is none }}\n");
        var run = ReshBinary.Run($"template://{tmpl}", "render", $"vars=@{vars}", "--format", "json");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("gzip off; ssl=False mode=420 q=no big=1001 n=True\n", run.Result!["content"]!.GetValue<string>());
    }
}
