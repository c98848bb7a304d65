using System.Text.Json;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Event;

/// <summary>The rules of the trail (<c>events/rules.json</c>, 0600): read, and replaced atomically under the trail's lock.</summary>
public static class EventRules
{
    static string PathIn(string dir) => Path.Combine(dir, "rules.json");

    public static EventRuleSet Read(string dir, List<string>? warnings = null)
    {
        var path = PathIn(dir);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { return new EventRuleSet(); }
        catch (UnauthorizedAccessException) { throw ReshError.PermissionDenied($"{path} cannot be read as this user.", "Run as the owner of the event trail.").ToException(); }
        try { return JsonSerializer.Deserialize(bytes, EventJson.Default.EventRuleSet) ?? new EventRuleSet(); }
        catch (JsonException)
        {
            if (warnings is null)
                throw ReshError.Failed($"{path} is not a valid rules file; resh does not overwrite it.", $"Fix or remove it (rules are added again with rules.add): {path}").ToException();
            warnings.Add($"{path} is not a valid rules file; no rule ran. Fix or remove it.");
            return new EventRuleSet();
        }
    }

    public static void Write(string dir, EventRuleSet set) =>
        AtomicFile.Write(PathIn(dir), JsonSerializer.SerializeToUtf8Bytes(set, EventJson.Default.EventRuleSet), UnixFileMode.UserRead | UnixFileMode.UserWrite);

    /// <summary>Rule names: letters, digits, `.`, `_`, `-`, at most 100.</summary>
    public static string? CheckName(string name)
    {
        if (name.Length is 0 or > 100) return "it must be 1 to 100 characters";
        if (name[0] is '.' or '-') return "it may not start with `.` or `-`";
        foreach (var c in name) if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return "use letters, digits, `.`, `_` and `-`";
        return null;
    }
}
