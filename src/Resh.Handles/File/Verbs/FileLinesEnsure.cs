using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Files;

public static class FileLinesEnsure
{
    static readonly Arg<string?> Line = Arg.String("line", "The whole line that must be present (without its newline).", examples: ["PermitRootLogin no"]);
    static readonly Arg<string?> State = Arg.Enum("state", "present: make sure the line is there; absent: remove matching lines.", ["present", "absent"], "present");
    static readonly Arg<string?> Regex_ = Arg.String("regex", "Lines to replace (present: the last match becomes `line`) or to remove (absent). .NET regex, searched anywhere in the line.",
        examples: ["^#?PermitRootLogin"], aliases: ["regexp"]);
    static readonly Arg<string?> After = Arg.String("after", "Where a new line goes: after the last line matching this regex, or EOF (default). No match: end of file.", aliases: ["insertafter"]);
    static readonly Arg<string?> Before = Arg.String("before", "Where a new line goes: before the last line matching this regex, or BOF. No match: end of file.", aliases: ["insertbefore"]);
    static readonly Arg<bool> Create = Arg.Bool("create", "Create the file when it does not exist (state=present).");
    static readonly Arg<bool> Backup = Arg.Bool("backup", "Keep the previous version as PATH.TIMESTAMP~ when the file changes.");

    public static readonly VerbInfo Verb = VerbInfo.Define("lines.ensure", Effect.Mutate,
        "Make sure a line is present (replacing a regex match) or absent, like Ansible's lineinfile.",
        [Line, State, Regex_, After, Before, Create, Backup, FileWrite.Force, FileWrite.InPlace], () => FileJson.Default.FileLinesEnsureResult, RunAsync,
        examples:
        [
            new("file:///etc/ssh/sshd_config.lines.ensure line='PermitRootLogin no' regex='^#?PermitRootLogin'", "Set a directive, replacing any existing (or commented) one."),
            new("file:///etc/hosts.lines.ensure line='10.0.0.5 db' after=^127\\.", "Add a host entry after the localhost lines."),
            new("file:///etc/fstab.lines.ensure state=absent regex=/mnt/old", "Remove every line mentioning /mnt/old."),
        ],
        notes: "Idempotent: with `regex`, the last matching line is replaced (unchanged if it already equals `line`); without a match, or without `regex`, the line is inserted only if no line equals it exactly. The file's line endings (LF/CRLF) and its final-newline convention are kept; the write is atomic and keeps mode and owner.").WithPathConfinement();

    static async ValueTask<Outcome<FileLinesEnsureResult>> RunAsync(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var state = ctx.Get(State)!;
        var line = ctx.Get(Line);
        var regex = ctx.Get(Regex_) is { } r ? TextLines.Compile(r, "regex") : null;
        if (state == "present" && line is null)
            return ReshError.Usage("state=present needs `line`.", "Add line='the full line'.");
        if (state == "absent" && line is null && regex is null)
            return ReshError.Usage("state=absent needs `line` or `regex`.", "Add line='the exact line' or regex=PATTERN.");
        if (line is not null && (line.Contains('\n') || line.Contains('\r')))
            return ReshError.Usage("`line` must be a single line.", "Call lines.ensure once per line, or use write for whole blocks.");
        if (ctx.IsSet(After) && ctx.IsSet(Before))
            return ReshError.Usage("Give `after` or `before`, not both.", "after=REGEX|EOF or before=REGEX|BOF.");

        if (Path.GetDirectoryName(path) is { } parent && FileParents.Missing(parent).Count > 0)
        {
            if (state == "absent") return new FileLinesEnsureResult(FilePaths.Display(path), state, "unchanged", null, 0, false, null, null);
            return ReshError.NotFound($"The directory {FilePaths.Display(parent)} does not exist.", $"Create it first: resh file://{FilePaths.Display(parent)}.mkdir",
                new JsonObject { ["path"] = FilePaths.Display(path) });
        }
        using var target = WriteTarget.Open(path, follow: true, "edit");
        var st = target.Existing;
        if (st is { IsDirectory: true }) return ReshError.Usage($"{FilePaths.Display(path)} is a directory.", "Name a text file.");
        if (st is { } other && !other.IsRegular) return ReshError.Usage($"{FilePaths.Display(path)} is a {other.TypeName}, not a regular file.", "lines.ensure edits regular text files.");
        if (st is null && (state == "absent"))
            return new FileLinesEnsureResult(FilePaths.Display(path), state, "unchanged", null, 0, false, null, null);
        if (st is null && !ctx.Get(Create))
            return ReshError.NotFound($"{FilePaths.Display(path)} does not exist.", "Pass create=true to create it with the line.", new JsonObject { ["path"] = FilePaths.Display(path) });

        var oldBytes = st is null ? [] : target.ReadAll(64L << 20, ctx.Cancellation);
        var lines = TextLines.Parse(TextLines.Decode(oldBytes, path));
        string action;
        int? lineNumber = null;
        int removed = 0;
        try
        {
            (action, lineNumber, removed) = state == "present"
                ? EnsurePresent(lines, line!, regex, ctx.Get(After), ctx.Get(Before))
                : EnsureAbsent(lines, line, regex);
        }
        catch (RegexMatchTimeoutException)
        {
            return TextLines.Timeout("regex");
        }

        var created = st is null;
        if (action == "unchanged" && !created)
            return new FileLinesEnsureResult(FilePaths.Display(path), state, action, lineNumber, 0, false, null, null);
        var newBytes = Encoding.UTF8.GetBytes(lines.Render());
        var diff = ContentDiff.Between(oldBytes, !created, newBytes, path);
        string? backup = null;
        if (!ctx.DryRun)
            backup = (await AtomicRewrite.WriteAsync(ctx, target, newBytes,
                new AtomicRewrite.Options(null, Ownership.Keep, ctx.Get(Backup), ctx.Get(FileWrite.Force), ctx.Get(FileWrite.InPlace))).ConfigureAwait(false)).Backup;
        return Outcome.Changed(new FileLinesEnsureResult(FilePaths.Display(path), state, action, lineNumber, removed, created, backup is null ? null : FilePaths.Display(backup), diff));
    }

    static (string, int?, int) EnsurePresent(TextLines lines, string line, Regex? regex, string? after, string? before)
    {
        if (regex is not null)
        {
            for (int i = lines.Count - 1; i >= 0; i--)
            {
                if (!regex.IsMatch(lines[i])) continue;
                if (lines[i] == line) return ("unchanged", i + 1, 0);
                lines.Replace(i, line);
                return ("replaced", i + 1, 0);
            }
        }
        for (int i = 0; i < lines.Count; i++)
            if (lines[i] == line) return ("unchanged", i + 1, 0);

        int at = lines.Count;
        if (before is "BOF") at = 0;
        else if (before is not null && LastMatch(lines, TextLines.Compile(before, "before")) is { } b) at = b;
        else if (after is not null && after != "EOF" && LastMatch(lines, TextLines.Compile(after, "after")) is { } a) at = a + 1;
        lines.Insert(at, line);
        return ("inserted", at + 1, 0);
    }

    static (string, int?, int) EnsureAbsent(TextLines lines, string? line, Regex? regex)
    {
        int removed = 0;
        for (int i = lines.Count - 1; i >= 0; i--)
        {
            if (regex is not null ? regex.IsMatch(lines[i]) : lines[i] == line)
            {
                lines.RemoveAt(i);
                removed++;
            }
        }
        return (removed > 0 ? "removed" : "unchanged", null, removed);
    }

    static int? LastMatch(TextLines lines, Regex regex)
    {
        for (int i = lines.Count - 1; i >= 0; i--)
            if (regex.IsMatch(lines[i])) return i;
        return null;
    }
}
