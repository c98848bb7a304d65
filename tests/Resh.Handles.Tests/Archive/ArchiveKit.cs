using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Archive;

/// <summary>Running resh as root or as nobody, and looking at a whole area of the file system before and after.</summary>
public static class ArchiveKit
{
    public const int Nobody = 65534;

    /// <summary>Runs the native binary as root, or as nobody (uid/gid 65534, no groups, umask 022).</summary>
    public static ReshRun Run(bool asNobody, params string[] args) => asNobody ? AsNobody(args) : ReshBinary.Run(args);

    static ReshRun AsNobody(string[] args)
    {
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "--", ReshBinary.Path }.Concat(args)) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment.Remove("RESH_CONFIG");
        psi.Environment["HOME"] = "/tmp";
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("resh as nobody did not finish"); }
        return new ReshRun(p.ExitCode, o.Result, e.Result, Encoding.UTF8.GetBytes(o.Result));
    }

    /// <summary>Every path under <paramref name="root"/> (except the excluded subtrees) with type, mode, owner, size, mtime, link target and content hash.</summary>
    public static SortedDictionary<string, string> Snapshot(string root, params string[] exclude)
    {
        var psi = new ProcessStartInfo("find") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { root, "-printf", "%P\\t%y\\t%m\\t%U\\t%G\\t%s\\t%T@\\t%l\\0" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(output);
        p.WaitForExit();
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var rec in Encoding.Latin1.GetString(output.ToArray()).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var rel = rec[..rec.IndexOf('\t')];
            if (exclude.Any(x => rel == x || rel.StartsWith(x + "/", StringComparison.Ordinal))) continue;
            var line = rec;
            if (rec.Split('\t')[1] == "f")
            {
                var bytes = File.ReadAllBytes(Path.Combine(root, rel));
                line += "\t" + Convert.ToHexString(SHA256.HashData(bytes));
            }
            map[rel] = line;
        }
        return map;
    }

    /// <summary>Asserts two snapshots are equal, naming the first difference.</summary>
    public static void SameArea(SortedDictionary<string, string> before, SortedDictionary<string, string> after, string what)
    {
        foreach (var (k, v) in before)
        {
            Assert.True(after.TryGetValue(k, out var now), $"{what}: {k} disappeared");
            Assert.True(v == now, $"{what}: {k} changed\nbefore: {v}\nafter:  {now}");
        }
        foreach (var k in after.Keys) Assert.True(before.ContainsKey(k), $"{what}: new entry {k} appeared outside the destination");
    }

    public static void Chown(string path, int uid, bool recursive = false)
    {
        if (recursive) Sh.Ok("chown", "-R", $"{uid}:{uid}", path);
        else Sh.Ok("chown", $"{uid}:{uid}", path);
    }

    public static string Mode(string path) => Sh.Ok("stat", "-c", "%a", path).Trim();

    public static long Stat(string path, string format) => long.Parse(Sh.Ok("stat", "-c", format, path).Trim());
}
