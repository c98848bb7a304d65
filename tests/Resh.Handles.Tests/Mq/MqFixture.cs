using System.Text.Json.Nodes;
using Resh.TestSupport;

namespace Resh.Handles.Tests.Mq;

/// <summary>A private state directory for the embedded queues of one test class, and shortcuts to run resh in it.</summary>
public abstract class MqTestBase : IDisposable
{
    protected readonly TempDir Dir = new("mq");
    protected readonly string Home;

    protected MqTestBase()
    {
        Home = Dir["home"];
        Directory.CreateDirectory(Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => Dir.Dispose();

    protected Dictionary<string, string> Env => new() { ["RESH_HOME"] = Home };

    protected ReshRun Resh(params string[] args) => ReshBinary.Run([.. args, "--format", "json"], env: Env);

    protected ReshRun ReshIn(string stdin, params string[] args) => ReshBinary.Run([.. args, "--format", "json"], stdin: stdin, env: Env);

    protected static JsonNode Ok(ReshRun run)
    {
        Xunit.Assert.True(run.ExitCode == 0, run.ToString());
        return run.Result!;
    }

    protected string QueueDir(string name) => Path.Combine(Home, "mq", name);

    protected JsonNode Stats(string queue) => Ok(Resh($"mq:///{queue}.stats"));

    /// <summary>Runs one `resh batch` with these requests; the envelopes in order.</summary>
    protected List<JsonObject> Batch(IEnumerable<JsonObject> requests)
    {
        var input = string.Join('\n', requests.Select(r => r.ToJsonString())) + "\n";
        var run = ReshBinary.Run(["batch"], stdin: input, env: Env, wait: TimeSpan.FromMinutes(3));
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
    }

    protected static JsonObject Publish(string queue, string body, object? id = null) => new()
    {
        ["id"] = JsonValue.Create(id?.ToString() ?? body), ["stage"] = $"mq:///{queue}", ["verb"] = "publish", ["args"] = new JsonObject { ["body"] = body },
    };
}
