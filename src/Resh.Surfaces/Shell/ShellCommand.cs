using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Grammar;
using Resh.Core.Introspection;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Platform;
using Resh.Core.Registry;

namespace Resh.Surfaces.Shell;

/// <summary>
/// `resh shell` (and `resh` alone on a terminal): the interactive shell of issue 19. Each line becomes argv words
/// and runs through the same <see cref="ReshApp"/> as the command line, in this one process, so pooled connections
/// and ssh masters stay open between lines (SPEC §9, §10). See docs/shell.md.
/// </summary>
public static partial class ShellCommand
{
    public static VerbInfo Declaration() => VerbInfo.Define("shell", Effect.Mutate,
        "Open the interactive shell: completion as you type, `use` context, $_ and $name results, history.",
        [], () => ShellJson.Default.ShellResult,
        _ => ReshError.Usage("The shell needs a terminal on stdin and stdout.", "Run resh shell in a terminal; scripts call resh STAGE or resh batch."),
        notes: "Lines are stages as on the command line (quoting as in sh: '…', \"…\", backslash). `use ssh://HOST` runs later stages there, `use file:///DIR` resolves relative targets there, `use` alone clears. " +
               "$_ is the last result, `$name = STAGE` keeps one, `$name.field` or {$name.field} is its value in an argument. :json, :yaml, :table switch the format; :help, :quit (or Ctrl-D). " +
               "History is kept in the state directory (0600) without lines that carry a secret. See docs/shell.md.",
        examples: [new("shell", "The interactive shell (also: resh alone on a terminal).")]);

    [GeneratedRegex(@"^\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")]
    private static partial Regex Assignment();

    const int HistoryKept = 1000;

    public static async Task<int> RunAsync(SurfaceStart start, Func<string, SurfaceCommand?>? surfaces)
    {
        var io = start.IO;
        var registry = start.Registry;
        using var term = new RawTerminal(0);
        if (!io.StdinIsTerminal || !io.StdoutIsTerminal || !term.Usable)
        {
            io.Stderr.WriteLine("resh: error[usage]: the shell needs a terminal on stdin and stdout (run `resh STAGE` or `resh batch` from scripts).");
            return ErrorCode.Usage.ExitStatus();
        }
        var context = new ShellContext(registry);
        var vars = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        JsonNode? last = null;
        string format = "table";
        var color = string.IsNullOrEmpty(io.Env("NO_COLOR")) && io.Env("TERM") != "dumb";
        var ansi = new Ansi(color);
        var historyPath = HistoryPath(start.Runtime.Paths);
        var history = LoadHistory(historyPath);
        var app = new ReshApp(registry) { Surfaces = name => name == "shell" ? null : surfaces?.Invoke(name) };
        var editor = new LineEditor(term, new LineEditor.Callbacks
        {
            Complete = before => Complete(registry, context, before),
            Highlight = line => color ? ShellHighlight.Line(line, registry) : line,
            Hint = line => ShellHighlight.Hint(line, registry),
            Width = () => LibC.TerminalColumns(1) ?? 80,
        }, history);

        CancellationTokenSource? running = null;
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
        {
            c.Cancel = true; // the shell stays; the call stops
            running?.Cancel();
        });
        // The line as it will run (`use secret://x` then `.set value=…`): judged too, since the typed line names no verb.
        bool MayKeepInContext(string line)
        {
            try
            {
                var applied = context.Apply(ShellWords.Split(line));
                return HistoryFilter.MayKeep(string.Join(' ', applied.Select(w => w.Any(char.IsWhiteSpace) ? "'" + w.Replace("'", "'\\''") + "'" : w)), registry);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException) { return true; } // the typed line was judged already
        }
        io.Stderr.WriteLine(ansi.Dim("resh shell: Tab completes, :help for commands, Ctrl-D or :quit ends."));
        while (true)
        {
            var prompt = color ? ansi.Bold(context.Prompt) : context.Prompt;
            var line = editor.ReadLine(prompt);
            if (line is null) break;
            var trimmed = line.Trim();
            if (trimmed.Length == 0) continue;
            if (history.Count == 0 || history[^1] != trimmed)
            {
                if (HistoryFilter.MayKeep(trimmed, registry) && MayKeepInContext(trimmed)) { history.Add(trimmed); AppendHistory(historyPath, trimmed); }
            }
            try
            {
                if (trimmed is ":quit" or ":q" or "exit" or "quit") break;
                if (trimmed.StartsWith(':'))
                {
                    var cmd = trimmed[1..];
                    if (cmd == "help") { Say(io, HelpText); continue; }
                    if (OutputFormats.TryParse(cmd, out _)) { format = cmd; Say(io, $"format: {cmd}"); continue; }
                    Say(io, $"unknown shell command `{trimmed}` (:json, :yaml, :table, :ndjson, :raw, :help, :quit)");
                    continue;
                }
                string? keepAs = null;
                var toRun = trimmed;
                if (Assignment().Match(trimmed) is { Success: true } m)
                {
                    keepAs = m.Groups[1].Value;
                    toRun = m.Groups[2].Value;
                    if (keepAs == "_") throw new ShellWords.VariableException("$_ is the last result; keep a result under another name.");
                }
                JsonNode? Lookup(string name) =>
                    name == "_" ? last ?? throw new ShellWords.VariableException("$_ is empty: no call has succeeded yet.")
                    : vars.TryGetValue(name, out var v) ? v : throw new ShellWords.VariableException($"${name} is not set (set it with ${name} = STAGE).");
                var words = ShellWords.SplitLine(toRun, Lookup);
                if (keepAs is null && words.Count == 1 && toRun.TrimStart().StartsWith('$') && !toRun.Contains("://"))
                {
                    // `$name` alone prints the value.
                    var path = toRun.Trim().TrimStart('{', '$').TrimEnd('}');
                    Say(io, PrettyJson(ResolveExpr(path, Lookup)));
                    continue;
                }
                if (words.Count == 0) continue;
                if (words[0] == "use") { Say(io, ansi.Dim(context.Use(words.Skip(1).ToList()))); continue; }
                var argv = context.Apply(words);
                if (!argv.Any(a => a is "--format" or "--json-pretty" || a.StartsWith("--format=", StringComparison.Ordinal))) argv.Insert(0, "--format=" + format);
                Resh.Core.Output.Envelope? answer = null;
                running = new CancellationTokenSource();
                var callIO = new AppIO
                {
                    Stdin = io.Stdin,
                    Stdout = io.Stdout,
                    Stderr = io.Stderr,
                    StdinIsTerminal = io.StdinIsTerminal,
                    StdoutIsTerminal = io.StdoutIsTerminal,
                    StderrIsTerminal = io.StderrIsTerminal,
                    Env = io.Env,
                    HandleSignals = false,
                    TerminalWidth = io.TerminalWidth,
                    Interrupt = running.Token,
                    OnAnswer = env => answer = env,
                };
                // Keys typed while the call runs wait for the editor, as typed (Ctrl-R included; RawTerminal).
                term.EnterCall();
                try { await app.RunAsync([.. argv], callIO).ConfigureAwait(false); }
                finally
                {
                    io.Stdout.Flush();
                    term.Restore();
                    running.Dispose();
                    running = null;
                }
                if (answer is { Ok: true } ok)
                {
                    last = ResultOf(ok);
                    if (keepAs is not null) { vars[keepAs] = last; Say(io, ansi.Dim($"${keepAs} kept")); }
                }
            }
            catch (ShellWords.VariableException ex) { Say(io, (color ? ansi.Red("error") : "error") + ": " + ex.Message); }
            catch (ReshException ex) { Say(io, (color ? ansi.Red("error") : "error") + ": " + ex.Error.Message + (ex.Error.Hint is { } h ? $" ({h})" : "")); }
        }
        return 0;
    }

    static JsonNode? ResolveExpr(string expr, Func<string, JsonNode?> lookup)
    {
        var path = new List<string>();
        foreach (var part in Regex.Split(expr, @"\.|(?=\[)")) if (part.Length > 0) path.Add(part);
        return ShellWords.Resolve(path, lookup);
    }

    static string PrettyJson(JsonNode? node)
    {
        if (node is null) return "null";
        using var ms = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(ms, new System.Text.Json.JsonWriterOptions { Indented = true })) node.WriteTo(w);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>The result as JSON, encoded by the same writer as --format json (so $_ is what a script would see).</summary>
    static JsonNode? ResultOf(Resh.Core.Output.Envelope env)
    {
        try
        {
            using var ms = new MemoryStream();
            new OutputWriter(ms, TextWriter.Null, OutputFormat.Json, false, new Ansi(false)).WriteEnvelope(env);
            return JsonNode.Parse(ms.ToArray())?["result"]?.DeepClone();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException) { return null; }
    }

    static void Say(AppIO io, string text)
    {
        io.Stdout.Flush();
        RawTerminal.WriteOut(text.Replace("\r\n", "\n").Replace("\n", "\r\n") + "\r\n");
    }

    internal static IReadOnlyList<string> Complete(HandleRegistry registry, ShellContext context, string before)
    {
        // `use STAGE`, `$x = STAGE`: complete the stage part as a line of its own.
        var m = Regex.Match(before, @"^\s*(use\s+|\$[A-Za-z_][A-Za-z0-9_]*\s*=\s*)");
        var rest = m.Success ? before[m.Length..] : before;
        var candidates = Completion.Candidates(registry, "resh " + rest);
        if (!m.Success && ShellWords.CurrentWord(rest) is { Start: 0, Word: var w } && !w.Contains("://") && !w.StartsWith('-'))
            candidates = [.. candidates, .. new[] { "use", ":json", ":yaml", ":table", ":help", ":quit" }.Where(c => c.StartsWith(w, StringComparison.Ordinal))];
        return candidates;
    }

    const string HelpText = """
        Type a stage as on the command line: file:///etc/hosts.read, svc://nginx status, 'proc://.list(name=sshd)'.
          Tab            complete schemes, verbs, arguments, values, paths, units, hosts, PIDs
          use STAGE      ssh://HOST runs later stages there; file:///DIR resolves relative targets there; use alone clears
          $_             the last result;  $name = STAGE keeps one;  $name prints it
          $name.field    a value in an argument (also {$name.field}, $_.items[0].pid)
          :json :yaml :table :ndjson :raw   the output format (table by default)
          :help  :quit   (or Ctrl-D);  Ctrl-C cancels the running call, Ctrl-R searches history
        """;

    static string HistoryPath(Resh.Core.Config.ReshPaths paths) => Path.Combine(paths.StateDir, "shell_history");

    static List<string> LoadHistory(string path)
    {
        try { return File.Exists(path) ? File.ReadLines(path).Where(l => l.Length > 0).TakeLast(HistoryKept).ToList() : []; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return []; }
    }

    static void AppendHistory(string path, string line)
    {
        try
        {
            Resh.Core.Config.ReshPaths.EnsurePrivateDir(Path.GetDirectoryName(path)!);
            if (new FileInfo(path).LinkTarget is not null) return; // a planted symlink is not followed (s40 attacker)
            using var fs = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Append, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            if ((File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var bytes = Encoding.UTF8.GetBytes(line.Replace('\n', ' ') + "\n");
            fs.Write(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { } // history is a convenience: never fails a line
    }
}

/// <summary>The declared result of `resh shell` (it never answers with one: the shell owns the terminal).</summary>
public sealed record ShellResult(int Lines);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ShellResult))]
internal sealed partial class ShellJson : JsonSerializerContext;
