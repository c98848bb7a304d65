using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Files;

public static class FileReplace
{
    static readonly Arg<string?> Pattern = Arg.String("pattern", ".NET regular expression to find.", required: true, examples: ["listen\\s+80;", "^(\\w+)=old$"], aliases: ["regex", "regexp"]);
    static readonly Arg<string?> Replacement = Arg.String("replacement", "Replacement text; $1, ${name} insert groups, $$ is a literal $.", "", aliases: ["with"]);
    static readonly Arg<long?> Count = Arg.Int("count", "Replace at most this many matches (0 = all).", 0, min: 0);
    static readonly Arg<bool> IgnoreCase = Arg.Bool("ignore_case", "Match case-insensitively.", aliases: ["i"]);
    static readonly Arg<bool> Multiline = Arg.Bool("multiline", "^ and $ match at every line (Ansible's replace habit); false anchors them to the whole file.", true);
    static readonly Arg<bool> Backup = Arg.Bool("backup", "Keep the previous version as PATH.TIMESTAMP~ when the file changes.");

    public static readonly VerbInfo Verb = VerbInfo.Define("replace", Effect.Mutate,
        "Replace regular-expression matches across a text file; reports how many.",
        [Pattern, Replacement, Count, IgnoreCase, Multiline, Backup], () => FileJson.Default.FileReplaceResult, RunAsync,
        examples:
        [
            new("file:///etc/nginx/nginx.conf.replace pattern='worker_processes\\s+\\d+;' replacement='worker_processes auto;'", "Rewrite a directive."),
            new("file:///srv/app/.env.replace pattern='^DEBUG=.*$' replacement=DEBUG=false --dry-run", "Preview the change as a diff."),
        ],
        notes: "Idempotent when the replacement no longer matches the pattern (second run: 0 replacements, `changed: false`). A pattern that takes over 2 s to match fails (`failed`) instead of hanging. The write is atomic and keeps mode and owner.");

    static async ValueTask<Outcome<FileReplaceResult>> RunAsync(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var options = (ctx.Get(IgnoreCase) ? RegexOptions.IgnoreCase : RegexOptions.None) | (ctx.Get(Multiline) ? RegexOptions.Multiline : RegexOptions.None);
        var regex = TextLines.Compile(ctx.Get(Pattern)!, "pattern", options);
        var replacement = ctx.Get(Replacement) ?? "";
        var max = (int)Math.Min(ctx.Get(Count) ?? 0, int.MaxValue);

        var target = FilePaths.ContentPath(path);
        var st = FileMetadata.StatOrThrow(target, follow: false);
        if (st.IsDirectory) return ReshError.Usage($"{path} is a directory.", "Name a text file.");
        var oldBytes = FileContent.ReadAll(target, 64L << 20, ctx.Cancellation);
        var text = TextLines.Decode(oldBytes, path);

        int made = 0;
        string updated;
        try
        {
            updated = regex.Replace(text, m =>
            {
                made++;
                return m.Result(replacement);
            }, max == 0 ? -1 : max);
        }
        catch (RegexMatchTimeoutException)
        {
            return TextLines.Timeout("pattern");
        }
        catch (ArgumentException ex)
        {
            return ReshError.Usage($"`replacement` is not valid: {ExceptionTranslation.Describe(ex)}", "Use $1 or ${name} for groups and $$ for a literal $.",
                new JsonObject { ["replacement"] = replacement });
        }

        if (updated == text) return new FileReplaceResult(path, made, null, null);
        var newBytes = Encoding.UTF8.GetBytes(updated);
        var diff = ContentDiff.Between(oldBytes, true, newBytes, path);
        string? backup = null;
        if (!ctx.DryRun)
            backup = await AtomicRewrite.WriteAsync(ctx, target, newBytes, st, new AtomicRewrite.Options(null, Ownership.Keep, ctx.Get(Backup))).ConfigureAwait(false);
        return Outcome.Changed(new FileReplaceResult(path, made, backup, diff));
    }
}
