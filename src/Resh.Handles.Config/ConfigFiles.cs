using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Handles.Config.Formats;
using Resh.Handles.Files;

namespace Resh.Handles.Config;

/// <summary>A configuration file read for a verb: its path, text and format, and the target to write it back through.</summary>
internal sealed class ConfigDocument : IDisposable
{
    public required string Path { get; init; }
    public required WriteTarget Target { get; init; }
    public required byte[] Bytes { get; init; }
    public required string Text { get; init; }
    public required ConfigFormat Format { get; init; }
    public bool Exists { get; init; }
    public bool Bom { get; init; }

    JsonNode? _data;
    bool _read;
    public JsonNode? Data
    {
        get
        {
            if (!_read) { _data = Format.Read(Text); _read = true; }
            return _data;
        }
    }

    /// <summary>The path as keys of <see cref="Data"/> (line formats resolve sections and flat keys).</summary>
    public KeyPath DataPath(KeyPath path) => Format is LineFormat lf ? lf.Canonical(Text, path) : path;

    public string Display => FilePaths.Display(Path);

    /// <summary>The edit lock held from the read to the write (null for reads and dry runs).</summary>
    public FileStream? Lock { get; init; }

    public void Dispose()
    {
        Target.Dispose();
        Lock?.Dispose();
    }
}

internal static class ConfigFiles
{
    /// <summary>Configuration files above this size are refused (a config file is not a data set).</summary>
    public const long MaxBytes = 64L << 20;

    public static readonly string[] FormatNames = ["auto", "json", "yaml", "toml", "ini", "env", "properties", "sysctl"];

    public static readonly Arg<string?> FormatArg = Arg.Enum("syntax", "The file's format (json, yaml, toml, ini, env, properties, sysctl); auto detects it from the name, then the content. (Named syntax because --format is the output format.)", FormatNames, "auto");

    public static ConfigFormat? ByName(string? name) => name switch
    {
        "json" => JsonFormat.Instance,
        "yaml" or "yml" => YamlFormat.Instance,
        "toml" => TomlFormat.Instance,
        "ini" => IniFormat.Instance,
        "env" or "dotenv" => EnvFormat.Instance,
        "properties" => PropertiesFormat.Instance,
        "sysctl" => SysctlFormat.Instance,
        _ => null,
    };

    /// <summary>The path named by a config:// target; a target without a leading / names a key-value store.</summary>
    public static string ResolvePath(VerbContext ctx)
    {
        var t = ctx.Target;
        if (t.Length > 0 && t[0] != '/' && t[0] != '~')
            throw ReshError.Usage($"config://{t.Split('/')[0]}/... names a key-value store; {ctx.Verb.Name} works on configuration files.",
                "On a store use get, set, delete, list or watch; name a file with an empty authority: config:///etc/app/config.yaml.").ToException();
        return FilePaths.Resolve(t, ctx.Runtime.Paths.Home);
    }

    /// <summary>
    /// The lock serialising resh's read-modify-write of one file (the one cron and svc edits take): without it, parallel
    /// sets each read the old text and the last rename wins, so every call reports changed while only one key survives.
    /// Null for a dry run. Keyed by the file a symlink points to, so two links to one file share it.
    /// </summary>
    public static FileStream? LockFor(VerbContext ctx, string path) =>
        ctx.DryRun ? null : FileLock.Take(ctx.Runtime.Paths, LockKey(path), ctx.Cancellation);

    static string LockKey(string path)
    {
        try { return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? System.IO.Path.GetFullPath(path); }
        catch (IOException) { return System.IO.Path.GetFullPath(path); }
        catch (UnauthorizedAccessException) { return System.IO.Path.GetFullPath(path); }
    }

    public static ConfigDocument Open(VerbContext ctx, string path, string? format, bool mayCreate, string action)
    {
        var held = action == "edit" ? LockFor(ctx, path) : null;
        WriteTarget target;
        try { target = WriteTarget.Open(path, follow: true, action); }
        catch { held?.Dispose(); throw; }
        try
        {
            var st = target.Existing;
            if (st is null && !mayCreate)
                throw ReshError.NotFound($"{FilePaths.Display(path)} does not exist.", "Check the path; set creates a new file when syntax= or the name says its format.",
                    new JsonObject { ["path"] = FilePaths.Display(path) }).ToException();
            if (st is { IsDirectory: true })
                throw ReshError.Usage($"{FilePaths.Display(path)} is a directory.", "Name a configuration file.").ToException();
            if (st is { IsRegular: false } s)
                throw ReshError.Usage($"{FilePaths.Display(path)} is a {s.TypeName}, not a regular file.", "config:// reads and edits regular files.").ToException();
            var bytes = st is null ? [] : target.ReadAll(MaxBytes, ctx.Cancellation);
            var text = Decode(bytes, path);
            var bom = text.Length > 0 && text[0] == '\uFEFF';
            if (bom) text = text[1..];
            CheckNesting(text);
            var fmt = Detect(path, text, format, st is not null);
            return new ConfigDocument { Path = path, Target = target, Bytes = bytes, Text = text, Format = fmt, Exists = st is not null, Bom = bom, Lock = held };
        }
        catch
        {
            target.Dispose();
            held?.Dispose();
            throw;
        }
    }

    /// <summary>The file's text; a file that is not UTF-8 text (or holds NUL bytes) does not parse as any format here: usage (SPEC §3).</summary>
    static string Decode(byte[] bytes, string path)
    {
        if (FileContent.IsText(bytes)) return Encoding.UTF8.GetString(bytes);
        var bad = System.Text.Unicode.Utf8.IsValid(bytes) ? Array.IndexOf(bytes, (byte)0) : InvalidAt(bytes);
        throw ReshError.Usage($"{FilePaths.Display(path)} is not UTF-8 text (byte {bad} is {(bytes[bad] == 0 ? "a NUL" : "not UTF-8")}), so it cannot be read as a configuration file.",
            "Check that this is the right file; convert a file in another encoding first (iconv -f LATIN1 -t UTF-8 FILE).",
            new JsonObject { ["path"] = FilePaths.Display(path), ["offset"] = bad }).ToException();
    }

    static int InvalidAt(byte[] bytes)
    {
        var chars = new char[4096];
        for (int pos = 0; pos < bytes.Length;)
        {
            var status = System.Text.Unicode.Utf8.ToUtf16(bytes.AsSpan(pos), chars, out var read, out _, replaceInvalidSequences: false);
            pos += read;
            if (status is System.Buffers.OperationStatus.InvalidData or System.Buffers.OperationStatus.NeedMoreData) return Math.Min(pos, bytes.Length - 1);
            if (status == System.Buffers.OperationStatus.Done) break;
        }
        return 0;
    }

    /// <summary>
    /// Refuses text whose brackets nest deeper than any parser here accepts, before any parser (some recurse) sees it.
    /// Brackets inside strings count too: a file would need hundreds of unbalanced ones in a row to be refused wrongly.
    /// </summary>
    static void CheckNesting(string text)
    {
        int depth = 0;
        foreach (var c in text)
        {
            if (c is '[' or '{') { if (++depth > ConfigFormat.MaxDepth) throw ReshError.Usage($"The document nests deeper than {ConfigFormat.MaxDepth} levels; refusing to parse it.", "Check where the file came from.").ToException(); }
            else if (c is ']' or '}' && depth > 0) depth--;
        }
    }

    /// <summary>Reads another file named by an argument (a schema, the other side of a diff, a document to merge).</summary>
    public static ConfigDocument OpenArg(VerbContext ctx, string value, string argName, string? format = null) =>
        Open(ctx, FilePaths.ResolveArg(ctx, value, argName), format, false, "read");

    public static ConfigFormat Detect(string path, string text, string? format, bool exists)
    {
        if (ByName(format) is { } f) return f;
        var name = System.IO.Path.GetFileName(path).ToLowerInvariant();
        var ext = System.IO.Path.GetExtension(name);
        switch (ext)
        {
            case ".json" or ".jsonc": return JsonFormat.Instance;
            case ".yaml" or ".yml": return YamlFormat.Instance;
            case ".toml": return TomlFormat.Instance;
            case ".ini": return IniFormat.Instance;
            case ".properties": return PropertiesFormat.Instance;
            case ".env": return EnvFormat.Instance;
        }
        if (name == ".env" || name.StartsWith(".env.", StringComparison.Ordinal)) return EnvFormat.Instance;
        if (name == "sysctl.conf" || System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(path)) == "sysctl.d") return SysctlFormat.Instance;
        if (Sniff(text) is { } sniffed) return sniffed;
        throw ReshError.Usage(exists ? $"Cannot tell the format of {FilePaths.Display(path)} from its name or content." : $"Cannot tell the format of the new file {FilePaths.Display(path)} from its name.",
            "Pass syntax=json|yaml|toml|ini|env|properties|sysctl.").ToException();
    }

    /// <summary>The format a text is written in, judged from its content; null when nothing fits.</summary>
    public static ConfigFormat? Sniff(string text)
    {
        var t = text.TrimStart();
        if (t.Length == 0) return null;
        if (t[0] is '{' or '[' && Parses(JsonFormat.Instance, text)) return JsonFormat.Instance;
        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] is not ('#' or ';' or '!')).ToList();
        if (lines.Count == 0) return null;
        bool sections = lines.Any(l => l.StartsWith('[') && l.EndsWith(']'));
        if (!sections && lines.All(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^(export\s+)?[A-Za-z_][A-Za-z0-9_]*=")) ) return EnvFormat.Instance;
        if (!sections && lines.All(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^-?[A-Za-z0-9_]+([./][A-Za-z0-9_*-]+)+\s*=")) ) return SysctlFormat.Instance;
        if (Parses(TomlFormat.Instance, text)) return TomlFormat.Instance;
        if (sections && Parses(IniFormat.Instance, text)) return IniFormat.Instance;
        if (Parses(YamlFormat.Instance, text) && YamlFormat.Instance.Read(text) is JsonObject) return YamlFormat.Instance;
        if (lines.All(l => l.Contains('=') || l.Contains(':'))) return PropertiesFormat.Instance;
        return null;
    }

    static bool Parses(ConfigFormat f, string text)
    {
        try { f.Read(text); return true; }
        catch (ReshException) { return false; }
    }

    /// <summary>Writes new text over the document (atomically, mode and owner kept) unless a dry run; returns the diff, null when nothing changes.</summary>
    public static async Task<string?> CommitAsync(VerbContext ctx, ConfigDocument doc, string newText)
    {
        if (doc.Exists && newText == doc.Text) return null;
        var bytes = Encoding.UTF8.GetBytes(doc.Bom ? "\uFEFF" + newText : newText);
        var diff = ConfigSecrets.ScrubDiff(ContentDiff.Between(doc.Bytes, doc.Exists, bytes, doc.Path), doc.Format, doc.Text, newText);
        if (!ctx.DryRun)
            await AtomicRewrite.WriteAsync(ctx, doc.Target, bytes, new AtomicRewrite.Options(null, Ownership.Keep, false)).ConfigureAwait(false);
        return diff;
    }
}
