namespace Resh.Core.Model;

/// <summary>
/// What a verb does to the world. Drives dry-run handling, docs and (later) MCP annotations:
/// Read is read-only, Mutate changes state, Destroy removes state that cannot be recovered.
/// </summary>
public enum Effect
{
    Read,
    Mutate,
    Destroy,
}

public static class EffectExtensions
{
    public static bool Changes(this Effect e) => e != Effect.Read;
    public static string ToWire(this Effect e) => e switch
    {
        Effect.Read => "read",
        Effect.Mutate => "mutate",
        _ => "destroy",
    };
}
