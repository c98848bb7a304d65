using System.Text.Json.Nodes;
using Resh.TestSupport;

namespace Resh.Handles.Tests.Event;

/// <summary>A private state directory (and config) for the event trail of one test class, and shortcuts to run resh in it.</summary>
public abstract class EventTestBase : IDisposable
{
    protected readonly TempDir Dir = new("event");
    protected readonly string Home;
    protected readonly string Config;

    protected EventTestBase()
    {
        Home = Dir["home"];
        Directory.CreateDirectory(Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Config = Dir["config.toml"];
        File.WriteAllText(Config, "");
    }

    public void Dispose() => Dir.Dispose();

    protected Dictionary<string, string> Env => new() { ["RESH_HOME"] = Home, ["RESH_CONFIG"] = Config };

    protected ReshRun Resh(params string[] args) => ReshBinary.Run([.. args, "--format", "json"], env: Env);

    protected static JsonNode Ok(ReshRun run)
    {
        Xunit.Assert.True(run.ExitCode == 0, run.ToString());
        return run.Result!;
    }

    protected string EventsDir => Path.Combine(Home, "events");

    protected string[] Segments => Directory.GetFiles(EventsDir, "*.seg").Order(StringComparer.Ordinal).ToArray();

    protected JsonNode Emit(string topic, string data, params string[] more) => Ok(Resh([$"event:///{topic}.emit", $"data:={data}", .. more]));

    protected JsonArray List(string target, params string[] more) => Ok(Resh([$"event://{target}.list", .. more]))["events"]!.AsArray();

    /// <summary>Runs one `resh batch` with these requests; the envelopes in order.</summary>
    protected List<JsonObject> Batch(IEnumerable<JsonObject> requests)
    {
        var input = string.Join('\n', requests.Select(r => r.ToJsonString())) + "\n";
        var run = ReshBinary.Run(["batch"], stdin: input, env: Env, wait: TimeSpan.FromMinutes(3));
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
    }
}
