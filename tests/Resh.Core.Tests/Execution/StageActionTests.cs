using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Meta;
using Resh.Core.Model;
using Resh.Core.Registry;
using Xunit;

namespace Resh.Core.Tests.Execution;

public class StageActionTests
{
    static readonly Arg<string?> StageArg = Arg.String("stage", "the action's stage", required: true);
    static readonly Arg<JsonNode?> ArgsArg = Arg.Json("with", "argument templates");
    static readonly Arg<JsonNode?> DocArg = Arg.Json("doc", "the document");
    static readonly Arg<string?> ToArg = Arg.String("to", "a destination path", path: PathUse.Write);

    /// <summary>`act://x.fire`: declares an action and runs it against a document, answering with the callee's echo.</summary>
    static async ValueTask<Outcome<EchoResult>> Fire(VerbContext ctx)
    {
        var action = StageAction.Create(ctx.Runtime.Handles!, ctx.Get(StageArg)!, ctx.Get(ArgsArg) as JsonObject);
        var env = await action.RunAsync(ctx, ctx.Get(DocArg));
        if (!env.Ok) return env.Error!;
        var echo = (EchoResult)env.Result!;
        return echo with { Verb = action.VerbName + ":" + echo.Verb };
    }

    static HandleRegistry Registry()
    {
        var r = new HandleRegistry();
        r.Add(TestHandles.Handle());
        r.Add(new HandleInfo("act", "action test handle", "anything",
            [VerbInfo.Define("fire", Effect.Read, "runs an action", [StageArg, ArgsArg, DocArg], TestJson.Default.EchoResult, Fire)]));
        r.Add(new HandleInfo("p", "path test handle", "anything",
            [VerbInfo.Define("copy", Effect.Mutate, "copies", [ToArg, TestHandles.Name], TestJson.Default.EchoResult, ctx => new EchoResult(ctx.Target, "copy", new()))]));
        r.Add(MetaHandle.Create(r, new BuildInfo("0.0.0-test", "test")));
        return r;
    }

    static InProcess.Result Fire(string stage, string args, string doc) =>
        InProcess.Run(Registry(), ["act://x.fire", $"stage={stage}", $"with:={args}", $"doc:={doc}"]);

    [Fact]
    public void A_whole_value_placeholder_keeps_its_json_type_and_text_placeholders_interpolate()
    {
        var r = Fire("t://thing.read(mode=slow)", """{"count":"{{data.n}}","name":"v{{data.version}}-{{topic}}","data":"{{data}}"}""",
            """{"topic":"deploy","data":{"n":7,"version":"1.2"}}""");
        Assert.Equal(0, r.Exit);
        Assert.Equal("thing", r.Envelope["result"]!["target"]!.GetValue<string>());
        Assert.Equal("t.read:read", r.Envelope["result"]!["verb"]!.GetValue<string>());
        Assert.Equal("7", r.Arg("count"));
        Assert.Equal("v1.2-deploy", r.Arg("name"));
        Assert.Equal("slow", r.Arg("mode"));
        Assert.Equal("""json:{"n":7,"version":"1.2"}""", r.Arg("data"));
    }

    [Fact]
    public void Array_indexes_and_dashed_names_are_paths()
    {
        var r = Fire("t://thing.read", """{"name":"{{headers.x-github-event}}/{{items.1}}"}""",
            """{"headers":{"x-github-event":"push"},"items":["a","b"]}""");
        Assert.Equal(0, r.Exit);
        Assert.Equal("push/b", r.Arg("name"));
    }

    [Fact]
    public void A_missing_field_is_a_usage_error_naming_it_and_the_stage_does_not_run()
    {
        var r = Fire("t://thing.read", """{"name":"{{data.missing}}"}""", """{"data":{}}""");
        Assert.Equal("usage", r.Code);
        Assert.Contains("data.missing", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Null(r.Envelope["result"]);
    }

    [Fact]
    public void A_placeholder_in_the_stage_is_refused()
    {
        var r = Fire("t://{{data.target}}.read", "{}", """{"data":{"target":"x"}}""");
        Assert.Equal("usage", r.Code);
        Assert.Contains("stage", r.Envelope["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void A_placeholder_in_a_secret_argument_is_refused()
    {
        // The document would choose which secret source is read (file:/etc/shadow).
        var r = Fire("t://thing.read", """{"password":"{{data.pw}}"}""", """{"data":{"pw":"file:/etc/shadow"}}""");
        Assert.Equal("usage", r.Code);
        Assert.Contains("password", r.Envelope["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void A_placeholder_in_a_path_argument_is_refused()
    {
        // s32 attacker #1: `to={{payload.version}}` let a payload pick the file a copy wrote (../../victim).
        var r = Fire("p://src.copy", """{"to":"/srv/releases/{{data.v}}.txt"}""", """{"data":{"v":"../../victim/x"}}""");
        Assert.Equal("usage", r.Code);
        Assert.Contains("`to`", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal(0, Fire("p://src.copy", """{"to":"/srv/fixed.txt","name":"{{data.v}}"}""", """{"data":{"v":"x"}}""").Exit);
    }

    [Fact]
    public void An_unknown_argument_or_handle_is_refused_when_declared()
    {
        Assert.Equal("usage", Fire("t://thing.read", """{"nope":"1"}""", "{}").Code);
        Assert.Equal("usage", Fire("nohandle://thing.read", "{}", "{}").Code);
        Assert.Equal("usage", Fire("t://thing.read", """{"name":"{{a..b}}"}""", "{}").Code);
    }

    [Fact]
    public void A_document_value_is_only_a_value_never_grammar()
    {
        // A payload that looks like more arguments or a file reference stays one literal string.
        var r = Fire("t://thing.read", """{"name":"{{data.x}}"}""", """{"data":{"x":"a,count=5)@/etc/passwd"}}""");
        Assert.Equal(0, r.Exit);
        Assert.Equal("a,count=5)@/etc/passwd", r.Arg("name"));
        Assert.Null(r.Arg("count"));
    }

    [Fact]
    public void The_callee_validates_rendered_values()
    {
        var r = Fire("t://thing.read", """{"count":"{{data.n}}"}""", """{"data":{"n":5000}}""");
        Assert.Equal("usage", r.Code);
    }

    [Fact]
    public void Json_round_trip_keeps_stage_and_templates()
    {
        var registry = Registry();
        var a = StageAction.Create(registry, "t://thing.read", new JsonObject { ["name"] = "{{x}}" });
        var b = StageAction.FromJson(registry, a.ToJson());
        Assert.Equal(a.Stage, b.Stage);
        Assert.Equal(a.Args.ToJsonString(), b.Args.ToJsonString());
        Assert.Equal("y", b.Render(new JsonObject { ["x"] = "y" })["name"]!.GetValue<string>());
        var ex = Assert.Throws<ReshException>(() => StageAction.FromJson(registry, new JsonObject()));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }
}
