namespace Resh.Handles.Archive;

/// <summary>Checks archive entry names and link targets against the destination (SPEC §8).</summary>
public static class EntryNames
{
    /// <summary>The normalized relative name, or a refusal reason: absolute_path, parent_traversal, empty_name.</summary>
    public static (string? Name, string? Refusal) Normalize(string raw, int stripComponents)
    {
        if (raw.Contains('\0')) return (null, "invalid_name");
        if (raw.StartsWith('/')) return (null, "absolute_path");
        var parts = new List<string>();
        foreach (var part in raw.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..") return (null, "parent_traversal");
            parts.Add(part);
        }
        if (parts.Count <= stripComponents) return (null, null); // nothing left after strip: silently skipped, as tar does
        return (string.Join('/', parts.Skip(stripComponents)), null);
    }
}
