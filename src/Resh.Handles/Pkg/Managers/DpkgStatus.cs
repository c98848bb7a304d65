using System.Globalization;

namespace Resh.Handles.Pkg;

/// <summary>
/// dpkg's database of what is installed, read straight from /var/lib/dpkg/status (deb822 stanzas): what
/// `dpkg-query -W` prints, without starting a process.
/// </summary>
public static class DpkgStatus
{
    public const string DefaultPath = "/var/lib/dpkg/status";

    public sealed record Stanza(string Package, string Version, string? Arch, long? InstalledKib, string Want, string State, string? Description,
        string? Section, string? Maintainer, string? Homepage, string? Depends);

    /// <summary>The status file; <paramref name="fullDescriptions"/> keeps long descriptions (info), else only their first line (list).</summary>
    public static List<Stanza> Read(string path = DefaultPath, bool fullDescriptions = false) => Parse(File.ReadAllText(path), fullDescriptions);

    public static List<Stanza> Parse(string text, bool fullDescriptions = false)
    {
        var list = new List<Stanza>();
        string? pkg = null, ver = null, arch = null, status = null, desc = null, section = null, maint = null, home = null, depends = null;
        long? size = null;
        string? lastKey = null;
        System.Text.StringBuilder? longDesc = null;
        void Flush()
        {
            if (longDesc is not null) { desc = longDesc.ToString(); longDesc = null; }
            if (pkg is not null && status is not null)
            {
                var st = status.Split(' ');
                list.Add(new Stanza(pkg, ver ?? "", arch, size, st[0], st.Length > 2 ? st[2] : "unknown", desc, section, maint, home, depends));
            }
            pkg = ver = arch = status = desc = section = maint = home = depends = null;
            size = null;
            lastKey = null;
        }
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            if (raw.Length == 0) { Flush(); continue; }
            if (raw[0] is ' ' or '\t')
            {
                if (fullDescriptions && lastKey == "Description")
                {
                    longDesc ??= new System.Text.StringBuilder(desc);
                    var t = raw.Trim();
                    longDesc.Append('\n');
                    if (!t.SequenceEqual(".")) longDesc.Append(t);
                }
                continue;
            }
            var colon = raw.IndexOf(':');
            if (colon <= 0) continue;
            var key = raw[..colon];
            var value = raw[(colon + 1)..].Trim();
            if (longDesc is not null) { desc = longDesc.ToString(); longDesc = null; }
            lastKey = null;
            switch (key)
            {
                case "Package": pkg = value.ToString(); break;
                case "Version": ver = value.ToString(); break;
                case "Architecture": arch = value.ToString(); break;
                case "Status": status = value.ToString(); break;
                case "Installed-Size": size = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null; break;
                case "Description": desc = value.ToString(); lastKey = "Description"; break;
                case "Section": section = value.ToString(); break;
                case "Maintainer": maint = value.ToString(); break;
                case "Homepage": home = value.ToString(); break;
                case "Depends": depends = value.ToString(); break;
            }
        }
        Flush();
        return list;
    }

    public static PkgEntry Entry(Stanza s) => new(s.Package, s.Version, s.Arch, s.InstalledKib * 1024, s.State == "installed" ? "installed" : s.State,
        s.Want == "hold", s.Description is null ? null : FirstLine(s.Description));

    public static string FirstLine(string s) { var i = s.IndexOf('\n'); return i < 0 ? s : s[..i]; }

    /// <summary>Package names from a Depends field (alternatives and version constraints dropped).</summary>
    public static List<string> DependNames(string? depends) => depends is null ? [] :
        depends.Split(',').Select(d => d.Split('|')[0].Trim().Split(' ', '(', ':')[0]).Where(d => d.Length > 0).Distinct().ToList();
}
