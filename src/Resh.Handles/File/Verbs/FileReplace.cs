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
    static readonly Arg<string?> Replacement = Arg.String("replacement", "Replacement text: $1 or \\1 (sed style), ${name} and $0 insert groups; $$ is a literal $, \\\\ a literal backslash, \\n and \\t a newline and a tab.", "", aliases: ["with"]);
    static readonly Arg<long?> Count = Arg.Int("count", "Replace at most this many matches (0 = all).", 0, min: 0);
    static readonly Arg<bool> IgnoreCase = Arg.Bool("ignore_case", "Match case-insensitively.", aliases: ["i"]);
    static readonly Arg<bool> Multiline = Arg.Bool("multiline", "^ and $ match at every line (Ansible's replace habit); false anchors them to the whole file.", true);
    static readonly Arg<bool> Backup = Arg.Bool("backup", "Keep the previous version as PATH.TIMESTAMP~ when the file changes.");

    public static readonly VerbInfo Verb = VerbInfo.Define("replace", Effect.Mutate,
        "Replace regular-expression matches across a text file; reports how many.",
        [Pattern, Replacement, Count, IgnoreCase, Multiline, Backup, FileWrite.Force, FileWrite.InPlace], () => FileJson.Default.FileReplaceResult, RunAsync,
        examples:
        [
            new("file:///etc/nginx/nginx.conf.replace pattern='worker_processes\\s+\\d+;' replacement='worker_processes auto;'", "Rewrite a directive."),
            new("file:///srv/app/.env.replace pattern='^DEBUG=.*$' replacement=DEBUG=false --dry-run", "Preview the change as a diff."),
            new("file:///etc/hosts.replace pattern='^(\\S+)\\s+old-name$' replacement='\\1 new-name'", "Keep the address with a sed-style backreference."),
        ],
        notes: "Idempotent when the replacement no longer matches the pattern (second run: 0 replacements, `changed: false`). A pattern that takes over 2 s to match fails (`failed`) instead of hanging. The write is atomic and keeps mode and owner.").WithPathConfinement();

    static async ValueTask<Outcome<FileReplaceResult>> RunAsync(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var options = (ctx.Get(IgnoreCase) ? RegexOptions.IgnoreCase : RegexOptions.None) | (ctx.Get(Multiline) ? RegexOptions.Multiline : RegexOptions.None);
        var regex = TextLines.Compile(ctx.Get(Pattern)!, "pattern", options);
        var replacement = NetReplacement(ctx.Get(Replacement) ?? "");
        var max = (int)Math.Min(ctx.Get(Count) ?? 0, int.MaxValue);

        using var target = WriteTarget.Open(path, follow: true, "edit");
        var st = target.Existing ?? throw FileMetadata.NotFound(path).ToException();
        if (st.IsDirectory) return ReshError.Usage($"{FilePaths.Display(path)} is a directory.", "Name a text file.");
        if (!st.IsRegular) return ReshError.Usage($"{FilePaths.Display(path)} is a {st.TypeName}, not a regular file.", "replace edits regular text files.");
        var oldBytes = target.ReadAll(64L << 20, ctx.Cancellation);
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
            return ReshError.Usage($"`replacement` is not valid: {ExceptionTranslation.Describe(ex)}", "Use $1, \\1 or ${name} for groups and $$ for a literal $.",
                new JsonObject { ["replacement"] = ctx.Get(Replacement) });
        }

        if (updated == text) return new FileReplaceResult(FilePaths.Display(path), made, null, null);
        var newBytes = Encoding.UTF8.GetBytes(updated);
        var diff = ContentDiff.Between(oldBytes, true, newBytes, path);
        string? backup = null;
        if (!ctx.DryRun)
            backup = (await AtomicRewrite.WriteAsync(ctx, target, newBytes,
                new AtomicRewrite.Options(null, Ownership.Keep, ctx.Get(Backup), ctx.Get(FileWrite.Force), ctx.Get(FileWrite.InPlace))).ConfigureAwait(false)).Backup;
        return Outcome.Changed(new FileReplaceResult(FilePaths.Display(path), made, backup is null ? null : FilePaths.Display(backup), diff));
    }

    /// <summary>
    /// The replacement in .NET syntax with sed's habits added: \N (a digit) is group N, \\ a backslash,
    /// \n and \t a newline and a tab, \&amp; a literal &amp;; any other backslash stays as written. $ keeps
    /// its .NET meaning ($1, ${name}, $$).
    /// </summary>
    internal static string NetReplacement(string replacement)
    {
        if (!replacement.Contains('\\')) return replacement;
        var sb = new StringBuilder(replacement.Length + 8);
        for (int i = 0; i < replacement.Length; i++)
        {
            var c = replacement[i];
            if (c != '\\' || i + 1 == replacement.Length) { sb.Append(c); continue; }
            var n = replacement[i + 1];
            switch (n)
            {
                case >= '0' and <= '9': sb.Append("${").Append(n).Append('}'); break;
                case '\\': sb.Append('\\'); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case '&': sb.Append('&'); break;
                default: sb.Append('\\').Append(n); break;
            }
            i++;
        }
        return sb.ToString();
    }
}
