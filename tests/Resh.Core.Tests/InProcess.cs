using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Cli;
using Resh.Core.Registry;

namespace Resh.Core.Tests;

/// <summary>Runs the whole CLI in-process (JIT) with captured streams.</summary>
public static class InProcess
{
    public sealed record Result(int Exit, string Stdout, string Stderr)
    {
        public JsonObject Envelope => (JsonObject)JsonNode.Parse(Stdout.Trim().Split('\n')[^1])!;
        public string? Code => Envelope["error"]?["code"]?.GetValue<string>();
        public JsonNode? Args => Envelope["result"]?["args"];
        public string? Arg(string name) => Args?[name]?.GetValue<string>();
    }

    public static Result Run(HandleRegistry registry, string[] argv, string stdin = "")
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        var io = new AppIO
        {
            Stdin = new MemoryStream(Encoding.UTF8.GetBytes(stdin)),
            Stdout = stdout,
            Stderr = stderr,
            Env = name => name == "HOME" ? "/tmp" : null,
        };
        var exit = new ReshApp(registry).RunAsync(argv, io).GetAwaiter().GetResult();
        return new Result(exit, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    public static Result Run(params string[] argv) => Run(TestHandles.Registry(), argv);
}
