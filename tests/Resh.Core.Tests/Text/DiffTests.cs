using System.Diagnostics;
using System.Text;
using Resh.Core.Text;
using Xunit;

namespace Resh.Core.Tests.Text;

/// <summary>
/// resh's unified diffs must be exactly what <c>diff -u</c> prints (with --label for the header): run GNU
/// diff on a corpus of random edits (a small alphabet, so lines repeat and diff's choices matter), real
/// configuration files edited at random, files without a final newline, and large rewrites.
/// </summary>
public sealed class DiffTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("resh-diff").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string GnuDiff(string a, string b)
    {
        var pa = Path.Combine(_dir, "a");
        var pb = Path.Combine(_dir, "b");
        File.WriteAllText(pa, a);
        File.WriteAllText(pb, b);
        var psi = new ProcessStartInfo("diff", ["-u", "--label", "a/x", "--label", "b/x", pa, pb]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode is 0 or 1, $"diff exited {p.ExitCode}");
        return output;
    }

    void Same(string a, string b)
    {
        var expected = GnuDiff(a, b);
        var got = Diff.Unified(a, b, "x") ?? "";
        Assert.True(expected == got, $"old:\n{a}\nnew:\n{b}\ndiff -u:\n{expected}\nresh:\n{got}");
    }

    static readonly string[] Alphabet = ["a", "b", "c", "{", "}", "", "x = 1", "return;"];

    static string Lines(Random rng, int n)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.Append(Alphabet[rng.Next(Alphabet.Length)]).Append('\n');
        return sb.ToString();
    }

    static string Edit(Random rng, string text, string[] pool, int edits)
    {
        var lines = text.Split('\n').ToList();
        if (lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        for (int e = 0; e < edits; e++)
        {
            int at = rng.Next(lines.Count + 1);
            switch (rng.Next(3))
            {
                case 1 when at < lines.Count: lines.RemoveAt(at); break;
                case 2 when at < lines.Count: lines[at] = pool[rng.Next(pool.Length)]; break;
                default: lines.Insert(at, pool[rng.Next(pool.Length)]); break;
            }
        }
        return lines.Count == 0 ? "" : string.Join('\n', lines) + "\n";
    }

    static string DropFinalNewline(Random rng, string text) => text.Length > 0 && rng.Next(5) == 0 ? text[..^1] : text;

    [Fact]
    public void Random_edits_of_repetitive_text_match_diff_u()
    {
        var rng = new Random(20240531);
        for (int t = 0; t < 300; t++)
        {
            var a = Lines(rng, rng.Next(0, 60));
            var b = rng.Next(4) == 0 ? Lines(rng, rng.Next(0, 60)) : Edit(rng, a, Alphabet, rng.Next(1, 6));
            a = DropFinalNewline(rng, a);
            b = DropFinalNewline(rng, b);
            if (a != b) Same(a, b);
        }
    }

    [Fact]
    public void Edited_configuration_files_match_diff_u()
    {
        var rng = new Random(7);
        var corpus = new[] { "/etc", "/usr/share/doc" }
            .SelectMany(d => Directory.Exists(d) ? Directory.EnumerateFiles(d, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = 3 }) : [])
            .Where(f => new FileInfo(f) is { Length: > 200 and < 64 * 1024 } && !f.EndsWith(".gz", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        int used = 0;
        foreach (var file in corpus.OrderBy(_ => rng.Next()))
        {
            string text;
            try { text = File.ReadAllText(file); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (text.Contains('\0') || !text.Contains('\n')) continue;
            var pool = text.Split('\n').Where(l => l.Length > 0).Distinct().Take(50).Append("# added by resh").Append("").ToArray();
            Same(text, Edit(rng, text, pool, rng.Next(1, 8)));
            if (++used == 60) break;
        }
        Assert.True(used >= 20, $"only {used} text files found for the corpus");
    }

    [Fact]
    public void End_of_file_cases_match_diff_u()
    {
        Same("", "new\n");
        Same("old\n", "");
        Same("a\nb", "a\nb\n");
        Same("a\nb\n", "a\nb");
        Same("a\nb", "a\nc");
        Same("only", "other");
        Same("x\ny\nz\n", "x\ny\nz\nw");
        Same(string.Concat(Enumerable.Range(0, 30).Select(i => $"{i}\n")), string.Concat(Enumerable.Range(0, 30).Select(i => i == 15 ? "changed\n" : $"{i}\n")));
    }

    [Fact]
    public void A_large_rewrite_takes_diff_s_expensive_path_and_still_matches()
    {
        var rng = new Random(5);
        var words = Enumerable.Range(0, 3000).Select(i => $"line {i}").ToArray();
        var a = string.Concat(Enumerable.Range(0, 9000).Select(_ => words[rng.Next(words.Length)] + "\n"));
        var b = string.Concat(Enumerable.Range(0, 9000).Select(_ => words[rng.Next(words.Length)] + "\n"));
        Same(a, b);
    }

    [Fact]
    public void Equal_texts_have_no_diff_and_the_header_names_the_path()
    {
        Assert.Null(Diff.Unified("same\n", "same\n", "/etc/x"));
        var d = Diff.Unified("a\n", "b\n", "/etc/x")!;
        Assert.StartsWith("--- a/etc/x\n+++ b/etc/x\n@@ -1 +1 @@\n-a\n+b\n", d);
    }
}
