namespace Resh.Handles.Files;

/// <summary>One listed entry as the walk met it: the raw path (path-string convention), where its name starts, and the facts a <see cref="FileEntry"/> shows.</summary>
internal readonly record struct Listed(string Path, int NameAt, string Type, long Size, uint Mode, long MtimeTicks, string? Link, int Depth);
