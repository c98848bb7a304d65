namespace Resh.Handles.Git;

/// <summary>Reads `git status --porcelain=v2 --branch -z` into a <see cref="GitStatusResult"/>.</summary>
public static class GitStatusParser
{
    public static GitStatusResult Parse(string path, string output)
    {
        string? oid = null, head = null, upstream = null;
        int? ahead = null, behind = null;
        var staged = new List<GitPathChange>();
        var unstaged = new List<GitPathChange>();
        var untracked = new List<string>();
        var conflicted = new List<GitConflict>();
        var records = Git.Records(output);
        for (int i = 0; i < records.Count; i++)
        {
            var rec = records[i];
            if (rec.StartsWith("# ", StringComparison.Ordinal))
            {
                var (key, value) = Split(rec[2..]);
                switch (key)
                {
                    case "branch.oid": oid = value == "(initial)" ? null : value; break;
                    case "branch.head": head = value; break;
                    case "branch.upstream": upstream = value; break;
                    case "branch.ab":
                        var ab = value.Split(' ');
                        if (ab.Length == 2 && int.TryParse(ab[0].TrimStart('+'), out var a) && int.TryParse(ab[1].TrimStart('-'), out var b)) { ahead = a; behind = b; }
                        break;
                }
                continue;
            }
            if (rec.Length < 2) continue;
            switch (rec[0])
            {
                case '1':
                    {
                        // 1 XY sub mH mI mW hH hI path
                        var f = rec.Split(' ', 9);
                        if (f.Length < 9) break;
                        Add(f[1], f[8], null);
                        break;
                    }
                case '2':
                    {
                        // 2 XY sub mH mI mW hH hI Xscore path \0 origPath
                        var f = rec.Split(' ', 10);
                        if (f.Length < 10) break;
                        var from = i + 1 < records.Count ? records[++i] : null;
                        Add(f[1], f[9], from);
                        break;
                    }
                case 'u':
                    {
                        // u XY sub m1 m2 m3 mW h1 h2 h3 path
                        var f = rec.Split(' ', 11);
                        if (f.Length < 11) break;
                        conflicted.Add(new GitConflict(f[10], Conflict(f[1])));
                        break;
                    }
                case '?':
                    untracked.Add(rec[2..]);
                    break;
            }
        }
        var detached = head == "(detached)";
        return new GitStatusResult(path, detached ? null : head, detached, oid, upstream, ahead, behind,
            staged.Count == 0 && unstaged.Count == 0 && untracked.Count == 0 && conflicted.Count == 0,
            staged, unstaged, untracked, conflicted);

        void Add(string xy, string p, string? from)
        {
            if (xy.Length != 2) return;
            if (xy[0] != '.') staged.Add(new GitPathChange(p, Status(xy[0]), xy[0] is 'R' or 'C' ? from : null));
            if (xy[1] != '.') unstaged.Add(new GitPathChange(p, Status(xy[1]), xy[1] is 'R' or 'C' ? from : null));
        }
    }

    static (string, string) Split(string s)
    {
        var sp = s.IndexOf(' ');
        return sp < 0 ? (s, "") : (s[..sp], s[(sp + 1)..]);
    }

    public static string Status(char c) => c switch
    {
        'M' => "modified",
        'A' => "added",
        'D' => "deleted",
        'R' => "renamed",
        'C' => "copied",
        'T' => "type_changed",
        'U' => "unmerged",
        _ => "changed",
    };

    static string Conflict(string xy) => xy switch
    {
        "DD" => "both_deleted",
        "AU" => "added_by_us",
        "UD" => "deleted_by_them",
        "UA" => "added_by_them",
        "DU" => "deleted_by_us",
        "AA" => "both_added",
        _ => "both_modified",
    };
}
