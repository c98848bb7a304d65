using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Text;

namespace Resh.Handles.Plugin.Sources;

public sealed record PluginRefusedEntry(string Path, string Reason);

/// <summary>What archive://'s safe extraction staged: the format, the files, and the entries it refused.</summary>
public sealed record PluginExtraction(string Format, long Files, IReadOnlyList<PluginRefusedEntry> Refused);

/// <summary>
/// Archive sources (.tar.gz, .tgz, .zip; any format archive:// reads, detected from the content): extracted with
/// archive://'s hardened extractor into a fresh private temporary directory. Any refused entry (a `..` or absolute
/// name, a symlink resolving outside, a device or FIFO) refuses the whole archive: a plugin archive has no reason to
/// hold one. The plugin is the archive's top level when it holds plugin.json, else its one top-level directory.
/// </summary>
public static class PluginArchives
{
    /// <summary>Content bound of an extracted plugin.</summary>
    public const long MaxExtractedBytes = 512L << 20;

    /// <summary>File bound of an extracted archive or a cloned repository (a plugin is a handful of files).</summary>
    public const int MaxFiles = 10_000;

    /// <summary>Files and bytes under a directory, counting stops once either bound is passed.</summary>
    public static (long Files, long Bytes) Measure(string dir)
    {
        long files = 0, bytes = 0;
        try
        {
            foreach (var f in new DirectoryInfo(dir).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 }))
            {
                files++;
                try { bytes += f.Length; } catch (IOException) { }
                if (files > MaxFiles || bytes > MaxExtractedBytes) break;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        return (files, bytes);
    }

    /// <summary>The refusal of a source over the bounds; nothing is installed.</summary>
    public static ReshException TooLarge(string shownAs, long files, long bytes) =>
        ReshError.PermissionDenied(
            $"The plugin source {shownAs} holds more than {(files > MaxFiles ? $"{MaxFiles} files" : $"{MaxExtractedBytes >> 20} MiB")}; it was not installed.",
            "A plugin is a small directory; ask its publisher for a smaller source (no build output or history).",
            new System.Text.Json.Nodes.JsonObject { ["max_files"] = MaxFiles, ["max_bytes"] = MaxExtractedBytes, ["files_seen"] = files, ["bytes_seen"] = bytes }).ToException();

    /// <summary>Set by the CLI's HandleCatalog to archive://'s extractor (archive, parent dir, new stage name, max bytes, ct).</summary>
    public static Func<string, string, string, long, CancellationToken, PluginExtraction>? Extractor { get; set; }

    public static bool LooksLikeArchive(string path) =>
        path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tar", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".tar.zst", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tar.xz", StringComparison.OrdinalIgnoreCase);

    /// <summary>Extracts <paramref name="archive"/> into a new directory inside <paramref name="work"/>; returns the plugin's directory.</summary>
    public static (string Directory, PluginExtraction Report) Extract(string archive, string work, string shownAs, CancellationToken ct)
    {
        var extractor = Extractor ?? throw ReshError.Unsupported("This build of resh cannot extract plugin archives.", "Install from a directory.").ToException();
        var report = extractor(archive, work, "tree", MaxExtractedBytes, ct);
        if (report.Files > MaxFiles) throw TooLarge(shownAs, report.Files, 0);
        if (report.Refused.Count > 0)
        {
            var first = report.Refused[0];
            throw ReshError.PermissionDenied(
                $"The plugin archive {shownAs} holds {report.Refused.Count} unsafe entr{(report.Refused.Count == 1 ? "y" : "ies")} ({first.Path}: {first.Reason}); nothing was installed.",
                "A plugin archive may only hold regular files and directories, and symlinks that stay inside it; ask its publisher for a clean archive.",
                new JsonObject
                {
                    ["refused"] = new JsonArray(report.Refused.Take(20).Select(r => (JsonNode?)new JsonObject { ["path"] = r.Path, ["reason"] = r.Reason }).ToArray()),
                }).ToException();
        }
        return (PluginRoot(Path.Combine(work, "tree"), shownAs), report);
    }

    /// <summary>The directory holding plugin.json: the tree itself, or its single top-level directory.</summary>
    public static string PluginRoot(string tree, string shownAs)
    {
        if (IsRegular(Path.Combine(tree, "plugin.json"))) return tree;
        var entries = new DirectoryInfo(tree).GetFileSystemInfos();
        var dirs = entries.Where(e => e is DirectoryInfo && !e.Attributes.HasFlag(FileAttributes.ReparsePoint)).ToList();
        if (dirs.Count == 1 && entries.Length == 1 && IsRegular(Path.Combine(dirs[0].FullName, "plugin.json"))) return dirs[0].FullName;
        throw ReshError.Usage($"{shownAs} holds no plugin.json at its top or inside one top-level directory.",
            "A plugin archive holds the plugin directory (plugin.json and its files) at the top, or inside one folder.").ToException();
    }

    static bool IsRegular(string path)
    {
        var fi = new FileInfo(path);
        return fi.Exists && !fi.Attributes.HasFlag(FileAttributes.ReparsePoint);
    }

    /// <summary>
    /// A private (0700) work directory for one fetch (<c>resh-plugin-PID-RANDOM</c> in the temp directory), removed on
    /// dispose and on every exit of resh; what a resh killed with SIGKILL left is swept first (<see cref="SweepWorkDirs"/>).
    /// </summary>
    public static TempPath WorkDir()
    {
        SweepWorkDirs(Path.GetTempPath());
        // mkdtemp: a new 0700 directory that did not exist before (never one planted in a shared /tmp).
        var dir = Directory.CreateTempSubdirectory($"{WorkPrefix}{Environment.ProcessId}-").FullName;
        return Cleanup.Track(dir, directory: true);
    }

    const string WorkPrefix = "resh-plugin-";

    /// <summary>
    /// Removes the work directories of fetches whose resh is gone (killed with SIGKILL: a clone, an archive, a token file
    /// of an older resh): only directories this user owns (lstat, not followed), named resh-plugin-PID-… with PID not
    /// running, or, without a PID (resh before s37), older than an hour. Best effort: what cannot be removed stays.
    /// </summary>
    public static void SweepWorkDirs(string parent)
    {
        List<string> dirs;
        try { dirs = Directory.EnumerateDirectories(parent, WorkPrefix + "*").ToList(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return; }
        var me = LibC.GetEUid();
        foreach (var d in dirs)
        {
            if (Posix.Stat(d, follow: false, out _) is not { IsDirectory: true } st || st.Uid != me) continue;
            if (CreatorPid.Parse(Path.GetFileName(d)[WorkPrefix.Length..], out _) is { } pid)
            {
                if (CreatorPid.Runs(pid)) continue;
            }
            else if (DateTime.UtcNow - st.ModifyTime.UtcDateTime < TimeSpan.FromHours(1)) continue;
            PluginInstaller.TryDelete(d);
        }
    }

    public static string Display(string path) => PathBytes.Display(path);
}
