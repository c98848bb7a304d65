using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;

namespace Resh.Cli.Tests.Mcp;

/// <summary>`resh mcp` as a process spoken to line by line, for what no SDK sends: raw, malformed and out-of-order input.</summary>
public sealed class McpProcess : IDisposable
{
    readonly Process _p;
    readonly StringBuilder _stderr = new();
    readonly TempDir _state = new("mcp-state");

    /// <summary>The server's own state dir (RESH_HOME): its audit trail is in audit/audit.jsonl, never the machine's.</summary>
    public string StateDir => _state.Path;

    public McpProcess(params string[] args) : this(null, args) { }

    /// <param name="home">A state dir (RESH_HOME) to share between servers; null gives this server its own.</param>
    /// <param name="env">More environment for the server (RESH_CONFIG ...).</param>
    /// <param name="exe">Another resh executable (a copy of the binary) instead of <see cref="ReshBinary.Path"/>.</param>
    public McpProcess(string? home, string[] args, IReadOnlyDictionary<string, string>? env = null, string? exe = null)
    {
        var psi = new ProcessStartInfo(exe ?? ReshBinary.Path)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        psi.Environment["RESH_HOME"] = home ?? _state.Path;
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        psi.ArgumentList.Add("mcp");
        foreach (var a in args) psi.ArgumentList.Add(a);
        _p = Process.Start(psi)!;
        _p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _p.BeginErrorReadLine();
    }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public void Send(string line)
    {
        _p.StandardInput.Write(line + "\n");
        _p.StandardInput.Flush();
    }

    public void SendBytes(byte[] bytes)
    {
        _p.StandardInput.BaseStream.Write(bytes);
        _p.StandardInput.BaseStream.Flush();
    }

    /// <summary>The next line on stdout, which must be one JSON object (stdout carries nothing else).</summary>
    public JsonObject Next(int timeoutMs = 20000)
    {
        var read = _p.StandardOutput.ReadLineAsync();
        if (!read.Wait(timeoutMs)) throw new TimeoutException($"No answer from resh mcp in {timeoutMs} ms. stderr: {Stderr}");
        var line = read.Result ?? throw new InvalidOperationException($"resh mcp closed stdout. stderr: {Stderr}");
        return JsonNode.Parse(line) as JsonObject ?? throw new InvalidOperationException("not a JSON object: " + line);
    }

    public JsonObject Request(object id, string method, JsonObject? parameters = null)
    {
        var msg = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id is int i ? JsonValue.Create(i) : JsonValue.Create((string)id), ["method"] = method };
        if (parameters is not null) msg["params"] = parameters;
        Send(msg.ToJsonString());
        return Next();
    }

    /// <summary>tools/call: the envelope (structuredContent), or a test failure that shows the whole response and stderr.</summary>
    public JsonObject CallTool(int id, string tool, JsonObject arguments)
    {
        var response = Request(id, "tools/call", new JsonObject { ["name"] = tool, ["arguments"] = arguments });
        return response["result"]?["structuredContent"]?.AsObject()
            ?? throw new Xunit.Sdk.XunitException($"{tool} {arguments.ToJsonString()}: no envelope in {response.ToJsonString()}; stderr: {Stderr}");
    }

    /// <summary>An envelope's error code, or null when it is ok.</summary>
    public static string? Code(JsonObject env) => env["error"]?["code"]?.GetValue<string>();

    public JsonObject Initialize(string version = "2025-11-25") => Request(0, "initialize", new JsonObject
    {
        ["protocolVersion"] = version,
        ["capabilities"] = new JsonObject(),
        ["clientInfo"] = new JsonObject { ["name"] = "raw", ["version"] = "1" },
    });

    /// <summary>Every line left on stdout after the process ended.</summary>
    public List<JsonObject> Rest() => _p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();

    /// <summary>Closes stdin and returns the exit status (the server must end by itself on EOF).</summary>
    public int CloseAndWait(int timeoutMs = 10000)
    {
        _p.StandardInput.Close();
        if (!_p.WaitForExit(timeoutMs)) throw new TimeoutException("resh mcp did not exit after EOF.");
        _p.WaitForExit(); // after the timed wait, this one also waits for the last stderr lines to be delivered
        return _p.ExitCode;
    }

    public void Dispose()
    {
        try { if (!_p.HasExited) _p.Kill(); } catch (InvalidOperationException) { }
        _p.Dispose();
        _state.Dispose();
    }
}
