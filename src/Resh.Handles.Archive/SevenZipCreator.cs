using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>
/// 7z creation through the system <c>7z</c> (p7zip-full): no .NET library writes 7z. Only what 7z
/// itself does faithfully is offered; a password is refused because 7z takes it on the command line,
/// where every user can read it.
/// </summary>
public static class SevenZipCreator
{
    public static async Task<Outcome<ArchiveCreateResult>> CreateAsync(VerbContext ctx, string path, IReadOnlyList<string> sources, string? baseDir,
        int? level, string? password, PathFilter filter, bool deterministic)
    {
        if (password is not null)
            return ReshError.Unsupported("Encrypted 7z cannot be written safely (7z takes the password on its command line).", "Use a .zip target: it is AES-256 encrypted with password=.");
        if (deterministic || filter.HasIncludes || ctx.Get(ArchiveArgs.Exclude).Count > 0)
            return ReshError.Unsupported("include, exclude and deterministic are not available for 7z.", "Use tar.xz or zip, or archive the tree without filters.");
        var sevenZip = ProcessRunner.Which("7z") ?? ProcessRunner.Which("7za");
        if (sevenZip is null)
            return ReshError.Unsupported("Writing 7z needs the `7z` program, which is not installed.", "Install p7zip-full (apt-get install p7zip-full), or use tar.xz or zip.");
        var items = new List<(string Cwd, string Name)>();
        foreach (var s in sources)
        {
            var full = ArchivePaths.Absolute(baseDir is null ? s : Path.Combine(baseDir, s), ctx);
            if (!Path.Exists(full)) return ReshError.NotFound($"Source {full} does not exist.", "Check the sources list.");
            items.Add(baseDir is null ? (Path.GetDirectoryName(full)!, Path.GetFileName(full)) : (baseDir, Path.GetRelativePath(baseDir, full)));
        }
        if (ctx.DryRun)
            return Outcome.Changed(new ArchiveCreateResult(Resh.Core.Text.PathBytes.Display(path), "7z", items.Count, 0, 0, 0, 0, 0, null, null, false, false, [], items.Select(i => i.Name).ToList()));
        var temp = AtomicFile.TempName(path) + ".7z";
        using var tracked = Cleanup.Track(temp);
        try
        {
            foreach (var (cwd, name) in items)
            {
                await ProcessRunner.RunCheckedAsync([sevenZip, "a", "-t7z", $"-mx={level ?? 5}", "-snl", "-spd", "-bd", "-y", "--", temp, name],
                    new ProcessOptions { WorkingDirectory = cwd }, ctx.Cancellation).ConfigureAwait(false);
            }
            var (changed, size) = ArchiveBuilder.WriteAtomically(path, fs =>
            {
                using var made = System.IO.File.OpenRead(temp);
                made.CopyTo(fs, 1 << 20);
            });
            using var reader = new Formats.SevenZipReader(path, null, null);
            long files = 0, dirs = 0, links = 0, bytes = 0, entries = 0;
            while (reader.Next() is { } item)
            {
                entries++;
                switch (item.Kind)
                {
                    case Formats.ItemKind.File: files++; bytes += item.Size; break;
                    case Formats.ItemKind.Directory: dirs++; break;
                    case Formats.ItemKind.Symlink: links++; break;
                }
            }
            return Outcome.Changed(new ArchiveCreateResult(Resh.Core.Text.PathBytes.Display(path), "7z", entries, files, dirs, links, 0, bytes, size,
                size > 0 ? Math.Round((double)bytes / size, 3) : null, false, false, [], null), changed);
        }
        finally
        {
            FileTree.TryRemove(temp);
        }
    }
}
