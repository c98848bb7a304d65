namespace Resh.Core.Model;

/// <summary>
/// What a string or list argument says about the local file system: nothing, or that it names a file or directory
/// the verb reads or writes. Surfaces that restrict paths (resh mcp's --allow/--deny target patterns and --read-only)
/// read it from the declaration, so a new path argument is covered by declaring it.
/// </summary>
public enum PathUse
{
    None,
    /// <summary>The verb reads this file or directory (a source, a key, a schema, a store it only looks up).</summary>
    Read,
    /// <summary>The verb creates, replaces or changes this file or directory (an output, a destination, a link).</summary>
    Write,
    /// <summary>The verb writes a link that points here: a relative value is relative to the target's directory, not the current one.</summary>
    LinkTarget,
    /// <summary>A value `@FILE` names a file the verb reads (`@-`: standard input); any other value is data (http's body=).</summary>
    ReadAt,
}
