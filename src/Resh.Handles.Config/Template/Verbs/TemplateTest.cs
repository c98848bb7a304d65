using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;
using Resh.Handles.Config;
using Resh.Handles.Files;
using Resh.Handles.Template.Engine;

namespace Resh.Handles.Template;

public static class TemplateTest
{
    static readonly Arg<string?> Cases = Arg.String("cases", "The cases file (JSON or YAML): a list of {name, vars, expect | contains | not_contains | expect_error}; vars of a case are merged over vars= (YAML vars read as YAML 1.1, as vars=@FILE). An unknown key or a case without an assertion is `usage`.",
        required: true, path: PathUse.Read, examples: ["nginx.cases.yml"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("test", Effect.Read,
        "Render the template once per case of a cases file and check the output: expect (the exact text), contains and not_contains (a string or a list); exit `partial` when a case fails.",
        [Cases, .. TemplateContext.Common], () => TemplateJson.Default.TemplateTestResult, RunAsync,
        examples: [new("template:///srv/templates/nginx.conf.j2 test cases=nginx.cases.yml", "Run the template's test cases.")],
        notes: "A case whose render fails (an undefined variable, a syntax error) fails with that error as its message; `expect_error` (a substring of the error) makes such a case pass. "
            + "A case whose render reads a secret may not compare the output (expect, contains, not_contains fail it), so a test is no oracle for a secret's value. "
            + "The result keeps every case; when any fails the envelope is ok=false with code `partial` (exit 9), like a fan-out with failed items.");

    static ValueTask<Outcome<TemplateTestResult>> RunAsync(VerbContext ctx)
    {
        Loader loader;
        ParsedTemplate top;
        try { (loader, top) = TemplateContext.Load(ctx); }
        catch (TemplateError e) { return Done(TemplateContext.ToError(e)); }
        using var doc = ConfigFiles.OpenArg(ctx, ctx.Get(Cases)!, "cases");
        var list = Cases_(doc.Data) ?? throw ReshError.Usage($"{doc.Display} holds no list of cases.", "Write a list of {name, vars, expect | contains | not_contains} (or {cases: [...]}).").ToException();
        // The vars of a case are template vars: in a YAML file they read as YAML 1.1, as vars=@FILE does (yes/no, 0644).
        var vars11 = doc.Format is Resh.Handles.Config.Formats.YamlFormat ? Cases_(Resh.Handles.Config.Formats.YamlFormat.Yaml11.Read(doc.Text)) : null;
        var results = new List<TemplateCaseResult>();
        int i = 0;
        foreach (var item in list)
        {
            i++;
            if (item is not JsonObject c)
                throw ReshError.Usage($"Case {i} of {doc.Display} is not a mapping.", "Each case is {name, vars, expect | contains | not_contains}.").ToException();
            var name = c["name"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? c["name"]!.GetValue<string>() : $"case {i}";
            // A misspelt key (contians:) or a case with nothing to check would pass without checking anything.
            foreach (var (key, _) in c)
                if (!Keys.Contains(key))
                    throw ReshError.Usage($"Case '{name}' of {doc.Display} has an unknown key '{key}'.",
                        (Suggest.Hint(key, Keys) is { } h ? h + " " : "") + $"A case takes {string.Join(", ", Keys)}.",
                        new JsonObject { ["case"] = name, ["key"] = key }).ToException();
            if (c["expect"] is null && !Assertions.Skip(1).Any(k => Checks(c[k])))
                throw ReshError.Usage($"Case '{name}' of {doc.Display} has no assertion, so it would pass without checking anything.",
                    "Give it expect, contains, not_contains or expect_error; an empty list or string (contains: []) checks nothing.", new JsonObject { ["case"] = name }).ToException();
            // s37 user #14: an empty contains: [] passed without checking, and expect with expect_error could never both hold.
            foreach (var key in (string[])["contains", "not_contains", "expect_error"])
                if (c.ContainsKey(key) && !Checks(c[key]))
                    throw ReshError.Usage($"Case '{name}' of {doc.Display} has an empty {key}, which checks nothing.",
                        $"Give {key} a string or a list of strings, or remove it.", new JsonObject { ["case"] = name, ["key"] = key }).ToException();
            if (c.ContainsKey("expect_error") && (c.ContainsKey("expect") || c.ContainsKey("contains") || c.ContainsKey("not_contains")))
                throw ReshError.Usage($"Case '{name}' of {doc.Display} expects both an error (expect_error) and output (expect, contains or not_contains); a render has one or the other.",
                    "Split it into two cases.", new JsonObject { ["case"] = name }).ToException();
            if (vars11?.ElementAtOrDefault(i - 1) is JsonObject c11 && c11["vars"] is JsonObject v11) c["vars"] = v11.DeepClone();
            results.Add(RunCase(ctx, loader, top, name, c));
        }
        var failed = results.Count(r => !r.Passed);
        var result = new TemplateTestResult(TemplateContext.Display(top), doc.Display, results.Count, results.Count - failed, failed, results);
        if (failed == 0) return Done(result);
        return Done(Outcome.Partial(result, false, $"{failed} of {results.Count} template test case(s) failed: {string.Join(", ", results.Where(r => !r.Passed).Select(r => r.Name).Take(5))}.",
            "Each failed case has its message and output in result.results."));
    }

    static TemplateCaseResult RunCase(VerbContext ctx, Loader loader, ParsedTemplate top, string name, JsonObject c)
    {
        var renderer = TemplateContext.Renderer(ctx, loader);
        string output;
        try
        {
            if (c["vars"] is { } v && v is not JsonObject)
                return new TemplateCaseResult(name, false, "The case's vars is not a mapping.", null);
            output = renderer.Render(top, TemplateContext.Variables(ctx, c["vars"] as JsonObject));
        }
        catch (TemplateError e)
        {
            var message = TemplateContext.ToError(TemplateContext.Withheld(e, renderer)).Message;
            if (Text(c["expect_error"]) is { } want)
                return message.Contains(want, StringComparison.Ordinal) ? new(name, true, null, null) : new(name, false, $"The error does not contain '{want}': {message}", null);
            return new TemplateCaseResult(name, false, message, null);
        }
        if (renderer.SecretValues.Count > 0)
        {
            if (c["expect"] is not null || c["contains"] is not null || c["not_contains"] is not null)
                return new(name, false, "The render read a secret, so expect, contains and not_contains are refused for this case: comparing would reveal the secret.", null);
            if (c["expect_error"] is not null) return new(name, false, "The render succeeded; the case expects an error.", null);
            return new(name, true, null, null);
        }
        var shown = output;
        var clipped = shown.Length > 4096 ? shown[..4096] + "..." : shown;
        if (c["expect_error"] is not null) return new(name, false, "The render succeeded; the case expects an error.", clipped);
        if (Text(c["expect"]) is { } expect && output != expect && output.TrimEnd('\n') != expect.TrimEnd('\n'))
            return new(name, false, $"The output differs from expect (first difference at character {FirstDifference(output, expect)}).", clipped);
        foreach (var s in Strings(c["contains"]))
            if (!output.Contains(s, StringComparison.Ordinal)) return new(name, false, $"The output does not contain '{TemplateContext.Mask(s, renderer.SecretValues)}'.", clipped);
        foreach (var s in Strings(c["not_contains"]))
            if (output.Contains(s, StringComparison.Ordinal)) return new(name, false, $"The output contains '{TemplateContext.Mask(s, renderer.SecretValues)}'.", clipped);
        return new(name, true, null, null);
    }

    static readonly string[] Assertions = ["expect", "contains", "not_contains", "expect_error"];

    /// <summary>Whether an assertion's value checks something: expect may be any value (even ""), the others need a non-empty string or list.</summary>
    static bool Checks(JsonNode? n) => n switch
    {
        null => false,
        JsonArray a => a.Count > 0 && a.All(x => Text(x) is { Length: > 0 }),
        _ => Text(n) is { Length: > 0 },
    };
    static readonly string[] Keys = ["name", "vars", .. Assertions];

    static JsonArray? Cases_(JsonNode? data) => data as JsonArray ?? (data as JsonObject)?["cases"] as JsonArray;

    static int FirstDifference(string a, string b)
    {
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i]) i++;
        return i;
    }

    static string? Text(JsonNode? n) => n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : n?.ToJsonString();

    static IEnumerable<string> Strings(JsonNode? n) => n switch
    {
        null => [],
        JsonArray a => a.Select(x => Text(x) ?? "null"),
        _ => [Text(n)!],
    };

    static ValueTask<Outcome<TemplateTestResult>> Done(Outcome<TemplateTestResult> o) => ValueTask.FromResult(o);
}
