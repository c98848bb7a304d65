using System.Text.RegularExpressions;

namespace Resh.TestSupport;

/// <summary>
/// The command lines a guide under docs/ shows (every line of its ```sh blocks, trailing "# comment" dropped),
/// so tests can run them as written and the guides cannot rot. Install steps (scripts/, apt) are what the
/// package tests run, so they are left out. <see cref="Ssh"/> says whether a line needs the ssh fleet.
/// </summary>
public static class GuideDoc
{
    public static List<string> Commands(string doc) =>
        Regex.Matches(File.ReadAllText(Path.Combine(ReshBinary.RepoRoot, "docs", doc)), "```sh\n(.*?)```", RegexOptions.Singleline)
            .SelectMany(m => m.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Select(l => Regex.Replace(l, @"\s+# .*$", "").Trim())
            .Where(l => l.Length > 0 && !l.StartsWith("scripts/", StringComparison.Ordinal) && !l.StartsWith("apt ", StringComparison.Ordinal))
            .ToList();

    /// <summary>The body of the first ```LANG block of a guide (an inventory, a config file it shows).</summary>
    public static string Block(string doc, string lang) =>
        Regex.Match(File.ReadAllText(Path.Combine(ReshBinary.RepoRoot, "docs", doc)), "```" + lang + "\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;

    public static bool Ssh(string line) => line.Contains("ssh://", StringComparison.Ordinal);

    /// <summary>
    /// A line that would change this machine's packages, users, services, firewall or crontabs must be a dry run:
    /// a guide's test never changes the system it runs on.
    /// </summary>
    public static bool ChangesTheSystem(string line) =>
        Regex.IsMatch(line, @"\b(pkg|user|svc|firewall|cron)://") && !line.Contains("--dry-run", StringComparison.Ordinal)
        && !Regex.IsMatch(line, @"\.(status|list|info|exists|next|validate|is-active|is-enabled|logs|rules\.list)\b");
}
