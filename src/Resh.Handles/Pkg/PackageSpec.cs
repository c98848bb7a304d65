using Resh.Core.Errors;

namespace Resh.Handles.Pkg;

/// <summary>
/// A package as asked for: name, optional architecture and version pin, or a local package file.
/// Everything is validated here, before any manager sees it, and reaches the manager as one argv word.
/// </summary>
public sealed record PackageSpec(string Name, string? Arch, string? Version, string? File)
{
    public const int MaxLength = 200;

    /// <summary>name, name=version, name:arch, name:arch=version, or a path to a .deb/.rpm/.apk/.pkg.tar.zst file.</summary>
    public static PackageSpec Parse(string text)
    {
        if (text.Length == 0 || text.Length > MaxLength || text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            throw Bad(text);
        if (text.Contains('/') || text.EndsWith(".deb", StringComparison.Ordinal) || text.EndsWith(".rpm", StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(text);
            if (!System.IO.File.Exists(full)) throw ReshError.NotFound($"No package file {full}.", null).ToException();
            return new PackageSpec(Path.GetFileName(full), null, null, full);
        }
        string name = text;
        string? version = null, arch = null;
        var eq = name.IndexOf('=');
        if (eq >= 0) { version = name[(eq + 1)..]; name = name[..eq]; }
        var colon = name.IndexOf(':');
        if (colon >= 0) { arch = name[(colon + 1)..]; name = name[..colon]; }
        if (!IsName(name)) throw Bad(text);
        if (arch is not null && (arch.Length == 0 || !arch.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-'))) throw Bad(text);
        if (version is not null && !IsVersion(version)) throw Bad(text);
        return new PackageSpec(name, arch, version, null);
    }

    /// <summary>Package names of every supported manager: a letter or digit first, then letters, digits and + . _ - @ (no leading '-').</summary>
    public static bool IsName(string s) => s.Length is > 0 and <= MaxLength && char.IsAsciiLetterOrDigit(s[0])
        && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '.' or '_' or '-' or '@');

    public static bool IsVersion(string s) => s.Length is > 0 and <= 100 && char.IsAsciiLetterOrDigit(s[0])
        && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '+' or '~' or ':' or '-' or '_');

    public static string CheckName(string s)
    {
        if (!IsName(s)) throw Bad(s);
        return s;
    }

    /// <summary>The word the manager is given: name[:arch][=version] in apt's spelling, or the file path.</summary>
    public string Apt => File ?? Name + (Arch is null ? "" : ":" + Arch) + (Version is null ? "" : "=" + Version);

    public override string ToString() => File ?? Apt;

    static ReshException Bad(string text)
    {
        var shown = text.Length > 40 ? text[..40] + "…" : text;
        shown = new string(shown.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return ReshError.Usage($"`{shown}` is not a package name (name, name=version, name:arch, or a package file path).",
            "Package names are letters, digits and + . _ - @, starting with a letter or digit.").ToException();
    }
}
