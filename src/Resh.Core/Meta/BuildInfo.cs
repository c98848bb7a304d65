namespace Resh.Core.Meta;

/// <summary>Identifies this build (shown by `resh version`, used by ssh:// to match remote copies).</summary>
public sealed record BuildInfo(string Version, string Commit);
