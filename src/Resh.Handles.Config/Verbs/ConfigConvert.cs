using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Config.Formats;
using Resh.Handles.Files;

namespace Resh.Handles.Config;

public static class ConfigConvert
{
    static readonly Arg<string?> To = Arg.Enum("to", "The format to write.", ConfigFiles.FormatNames[1..], required: true);
    static readonly Arg<string?> Output = Arg.String("output", "Write the result to this file (atomically; an existing file keeps its mode and owner). Default: return it in `content` (--format raw prints it).", aliases: ["out"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("convert", Effect.Mutate,
        "Convert a configuration file to another format, to a file or to standard output.",
        [To, Output, ConfigFiles.FormatArg], () => ConfigJson.Default.ConfigConvertResult, RunAsync,
        examples:
        [
            new("config:///etc/app/config.yaml convert to=toml --format raw", "Print the document as TOML."),
            new("config:///srv/app/config.json convert to=yaml output=/srv/app/config.yaml", "Write a YAML copy."),
        ],
        notes: "Comments do not carry across formats (the data does). Without output= nothing is written and `changed` is false. "
            + "INI keeps one level of sections and line formats (.env, properties, sysctl) flatten nested keys with dots; TOML has no null.");

    static async ValueTask<Outcome<ConfigConvertResult>> RunAsync(VerbContext ctx)
    {
        using var doc = ConfigFiles.Open(ctx, ConfigFiles.ResolvePath(ctx), ctx.Get(ConfigFiles.FormatArg), false, "read");
        var to = ConfigFiles.ByName(ctx.Get(To))!;
        var content = to.Render(doc.Data);
        var output = ctx.Get(Output);
        if (output is null)
            return new Outcome<ConfigConvertResult>(new ConfigConvertResult(doc.Display, doc.Format.Name, to.Name, null, content, null), false).WithRaw(RawPayload.FromText(content, newline: false));
        var outPath = FilePaths.ResolveArg(ctx, output, "output");
        using var target = WriteTarget.Open(outPath, follow: true, "write");
        if (target.Existing is { IsRegular: false } st)
            return ReshError.Usage($"{FilePaths.Display(outPath)} is a {st.TypeName}, not a regular file.", "Name a file to write.");
        var bytes = Encoding.UTF8.GetBytes(content);
        var old = target.Existing is null ? null : target.ReadAll(ConfigFiles.MaxBytes, ctx.Cancellation);
        if (old is not null && old.AsSpan().SequenceEqual(bytes))
            return new ConfigConvertResult(doc.Display, doc.Format.Name, to.Name, FilePaths.Display(outPath), null, null);
        var diff = ContentDiff.Between(old ?? [], old is not null, bytes, outPath);
        if (!ctx.DryRun)
            await AtomicRewrite.WriteAsync(ctx, target, bytes, new AtomicRewrite.Options(null, Ownership.Keep, false)).ConfigureAwait(false);
        return Outcome.Changed(new ConfigConvertResult(doc.Display, doc.Format.Name, to.Name, FilePaths.Display(outPath), null, diff));
    }
}
