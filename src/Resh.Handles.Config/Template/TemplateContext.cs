using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;
using Resh.Handles.Config;
using Resh.Handles.Config.Formats;
using Resh.Handles.Files;
using Resh.Handles.Sys;
using Resh.Handles.Template.Engine;

namespace Resh.Handles.Template;

/// <summary>The arguments every template verb shares, and turning them into a loader, a context and a renderer.</summary>
internal static class TemplateContext
{
    /// <summary>
    /// The context: vars:=JSON (an object), vars=@FILE (JSON, YAML or TOML, told apart by content) or both, given as
    /// two vars arguments: files first, then the JSON objects deep-merged over them.
    /// </summary>
    public static readonly Arg<JsonNode?> Vars = new()
    {
        Name = "vars",
        Description = "Variables: vars:='{\"port\": 8080}' (a JSON object) or vars=@vars.yml (a JSON, YAML or TOML file; YAML is read as YAML 1.1 like Ansible, so yes/no/on/off are booleans and 0644 is octal); give both to merge the JSON over the file (deep merge).",
        Kind = ArgKind.Json,
        Examples = ["'{\"port\": 8080}'", "@vars.yml"],
        Parser = (a, values) =>
        {
            JsonObject? merged = null;
            foreach (var v in values.Where(v => !v.IsJson).Concat(values.Where(v => v.IsJson)))
            {
                var node = v.IsJson ? v.Json?.DeepClone() : ParseVarsText(v.Bytes is not null ? Encoding.UTF8.GetString(v.Bytes) : v.Text ?? "");
                // s37 user #15: in a JSON request (batch, serve, mcp) every value is JSON, and "@/path" is text, not a file to
                // read: a request must not make resh read files on its side (an MCP client or a serve caller is someone else).
                if (v.IsJson && node is JsonValue jv && jv.GetValueKind() == JsonValueKind.String && jv.GetValue<string>().StartsWith('@'))
                    throw new ArgValueException("Argument `vars` of a JSON request (batch, serve, mcp) must be an object; \"@FILE\" is read from a file only on the command line, by design, so a request never makes resh read a file.",
                        "Put the mapping itself in the request (\"vars\": {\"port\": 8080}), or give vars=@FILE on a command line.");
                if (node is not JsonObject o)
                    throw new ArgValueException($"Argument `vars` must be an object (key: value), not {(node is null ? "null" : node.GetValueKind().ToString().ToLowerInvariant())}.",
                        "vars:='{\"name\": \"value\"}' or vars=@vars.yml holding a mapping.");
                merged = merged is null ? o : DeepMerge(merged, o);
            }
            return merged;
        },
    };

    static JsonNode? ParseVarsText(string text)
    {
        if (text.TrimStart().StartsWith('{'))
        {
            try { return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 200 }); }
            catch (JsonException e) { throw new ArgValueException($"Argument `vars` is not valid JSON: {e.Message}", "Check the file's syntax."); }
        }
        if (text.Length > ConfigFiles.MaxBytes) throw new ArgValueException("Argument `vars` is larger than 64 MiB.", null);
        var format = ConfigFiles.Sniff(text) is TomlFormat ? (ConfigFormat)TomlFormat.Instance : YamlFormat.Yaml11; // YAML 1.1, as Ansible (PyYAML) reads vars files
        try { return format.Read(text); }
        catch (ReshException e) { throw new ArgValueException($"Argument `vars` could not be read as {format.Name}: {e.Error.Message}", "Give a JSON, YAML or TOML mapping."); }
    }

    static JsonObject DeepMerge(JsonObject into, JsonObject from)
    {
        foreach (var (k, v) in from.ToList())
        {
            if (v is JsonObject fo && into[k] is JsonObject io) DeepMerge(io, fo);
            else into[k] = v?.DeepClone();
        }
        return into;
    }

    public static readonly Arg<bool> Facts = Arg.Bool("facts", "Add `facts` from system://'s readers: hostname, os (id, name, version_id, codename, pretty_name), kernel, arch, cpus, memory (total, available), ipv4, ipv6 and interfaces.");
    public static readonly Arg<bool> Strict = Arg.Bool("strict", "An undefined variable is a `usage` error naming it and its line (Ansible's behaviour); false renders it empty, as Jinja2's default.", true);
    public static readonly Arg<string?> Root = Arg.String("root", "The directory include, extends and import may read below (default: the template's own directory); names leaving it, by .. or a symlink, are refused.", path: PathUse.Read).WithPathConfinement();
    public static readonly Arg<bool> TrimBlocks = Arg.Bool("trim_blocks", "Drop the first newline after a {% %} tag (Ansible's default).", true);
    public static readonly Arg<bool> LstripBlocks = Arg.Bool("lstrip_blocks", "Strip spaces and tabs before a {% %} tag at the start of a line.");
    public static readonly Arg<long?> MaxSize = Arg.Size("max_size", "The largest output (and any string built while rendering); more is refused.", 64L << 20);

    public static readonly Arg<string?> Inline = Arg.String("inline", "The template's text itself, instead of a file named by the target (template://.render(inline=...)); its includes resolve below root= (default: the current directory).",
        examples: ["'port={{ port }}'"]);

    public static readonly ArgInfo[] Common = [Vars, Facts, Strict, Root, TrimBlocks, LstripBlocks, MaxSize, Inline];

    /// <summary>The template as results show it: its path, or &lt;inline&gt;.</summary>
    public static string Display(ParsedTemplate top) => top.Display == Loader.InlineName ? Loader.InlineName : FilePaths.Display(top.Path);

    /// <summary>The target as results show it, before it is loaded.</summary>
    public static string DisplayTarget(VerbContext ctx) => ctx.Get(Inline) is not null ? Loader.InlineName : ctx.Target.Length == 0 ? throw EmptyTarget() : FilePaths.Display(FilePaths.Resolve(ctx));

    static ReshException EmptyTarget() =>
        ReshError.Usage("The template:// target is empty.", "Name a template file (template:///etc/templates/app.j2) or give its text: template://.render(inline='{{ x }}').").ToException();

    /// <summary>The template file of the target, and its loader.</summary>
    public static (Loader loader, ParsedTemplate top) Load(VerbContext ctx)
    {
        var rootArg = ctx.Get(Root);
        if (ctx.Get(Inline) is { } inline)
        {
            if (ctx.Target.Length > 0)
                throw ReshError.Usage($"Both a template file ({ctx.Target}) and inline= are given.", "Give one: template://PATH.render or template://.render(inline=...).").ToException();
            var inlineRoot = rootArg is null ? Directory.GetCurrentDirectory() : FilePaths.ResolveArg(ctx, rootArg, "root");
            var inlineLoader = new Loader(inlineRoot, new LexOptions(ctx.Get(TrimBlocks), ctx.Get(LstripBlocks)), ConfigFiles.MaxBytes);
            return (inlineLoader, inlineLoader.LoadInline(inline));
        }
        if (ctx.Target.Length == 0) throw EmptyTarget();
        var path = FilePaths.Resolve(ctx);
        var root = rootArg is null ? Path.GetDirectoryName(Path.GetFullPath(path))! : FilePaths.ResolveArg(ctx, rootArg, "root");
        var loader = new Loader(root, new LexOptions(ctx.Get(TrimBlocks), ctx.Get(LstripBlocks)), ConfigFiles.MaxBytes);
        return (loader, loader.LoadTop(path));
    }

    public static Renderer Renderer(VerbContext ctx, Loader loader, bool? strict = null) => new(loader, new RenderOptions
    {
        Strict = strict ?? ctx.Get(Strict),
        MaxSize = ctx.Get(MaxSize) ?? 64L << 20,
        Cancellation = ctx.Cancellation,
        Secret = name =>
        {
            if (ctx.Runtime.SecretsWithheld) // a REST role or MCP server without allow_reveal: the client wrote this template
                throw new TemplateError($"secret(\"{name}\") is refused: this server does not hand secrets to templates its clients send.", null,
                    "Ask the operator for a role with allow_reveal = true (resh serve) or a server started with --allow-reveal (resh mcp).", "permission_denied");
            var store = SecretStore.Provider?.Invoke() ?? throw new TemplateError("No secret store in this build.", null, null, "unavailable");
            var value = store.Read(name, ctx.Runtime, ctx.Cancellation);
            return value?.Reveal();
        },
    });

    /// <summary>The variables of the render: vars, and facts when asked.</summary>
    public static Dictionary<string, object?> Variables(VerbContext ctx, JsonObject? extra = null)
    {
        var vars = ctx.Get(Vars) is JsonObject o ? (JsonObject)o.DeepClone() : new JsonObject();
        if (extra is not null) DeepMerge(vars, (JsonObject)extra.DeepClone());
        var d = (Dictionary<string, object?>)V.FromJson(vars)!;
        if (ctx.Get(Facts)) d["facts"] = CollectFacts(ctx);
        return d;
    }

    static Dictionary<string, object?> CollectFacts(VerbContext ctx)
    {
        var os = SystemOs.Collect();
        var mem = SystemMemory.Collect(includeCgroup: false);
        var addrs = IfAddrs.Read(out _) ?? [];
        List<object?> Addr(string family) => addrs.Where(a => a.Family == family && a.Interface != "lo").Select(a => (object?)a.Address.ToString()).Distinct().ToList();
        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["hostname"] = os.Hostname,
            ["os"] = new Dictionary<string, object?> { ["id"] = os.Id, ["name"] = os.Name, ["version_id"] = os.VersionId, ["codename"] = os.VersionCodename, ["pretty_name"] = os.PrettyName },
            ["kernel"] = os.Kernel.Release,
            ["arch"] = os.Architecture,
            ["cpus"] = (long)CpuList.OnlineCount(),
            ["memory"] = mem is null ? null : new Dictionary<string, object?> { ["total"] = mem.Total, ["available"] = mem.Available },
            ["ipv4"] = Addr("inet"),
            ["ipv6"] = Addr("inet6"),
            ["interfaces"] = addrs.Select(a => (object?)new Dictionary<string, object?> { ["name"] = a.Interface, ["family"] = a.Family, ["address"] = a.Address.ToString(), ["prefix"] = (long)a.PrefixLength }).ToList(),
        };
    }

    /// <summary>A template error as the envelope's error: the code of its kind, file:line:column first, the place in details.</summary>
    public static ReshError ToError(TemplateError e)
    {
        var details = new JsonObject();
        if (e.At is { } at)
        {
            details["file"] = at.File;
            details["line"] = at.Line;
            details["column"] = at.Column;
        }
        var message = e.At is { } l ? $"{l.File}:{l.Line}:{l.Column}: {e.Message}" : e.Message;
        return e.Kind switch
        {
            "not_found" => ReshError.NotFound(message, e.Hint, details),
            "permission_denied" => ReshError.PermissionDenied(message, e.Hint, details),
            "failed" => ReshError.Failed(message, e.Hint, details),
            "timeout" => ReshError.Timeout(message, e.Hint, details),
            "unavailable" => ReshError.Unavailable(message, e.Hint, details),
            "unsupported" => ReshError.Unsupported(message, e.Hint, details),
            _ => ReshError.Usage(message, e.Hint, details),
        };
    }

    /// <summary>
    /// An error of a render that read a secret: only its place and kind, since its message, hint or details could hold
    /// a value derived from the secret (a filter's result, an index, a comparison).
    /// </summary>
    public static TemplateError Withheld(TemplateError e, Renderer? renderer) => renderer is { SecretNames.Count: > 0 }
        ? new TemplateError($"The render failed after reading a secret (a {e.Kind.Replace('_', ' ')} error); the message is withheld so that no value derived from the secret shows.", e.At,
            "Look at the template at this place; errors of a render that read a secret name only the place and the kind.", e.Kind)
        : e;

    /// <summary>What a diff of a render that read a secret becomes: only its counts.</summary>
    public static string? WithholdDiff(string? diff)
    {
        if (diff is null) return null;
        int added = 0, removed = 0;
        foreach (var line in diff.Split('\n'))
        {
            if (line.StartsWith("+++", StringComparison.Ordinal) || line.StartsWith("---", StringComparison.Ordinal)) continue;
            if (line.StartsWith('+')) added++;
            else if (line.StartsWith('-')) removed++;
        }
        return $"diff withheld: the template reads a secret ({added} line{(added == 1 ? "" : "s")} added, {removed} removed)";
    }

    /// <summary>Lines of a diff that show a secret's value become one redacted line (the redactor masks values of 4+ characters; this covers shorter ones too).</summary>
    public static string? ScrubDiff(string? diff, IReadOnlyList<string> secrets)
    {
        if (diff is null || secrets.Count == 0) return diff;
        var sb = new StringBuilder();
        foreach (var line in diff.Split('\n'))
        {
            bool secret = line.Length > 0 && line[0] is '+' or '-' or ' ' && !line.StartsWith("+++", StringComparison.Ordinal) && !line.StartsWith("---", StringComparison.Ordinal)
                && secrets.Any(s => s.Length > 0 && line.Contains(s, StringComparison.Ordinal));
            sb.Append(secret ? line[0] + "*** (secret content redacted)" : line).Append('\n');
        }
        return sb.ToString(0, sb.Length - 1);
    }

    public static string Mask(string text, IReadOnlyList<string> secrets)
    {
        foreach (var s in secrets.OrderByDescending(s => s.Length))
            if (s.Length > 0) text = text.Replace(s, SecretRedactor.Mask, StringComparison.Ordinal);
        return text;
    }
}
