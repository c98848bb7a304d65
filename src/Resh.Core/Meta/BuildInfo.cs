namespace Resh.Core.Meta;

/// <summary>
/// Identifies this build (shown by `resh version`, used by ssh:// to match remote copies). <paramref name="BuildDate"/>
/// is the UTC date the build script stamped (SOURCE_DATE_EPOCH when set, so package builds are reproducible), or null.
/// </summary>
public sealed record BuildInfo(string Version, string Commit, string? BuildDate = null);
