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
    static readonly Arg<string?> Output = Arg.String("output", "Write the result to this file (atomically; an existing file keeps its mode and owner). Default: return it in `content` (--format raw prints it).", aliases: ["out"], path: PathUse.Write).WithPathConfinement();

    public static readonly VerbInfo Verb = VerbInfo.Define("convert", Effect.Mutate,
        "Convert a configuration file to another format, to a file or to standard output.",
        [To, Output, ConfigArgs.Reveal, ConfigFiles.FormatArg], () => ConfigJson.Default.ConfigConvertResult, RunAsync,
        examples:
        [
            new("config:///etc/app/config.yaml convert to=toml --format raw", "Print the document as TOML."),
            new("config:///srv/app/config.json convert to=yaml output=/srv/app/config.yaml", "Write a YAML copy."),
        ],
        notes: "Comments do not carry across formats (the data does). Without output= nothing is written and `changed` is false; the content then shows secret-looking keys' values, and the passwords inside URLs and connection strings, as \"***\" unless reveal=true, and --format raw of a document holding such values is refused without reveal=true (or output=) rather than printing \"***\" where a script expects the data. "
            + "A new output file gets the source's permission bits (a 0600 file stays 0600; never wider than the umask allows) and, when root writes it, the source's owner; an existing one keeps its own. "
            + "INI keeps one level of sections (a document with top-level values that are not tables is refused: INI readers such as Python's configparser reject keys before the first section) and line formats (.env, properties, sysctl) flatten nested keys with dots; TOML has no null. "
            + "An INI value is one line (a value with a newline is refused, naming its key), and a key holding '=' or ':' or starting with '[', '#' or ';' is refused; a value with ';' or '#' is written in double quotes, which resh and MySQL strip but Python's configparser keeps; "
            + "a '%' is written as is, so read such a file with configparser's RawConfigParser (or interpolation=None): its default interpolation treats '%' as a reference.").WithPathConfinement();

    /// <summary>
    /// An existing output keeps its own mode and owner; a new one gets the source's permission bits (never wider than
    /// the umask allows, no execute bits), and, when root writes it, the source's owner: a 0600 secret file converts to a 0600 file.
    /// </summary>
    static AtomicRewrite.Options NewFileOptions(ConfigDocument doc, WriteTarget target)
    {
        if (target.Existing is not null || doc.Target.Existing is not { } src) return new AtomicRewrite.Options(null, Ownership.Keep, false);
        var mode = src.Permissions & 0x1B6u & ~FileNative.Umask();
        var owner = Environment.IsPrivilegedProcess ? new Ownership(src.Uid, src.Gid) : Ownership.Keep;
        return new AtomicRewrite.Options(mode, owner, false);
    }

    static async ValueTask<Outcome<ConfigConvertResult>> RunAsync(VerbContext ctx)
    {
        var output = ctx.Get(Output);
        // Writing a file (perhaps the source itself, in place) holds its edit lock from the read to the rename, as set does.
        using var held = output is null ? null : ConfigFiles.LockFor(ctx, FilePaths.ResolveArg(ctx, output, "output"));
        using var doc = ConfigFiles.Open(ctx, ConfigFiles.ResolvePath(ctx), ctx.Get(ConfigFiles.FormatArg), false, "read");
        var to = ConfigFiles.ByName(ctx.Get(To))!;
        var content = to.Render(doc.Data);
        // Printed content masks secret values unless asked (reveal=true); a file written gets the real data.
        if (output is null && !ctx.Get(ConfigArgs.Reveal) && ConfigSecrets.HoldsSecret(doc.Data, KeyPath.Root))
        {
            // As with get: raw output is what a script consumes, so "***" in place of a value would be a silently wrong file.
            if (ctx.WantsRaw)
                return ReshError.Usage($"{doc.Display} holds secret values; --format raw prints the converted document only with reveal=true.",
                    $"resh config://{doc.Display}.convert to={to.Name} reveal=true --format raw, or write it with output=FILE");
            content = to.Render(ConfigSecrets.Masked(doc.Data, KeyPath.Root));
        }
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
        diff = ConfigSecrets.ScrubDiff(diff, to, old is null ? "" : Encoding.UTF8.GetString(old), content);
        if (!ctx.DryRun)
            await AtomicRewrite.WriteAsync(ctx, target, bytes, NewFileOptions(doc, target)).ConfigureAwait(false);
        return Outcome.Changed(new ConfigConvertResult(doc.Display, doc.Format.Name, to.Name, FilePaths.Display(outPath), null, diff));
    }
}
