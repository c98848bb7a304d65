namespace Resh.Handles.Archive;

/// <summary>Checks archive entry names and link targets against the destination (SPEC §8).</summary>
public static class EntryNames
{
    /// <summary>The normalized relative name, or a refusal reason: absolute_path, parent_traversal, empty_name.</summary>
    public static (string? Name, string? Refusal) Normalize(string raw, int stripComponents)
    {
        if (raw.Contains('\0')) return (null, "invalid_name");
        if (raw.StartsWith('/') || (raw.Length > 1 && raw[1] == ':' && char.IsAsciiLetter(raw[0]))) return (null, "absolute_path");
        var parts = new List<string>();
        foreach (var part in raw.Replace('\\', '/').Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..") return (null, "parent_traversal");
            parts.Add(part);
        }
        if (parts.Count <= stripComponents) return (null, null); // nothing left after strip: silently skipped, as tar does
        return (string.Join('/', parts.Skip(stripComponents)), null);
    }

    /// <summary>True when a symlink stored at <paramref name="name"/> pointing to <paramref name="target"/> stays inside the tree.</summary>
    public static bool SymlinkStaysInside(string name, string target)
    {
        if (target.Length == 0 || target.StartsWith('/')) return false;
        var depth = new List<string>(name.Split('/'));
        depth.RemoveAt(depth.Count - 1); // the link's directory
        foreach (var part in target.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (depth.Count == 0) return false;
                depth.RemoveAt(depth.Count - 1);
            }
            else depth.Add(part);
        }
        return true;
    }
}
