using System.Text.Json;
using Json.Schema;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Config;

public static class ConfigValidate
{
    static readonly Arg<string?> Schema = Arg.String("schema", "The JSON Schema file (JSON or YAML; drafts 6, 7, 2019-09 and 2020-12).", required: true);

    public static readonly VerbInfo Verb = VerbInfo.Define("validate", Effect.Read,
        "Check the file's data against a JSON Schema; every failing value is listed with its key.",
        [Schema, ConfigFiles.FormatArg], () => ConfigJson.Default.ConfigValidateResult, RunAsync,
        examples: [new("config:///etc/app/config.yaml validate schema=/usr/share/app/config.schema.json", "Validate before a reload.")],
        notes: "An invalid document is a result (`valid: false` with `errors`), as with cron's validate; a schema that cannot be read or is not a schema is `usage`. "
            + "Data from INI, .env, properties and sysctl files is all strings.");

    static ValueTask<Outcome<ConfigValidateResult>> RunAsync(VerbContext ctx)
    {
        using var doc = ConfigFiles.Open(ctx, ConfigFiles.ResolvePath(ctx), ctx.Get(ConfigFiles.FormatArg), false, "read");
        using var schemaDoc = ConfigFiles.OpenArg(ctx, ctx.Get(Schema)!, "schema");
        JsonSchema schema;
        try
        {
            schema = JsonSchema.FromText(schemaDoc.Data?.ToJsonString() ?? "true");
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or FormatException or NotSupportedException or KeyNotFoundException or RefResolutionException)
        {
            return ValueTask.FromResult<Outcome<ConfigValidateResult>>(ReshError.Usage($"{schemaDoc.Display} is not a JSON Schema: {ExceptionTranslation.Describe(ex)}", "Check the schema file."));
        }
        using var instance = JsonDocument.Parse(doc.Data?.ToJsonString() ?? "null", new JsonDocumentOptions { MaxDepth = 1000 });
        EvaluationResults results;
        try
        {
            results = schema.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or RefResolutionException or ArgumentException)
        {
            return ValueTask.FromResult<Outcome<ConfigValidateResult>>(ReshError.Usage($"The schema {schemaDoc.Display} cannot be evaluated: {ExceptionTranslation.Describe(ex)}", "Check its $ref targets: only references inside the schema are followed."));
        }
        var errors = new List<ConfigSchemaError>();
        void Add(EvaluationResults r)
        {
            if (r.Errors is { } errs)
                foreach (var (keyword, message) in errs)
                    errors.Add(new ConfigSchemaError(r.InstanceLocation.ToString(), r.EvaluationPath + "/" + keyword, message));
        }
        Add(results);
        if (results.Details is { } details) foreach (var d in details) Add(d);
        var valid = results.IsValid;
        return ValueTask.FromResult<Outcome<ConfigValidateResult>>(new ConfigValidateResult(doc.Display, doc.Format.Name, schemaDoc.Display, valid, errors.Count, errors));
    }
}
