using System.Text;
using System.Text.Json.Nodes;

namespace Resh.Handles.Plugin;

/// <summary>
/// Working starter plugins for plugin://.new: a manifest with one verb (greet) and an example, its checksums filled in.
/// bash parses the request with python3 (no jq needed; python3 is on nearly every Linux host); python needs python3;
/// csharp is a .csproj and Program.cs with a run.sh that starts `dotnet run` (build it before installing for speed).
/// </summary>
public static class PluginScaffold
{
    public static readonly string[] Languages = ["bash", "python", "csharp"];

    public static string Requires(string language) => language switch
    {
        "bash" => "bash and python3 (the request is JSON; python3 reads it, so no jq is needed)",
        "python" => "python3",
        _ => "the .NET SDK (run.sh runs `dotnet run`; publish it and point executable at the binary for speed)",
    };

    /// <summary>The files of a new plugin (path → content, executable flag); plugin.json last, with the checksums of the others.</summary>
    /// <param name="mode">oneshot (one process per call), or ndjson (one long-lived process per resh run; python only).</param>
    public static List<(string Path, string Content, bool Executable)> Files(string name, string scheme, string language, string mode = "oneshot")
    {
        var files = new List<(string, string, bool)>();
        string exe;
        switch (language)
        {
            case "bash":
                exe = name + ".sh";
                files.Add((exe, Bash, true));
                break;
            case "python":
                exe = name + ".py";
                files.Add((exe, mode == "ndjson" ? PythonNdjson : Python, true));
                break;
            default:
                exe = "run.sh";
                files.Add((exe, "#!/bin/sh\n# Starts the plugin with the .NET SDK; publish it (dotnet publish -c Release) and name the binary as executable for speed.\nexec dotnet run --project \"$RESH_PLUGIN_DIR\" -c Release\n", true));
                files.Add((name + ".csproj", CsProj, false));
                files.Add(("Program.cs", CSharp, false));
                break;
        }
        var checksums = new JsonObject();
        foreach (var (path, content, _) in files)
            checksums[path] = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(content)));
        var manifest = new JsonObject
        {
            ["protocol"] = 1,
            ["name"] = name,
            ["version"] = "0.1.0",
            ["scheme"] = scheme,
            ["summary"] = $"The {name} plugin: says hello.",
            ["target"] = "Whom to greet (the text after the scheme).",
            ["executable"] = exe,
            ["mode"] = mode,
            ["verbs"] = new JsonArray(new JsonObject
            {
                ["name"] = "greet",
                ["summary"] = "Greet the target.",
                ["effect"] = "read",
                ["args"] = new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject
                    {
                        ["greeting"] = new JsonObject { ["type"] = "string", ["description"] = "The word to greet with.", ["default"] = "Hello" },
                        ["times"] = new JsonObject { ["type"] = "integer", ["description"] = "How many times.", ["default"] = 1, ["minimum"] = 1, ["maximum"] = 10 },
                    },
                },
                ["result"] = new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject { ["message"] = new JsonObject { ["type"] = "string" } },
                    ["required"] = new JsonArray("message"),
                },
                ["examples"] = new JsonArray(new JsonObject
                {
                    ["call"] = $"{scheme}://world.greet greeting=Hi",
                    ["description"] = "Greets the world.",
                    ["target"] = "world",
                    ["args"] = new JsonObject { ["greeting"] = "Hi" },
                    ["result"] = new JsonObject { ["message"] = "Hi, world!" },
                }),
            }),
            ["checksums"] = checksums,
        };
        files.Add(("plugin.json", manifest.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, TypeInfoResolver = PluginJson.Default }) + "\n", false));
        return files;
    }

    const string Bash = """
#!/usr/bin/env bash
# A resh plugin (protocol 1): one JSON request on stdin, one JSON envelope on stdout, diagnostics on stderr.
# python3 reads the request (one line per field, so no jq is needed) and writes the answer as JSON.
set -euo pipefail
{ read -r verb; read -r target; read -r greeting; read -r times; } < <(python3 -c '
import json, sys
r = json.load(sys.stdin); a = r.get("args") or {}
for v in (r.get("verb"), r.get("target"), a.get("greeting", "Hello"), a.get("times", 1)): print(str(v).replace("\n", " "))')
[[ $times =~ ^[0-9]+$ ]] || times=1 # never let request text reach bash arithmetic
case "$verb" in
  greet)
    message=""
    for ((i = 0; i < times; i++)); do message+="${message:+ }${greeting}, ${target:-world}!"; done
    python3 -c 'import json, sys; print(json.dumps({"ok": True, "changed": False, "result": {"message": sys.argv[1]}}))' "$message"
    ;;
  *)
    printf '%s\n' '{"ok":false,"error":{"code":"usage","message":"Unknown verb.","hint":"This plugin knows greet."}}'
    ;;
esac

""";

    const string Python = """
#!/usr/bin/env python3
# A resh plugin (protocol 1): one JSON request on stdin, one JSON envelope on stdout, diagnostics on stderr.
import json
import sys


def greet(target, args):
    message = " ".join([f"{args.get('greeting', 'Hello')}, {target or 'world'}!"] * int(args.get("times", 1)))
    return {"message": message}


VERBS = {"greet": greet}


def main():
    request = json.load(sys.stdin)
    verb = VERBS.get(request.get("verb"))
    if verb is None:
        answer = {"ok": False, "error": {"code": "usage", "message": "Unknown verb.", "hint": "This plugin knows: " + ", ".join(VERBS)}}
    else:
        answer = {"ok": True, "changed": False, "result": verb(request.get("target", ""), request.get("args", {}))}
    json.dump(answer, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

""";

    const string PythonNdjson = """
#!/usr/bin/env python3
# A resh plugin (protocol 1, mode ndjson): started once per resh process (a call, a batch, an MCP session).
# Each line on stdin is one JSON request with an "id"; answer each with one JSON envelope line on stdout that carries
# the same "id", and flush. Diagnostics go to stderr. Exit when stdin ends.
import json
import sys


def greet(target, args):
    message = " ".join([f"{args.get('greeting', 'Hello')}, {target or 'world'}!"] * int(args.get("times", 1)))
    return {"message": message}


VERBS = {"greet": greet}


def answer(request):
    verb = VERBS.get(request.get("verb"))
    if verb is None:
        return {"ok": False, "error": {"code": "usage", "message": "Unknown verb.", "hint": "This plugin knows: " + ", ".join(VERBS)}}
    try:
        return {"ok": True, "changed": False, "result": verb(request.get("target", ""), request.get("args", {}))}
    except Exception as e:  # one bad request must not end the process
        return {"ok": False, "error": {"code": "failed", "message": str(e) or type(e).__name__}}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        reply = answer(request)
        reply["id"] = request.get("id")
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

""";

    const string CsProj = """
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
</Project>

""";

    const string CSharp = """
// A resh plugin (protocol 1): one JSON request on stdin, one JSON envelope on stdout, diagnostics on stderr.
using System.Text.Json.Nodes;

var request = JsonNode.Parse(Console.In.ReadToEnd())!.AsObject();
var verb = request["verb"]?.GetValue<string>();
var target = request["target"]?.GetValue<string>() ?? "";
var args = request["args"] as JsonObject ?? new JsonObject();
JsonObject answer;
if (verb == "greet")
{
    var greeting = args["greeting"]?.GetValue<string>() ?? "Hello";
    var times = args["times"]?.GetValue<long>() ?? 1;
    var message = string.Join(" ", Enumerable.Repeat($"{greeting}, {(target.Length > 0 ? target : "world")}!", (int)times));
    answer = new JsonObject { ["ok"] = true, ["changed"] = false, ["result"] = new JsonObject { ["message"] = message } };
}
else
{
    answer = new JsonObject { ["ok"] = false, ["error"] = new JsonObject { ["code"] = "usage", ["message"] = "Unknown verb.", ["hint"] = "This plugin knows greet." } };
}
Console.WriteLine(answer.ToJsonString());

""";
}
