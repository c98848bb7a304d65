using System.Text.Json;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Config;

public static class ConfigValidate
{
    static readonly Arg<string?> Schema = Arg.String("schema", "The JSON Schema file (JSON or YAML): type, enum, const, properties, required, additionalProperties, patternProperties, items, prefixItems, minimum/maximum, lengths, pattern, uniqueItems, allOf/anyOf/oneOf/not, if/then/else and local $ref.", required: true, path: PathUse.Read).WithPathConfinement();

    public static readonly VerbInfo Verb = VerbInfo.Define("validate", Effect.Read,
        "Check the file's data against a JSON Schema; every failing value is listed with its key.",
        [Schema, ConfigArgs.Reveal, ConfigFiles.FormatArg], () => ConfigJson.Default.ConfigValidateResult, RunAsync,
        examples: [new("config:///etc/app/config.yaml validate schema=/usr/share/app/config.schema.json", "Validate before a reload.")],
        notes: "An invalid document is a result (`valid: false` with `errors`), as with cron's validate; a schema that cannot be read or is not a schema is `usage`. "
            + "Data from INI, .env, properties and sysctl files is all strings. "
            + "A value shown as \"***\" (a secret-looking key's, or a string with a password inside) is checked for its type only unless reveal=true: "
            + "its enum, const, pattern, lengths and bounds would tell a caller, guess by guess, what the secret is. Those keywords are listed in `unchecked` (and named in a warning), not counted as errors.").WithPathConfinement();

    static ValueTask<Outcome<ConfigValidateResult>> RunAsync(VerbContext ctx)
    {
        using var doc = ConfigFiles.Open(ctx, ConfigFiles.ResolvePath(ctx), ctx.Get(ConfigFiles.FormatArg), false, "read");
        using var schemaDoc = ConfigFiles.OpenArg(ctx, ctx.Get(Schema)!, "schema");
        var (errors, skipped) = SchemaCheck.Validate(schemaDoc.Data, doc.Data, ctx.Get(ConfigArgs.Reveal));
        if (skipped.Count > 0)
        {
            var at = skipped.Select(e => e.Instance.Length == 0 ? "(document)" : e.Instance).Distinct().ToList();
            ctx.Warn($"Not checked without reveal=true: the content of {at.Count} masked value(s) ({string.Join(", ", at.Take(5))}{(at.Count > 5 ? ", ..." : "")}); only their types were checked.");
        }
        var valid = errors.Count == 0;
        return ValueTask.FromResult<Outcome<ConfigValidateResult>>(new ConfigValidateResult(doc.Display, doc.Format.Name, schemaDoc.Display, valid, errors.Count, errors, skipped));
    }
}
