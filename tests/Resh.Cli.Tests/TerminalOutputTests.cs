using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>Issue 10, terminals: SPEC §4's table view fits the terminal, speaks human units, draws trees, picks columns, and never lets data drive the terminal.</summary>
public sealed class TerminalOutputTests : IDisposable
{
    readonly List<Process> _children = [];

    public void Dispose()
    {
        foreach (var p in _children)
        {
            try { p.Kill(true); p.WaitForExit(5000); } catch (InvalidOperationException) { }
            p.Dispose();
        }
    }

    /// <summary>`sh -c 'sleep 300 & wait'`: a parent with one child, for lists and trees of known processes.</summary>
    (int Parent, int Child) StartTree()
    {
        var p = Process.Start(new ProcessStartInfo("sh", ["-c", "sleep 300 & wait"]) { UseShellExecute = false })!;
        _children.Add(p);
        int child = 0;
        var sw = Stopwatch.StartNew();
        while (child == 0 && sw.ElapsedMilliseconds < 5000)
        {
            var path = $"/proc/{p.Id}/task/{p.Id}/children";
            var text = File.Exists(path) ? File.ReadAllText(path).Trim() : "";
            if (text.Length > 0) child = int.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            else Thread.Sleep(10);
        }
        Assert.NotEqual(0, child);
        return (p.Id, child);
    }

    /// <summary>Runs resh on a pseudo-terminal of the given width (script(1)); returns what the terminal received.</summary>
    static string OnTerminal(string reshArgs, int columns = 80)
    {
        var run = Shell.Run($"script -qec \"stty cols {columns} rows 50; \\\"$RESH\\\" {reshArgs.Replace("\"", "\\\"")}\" /dev/null");
        return run.Stdout.Replace("\r\n", "\n");
    }

    [Fact]
    public void A_terminal_gets_a_table_without_keypad_escape_at_the_start()
    {
        var text = OnTerminal("system://.uptime");
        Assert.DoesNotContain("\x1b[?1h", text);
        Assert.DoesNotContain("\x1b=", text);
        Assert.Matches(@"(?m)^seconds\s", text);
    }

    [Fact]
    public void Tables_fit_the_terminal_width()
    {
        var (parent, _) = StartTree();
        // A long command line would overflow 60 columns; every line must fit.
        var text = OnTerminal($"proc://.list", 60);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 3, text);
        Assert.All(lines, l => Assert.True(l.Length <= 60, $"{l.Length} columns: {l}"));
        Assert.Contains(lines, l => l.TrimStart().StartsWith(parent.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        // The same through COLUMNS when piped, and the df-like view of system.disk too.
        var piped = ReshBinary.Run(["system://.disk", "--format", "table"], env: new Dictionary<string, string> { ["COLUMNS"] = "50" });
        Assert.All(piped.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.True(l.Length <= 50, $"{l.Length} columns: {l}"));
    }

    [Fact]
    public void Sizes_and_durations_are_human_in_the_table_and_exact_in_json()
    {
        var (parent, _) = StartTree();
        var json = ReshBinary.Run($"proc://{parent}.info");
        var rss = json.Result!["rss_bytes"]!.GetValue<long>();
        Assert.True(rss > 0);
        var table = ReshBinary.Run($"proc://{parent}.info", "--format", "table");
        Assert.Matches(@"(?m)^rss\s+\d+(\.\d)? (KiB|MiB)$", table.Stdout);
        Assert.Matches(@"(?m)^elapsed\s+\d+(\.\d)? (ms|s)$|(?m)^elapsed\s+\d+m \d\ds$", table.Stdout);
        Assert.DoesNotContain(rss.ToString(System.Globalization.CultureInfo.InvariantCulture), table.Stdout);
        var memory = ReshBinary.Run("system://.memory", "--format", "table", "--columns", "total,available");
        Assert.Matches(@"(?m)^total\s+\d+(\.\d)? GiB$", memory.Stdout);
    }

    [Fact]
    public void Proc_tree_is_drawn_as_a_tree()
    {
        var (parent, child) = StartTree();
        var run = ReshBinary.Run($"proc://{parent}.tree", "--format", "table");
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var parentLine = Array.FindIndex(lines, l => l.TrimStart().StartsWith($"{parent} ", StringComparison.Ordinal));
        var childLine = Array.FindIndex(lines, l => l.TrimStart().StartsWith($"{child} ", StringComparison.Ordinal));
        Assert.True(parentLine >= 1 && childLine == parentLine + 1, run.Stdout);
        Assert.Contains("└─ sleep", lines[childLine]);
    }

    [Fact]
    public void Columns_pick_and_order_the_fields_of_a_table()
    {
        var (parent, _) = StartTree();
        var run = ReshBinary.Run($"proc://{parent}.list", "--format", "table", "--columns", "pid,name,rss");
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\s*PID\s+NAME\s+RSS$", lines[0]);
        Assert.Matches($@"^\s*{parent}\s+sh\s+\d+(\.\d)? (KiB|MiB)$", lines[1]);
        var bad = ReshBinary.Run($"proc://{parent}.list", "--columns", "pid,nmae");
        Assert.Equal("usage", bad.ErrorCode);
        Assert.Contains("name", bad.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void Control_characters_from_data_are_escaped_in_every_human_format()
    {
        using var dir = new TempDir("esc");
        var evil = "a\x1b]0;pwned\x07\x1b[2J\u009b31m";
        File.WriteAllText(Path.Combine(dir.Path, evil), "x");
        File.WriteAllText(dir["content.txt"], "line\x1b[31mred\n");
        foreach (var run in new[]
        {
            ReshBinary.Run($"file://{dir.Path}.list", "--format", "table"),
            ReshBinary.Run($"file://{dir.Path}.list", "--format", "table", "--columns", "name,size"),
            ReshBinary.Run($"file://{dir.Path}.list", "--format", "yaml"),
            ReshBinary.Run($"file://{dir["content.txt"]}.read", "--format", "table"),
            ReshBinary.Run($"file://{dir["content.txt"]}.read", "--format", "yaml"),
            // An error message quoting a name from data, in the table view (stderr) and the one-line error of raw.
            ReshBinary.Run($"file://{dir.Path}/{Uri.EscapeDataString(evil)}.nosuchverb", "--format", "table"),
            ReshBinary.Run($"file://{dir.Path}/missing{Uri.EscapeDataString("\x1b[31m")}.read", "--format", "raw"),
        })
        {
            Assert.DoesNotContain('\x1b', run.Stdout + run.Stderr);
            Assert.DoesNotContain('\u009b', run.Stdout + run.Stderr);
            Assert.DoesNotContain('\x07', run.Stdout + run.Stderr);
        }
        var table = ReshBinary.Run($"file://{dir.Path}.list", "--format", "table", "--columns", "name");
        Assert.Contains(@"a\x1b]0;pwned\x07\x1b[2J\x9b31m", table.Stdout);
        // JSON keeps the exact name.
        var json = ReshBinary.Run($"file://{dir.Path}.list");
        Assert.Contains(json.Result!["entries"]!.AsArray(), e => e!["name"]!.GetValue<string>() == evil);
    }

    [Fact]
    public void Ndjson_prints_the_items_of_a_list_then_a_summary_envelope()
    {
        using var dir = new TempDir("nd");
        for (int i = 0; i < 5; i++) dir.File($"f{i}.txt", new string('x', i));
        var run = ReshBinary.Run($"file://{dir.Path}.list", "--format", "ndjson");
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(6, lines.Length);
        var items = lines[..5].Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
        Assert.Equal(["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt"], items.Select(i => i["name"]!.GetValue<string>()).Order());
        var env = (JsonObject)JsonNode.Parse(lines[5])!;
        Assert.True(env["ok"]!.GetValue<bool>());
        Assert.Null(env["result"]!["entries"]);
        Assert.Equal(5, env["result"]!["count"]!.GetValue<int>());

        // Every list result, trees flattened with their depth.
        var (parent, child) = StartTree();
        var tree = ReshBinary.Run($"proc://{parent}.tree", "--format", "ndjson");
        var treeLines = tree.Stdout.TrimEnd('\n').Split('\n').Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
        Assert.Equal(0, treeLines.Single(o => o["pid"]?.GetValue<int>() == parent)["depth"]!.GetValue<int>());
        Assert.Equal(1, treeLines.Single(o => o["pid"]?.GetValue<int>() == child)["depth"]!.GetValue<int>());
        Assert.True(treeLines[^1]["ok"]!.GetValue<bool>());
        Assert.Null(treeLines[^1]["result"]!["roots"]);

        // A result that is not a list is the envelope alone, as before.
        var single = ReshBinary.Run("file:///etc/hosts.stat", "--format", "ndjson");
        Assert.Single(single.Stdout.TrimEnd('\n').Split('\n'));
        Assert.Equal("/etc/hosts", single.Result!["path"]!.GetValue<string>());
    }

    [Fact]
    public void Yaml_values_read_back_as_the_same_strings_with_a_yaml_1_1_reader()
    {
        using var dir = new TempDir("yaml11");
        string[] names = ["254:0", "12:30", "yes", "No", "on", "y", "0755", "2024-01-01", "2024-01-01T10:00:00Z", "2001-12-14 21:59:43.10 -5",
            "1e3", "1_000", "0x1F", "0b101", "+1", "-2", ".5", ".inf", "-.Inf", ".NaN", "~", "null", "NULL", "=", "<<", "true", "False", "190:20:30"];
        foreach (var n in names) File.WriteAllText(Path.Combine(dir.Path, n.Replace('/', '_')), "x");
        File.WriteAllText(dir["content"], "254:0");
        var list = ReshBinary.Run($"file://{dir.Path}.list", "--hidden", "--format", "yaml");
        var read = ReshBinary.Run($"file://{dir["content"]}.read", "--format", "yaml");
        var script = """
            import sys, yaml, json
            docs = [yaml.safe_load(open(p)) for p in sys.argv[1:]]
            print(json.dumps([[e["name"] for e in docs[0]["result"]["entries"]], docs[1]["result"]["content"],
                              docs[0]["result"]["entries"][0]["mode"], docs[0]["ts"]]))
            """;
        var a = dir.File("list.yaml", list.Stdout);
        var b = dir.File("read.yaml", read.Stdout);
        var py = Shell.Run($"python3 -c {Shell.Q(script)} {a} {b}");
        Assert.True(py.ExitCode == 0, py.ToString());
        var parsed = JsonNode.Parse(py.Stdout)!.AsArray();
        var readNames = parsed[0]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
        foreach (var n in names) Assert.Contains(n, readNames);
        Assert.Equal("254:0", parsed[1]!.GetValue<string>());
        Assert.Matches("^0[0-7]{3}$", parsed[2]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT", parsed[3]!.GetValue<string>());
    }

    /// <summary>Strings a plain YAML scalar cannot carry as they are: tabs anywhere, leading and trailing blanks,
    /// indicators, line breaks in every position, typed-looking text, non-ASCII blanks and separators.</summary>
    static readonly string[] TrickyStrings =
    [
        "a\tb", "\ta", "a\t", " \t ", "\t", "a: b", "- x", "#c", "a #b", "'q", "\"q", "@x", "`x", "%x", "!x", "&x", "*x", "|x", ">x",
        "? x", "[a", "{a", "a]", "a,b", " a", "a ", "-", "?", ":", "a\n", "\nx", "\n", "\n\n", "x\n\n", "a\n\tb", "\tx\ny", "x\ny\t",
        "a\tb\nc\td\n", "\t\n", "key: value\n\tindented\n", "a\n \nb", "  lead\nx", "x\n ", "- a\nb", "#x\ny", "a\r\nb", "x\r",
        "a\u0085b", "a\u2028b", "x\u2029y", "\ufeffx", "a\u00a0b", "\u00a0", "…", "y", "~", "0o17", "0x1F", "1_000", "12:30", "2024-01-01",
        "NULL", "Yes", "null\n", "1.", "-0", "\\", "a\\b", "\x1b[31m", "\x7f",
    ];

    [Fact]
    public void Yaml_round_trips_tricky_strings_through_a_real_yaml_reader()
    {
        // Issue 10 review: a plain scalar with a tab was emitted as is, which PyYAML refuses ("found character '\t'
        // that cannot start any token"), and "\n" alone came back empty. Every string below must read back exactly,
        // as a file's content (a value) and as a file name in a listing (a value in a list of maps).
        using var dir = new TempDir("yamltricky");
        var names = TrickyStrings.Where(n => !n.Contains('/') && n is not ("." or "..")).ToList();
        for (int i = 0; i < names.Count; i++) File.WriteAllText(Path.Combine(dir.Path, names[i]), "x");
        var readFiles = new List<string>();
        for (int i = 0; i < TrickyStrings.Length; i++)
        {
            var content = Path.Combine(dir.Path, "..", $"{Path.GetFileName(dir.Path)}-content-{i}");
            File.WriteAllText(content, TrickyStrings[i]);
            var read = ReshBinary.Run($"file://{Path.GetFullPath(content)}.read", "--format", "yaml");
            Assert.Equal(0, read.ExitCode);
            readFiles.Add(dir.File($"read{i}.yaml.out", read.Stdout));
            File.Delete(content);
        }
        var list = ReshBinary.Run($"file://{dir.Path}.list", "--hidden", "--format", "yaml");
        Assert.Equal(0, list.ExitCode);
        var listFile = dir.File("list.yaml.out", list.Stdout);
        var script = """
            import sys, yaml, json
            lst = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
            contents = [yaml.safe_load(open(p, encoding="utf-8"))["result"]["content"] for p in sys.argv[2:]]
            print(json.dumps({"names": [e["name"] for e in lst["result"]["entries"]], "contents": contents}))
            """;
        var py = Shell.Run($"python3 -c {Shell.Q(script)} {listFile} {string.Join(' ', readFiles)}");
        Assert.True(py.ExitCode == 0, py.ToString());
        var parsed = JsonNode.Parse(py.Stdout)!;
        var readNames = parsed["names"]!.AsArray().Select(x => x!.GetValue<string>()).ToHashSet();
        foreach (var n in names) Assert.Contains(n, readNames);
        var contents = parsed["contents"]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
        for (int i = 0; i < TrickyStrings.Length; i++)
            Assert.True(TrickyStrings[i] == contents[i], $"content {System.Text.Json.JsonSerializer.Serialize(TrickyStrings[i])} read back as {System.Text.Json.JsonSerializer.Serialize(contents[i])}");
    }

    [Fact]
    public void Table_cells_escape_line_breaks_tabs_and_controls_so_every_entry_stays_on_its_row()
    {
        // Issue 10 review: file.list's own view printed a tab and a line break from a name as they are.
        using var dir = new TempDir("tabcells");
        string[] names = ["tab\there", "new\nline", "cr\rhere", "plain"];
        foreach (var n in names) File.WriteAllText(Path.Combine(dir.Path, n), "x");
        File.CreateSymbolicLink(dir["link"], "to\tthe\nfile");
        foreach (var args in new[] { new[] { "--format", "table" }, ["--format", "table", "--columns", "name,size,link_target"] })
        {
            var run = ReshBinary.Run([$"file://{dir.Path}.list", .. args]);
            Assert.Equal(0, run.ExitCode);
            Assert.DoesNotContain('\t', run.Stdout);
            Assert.DoesNotContain('\r', run.Stdout);
            var lines = run.Stdout.TrimEnd('\n').Split('\n');
            Assert.Contains(lines, l => l.Contains(@"tab\there"));
            Assert.Contains(lines, l => l.Contains(@"cr\rhere") || l.Contains("cr⏎here"));
            // The name with a line break is one row (its break escaped), never a row that ends in "new" and one that starts with "line".
            Assert.DoesNotContain(lines, l => l.EndsWith("new", StringComparison.Ordinal) || l.StartsWith("line", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("new") && l.Contains("line"));
            Assert.Contains(lines, l => l.Contains("to") && l.Contains("the") && l.Contains("file"));
        }
    }
}
