using Resh.Core.Execution;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>
/// Carries out a <see cref="CopyPlan"/>: files through a temporary sibling and rename (a reader never
/// sees half a file), links created beside and renamed over, directory modes and times set last
/// (deepest first) so read-only source directories can still be filled.
/// </summary>
internal static class CopyApply
{
    public static async Task<long> RunAsync(VerbContext ctx, CopyPlan plan, bool preserve, bool preserveOwner)
    {
        long bytes = 0;
        var umask = FileNative.Umask();
        var dirsToFinish = new List<CopyStep>();
        using var progress = ctx.Progress("copy", plan.BytesToCopy);
        foreach (var step in plan.Steps)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            switch (step.Action)
            {
                case CopyAction.MakeDir:
                    FileErrors.Check(FileNative.Mkdir(step.Dest, 0x1C0 /* 0700 until finished */), step.Dest, "create the directory");
                    dirsToFinish.Add(step);
                    break;
                case CopyAction.EnterDir:
                    break;
                case CopyAction.SyncMetadata when step.SourceStat.IsDirectory:
                    dirsToFinish.Add(step);
                    break;
                case CopyAction.SyncMetadata:
                    SetMetadata(step.Source, step.Dest, step.SourceStat, preserve, preserveOwner, umask, isNew: false);
                    break;
                case CopyAction.CopyFile:
                    await CopyFileAsync(ctx, step, preserve, preserveOwner, umask, progress).ConfigureAwait(false);
                    bytes += step.SourceStat.Size;
                    break;
                case CopyAction.MakeLink:
                    MakeLink(step, preserve, preserveOwner);
                    break;
            }
        }
        for (int i = dirsToFinish.Count - 1; i >= 0; i--)
        {
            var d = dirsToFinish[i];
            SetMetadata(d.Source, d.Dest, d.SourceStat, preserve, preserveOwner, umask, isNew: d.Action == CopyAction.MakeDir);
        }
        return bytes;
    }

    static async Task CopyFileAsync(VerbContext ctx, CopyStep step, bool preserve, bool preserveOwner, uint umask, Resh.Core.Output.ProgressBar progress)
    {
        uint mode = preserve ? step.SourceStat.Permissions
            : step.DestStat is { IsRegular: true } d ? d.Permissions
            : step.SourceStat.Permissions & 0x1FF & ~umask; // cp without -p: the source's bits minus the umask
        void Prepare(string temp)
        {
            if (preserveOwner) Posix.Chown(temp, (int)step.SourceStat.Uid, (int)step.SourceStat.Gid, follow: false);
            FileErrors.Check(FileNative.Chmod(temp, mode), step.Dest, "set the mode of");
            if (preserve) FileErrors.Check(FileNative.CopyTimes(step.Source, temp, follow: true), step.Dest, "set the times of");
        }
        try
        {
            await AtomicFile.WriteAsync(step.Dest, async (output, ct) =>
            {
                await using var input = new FileStream(step.Source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
                var buffer = new byte[1 << 20];
                int n;
                while ((n = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    progress.Add(n);
                }
            }, (UnixFileMode)(mode & 0x1C0), Prepare, ctx.Cancellation).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw FileErrors.FromException(ex, step.Dest, "copy to").ToException();
        }
    }

    static void MakeLink(CopyStep step, bool preserve, bool preserveOwner)
    {
        var temp = AtomicFile.TempName(step.Dest);
        FileErrors.Check(FileNative.Symlink(step.LinkTarget!, temp), step.Dest, "create the link");
        try
        {
            if (preserveOwner) Posix.Chown(temp, (int)step.SourceStat.Uid, (int)step.SourceStat.Gid, follow: false);
            if (preserve) FileNative.CopyTimes(step.Source, temp, follow: false);
            FileErrors.Check(FileNative.Rename(temp, step.Dest), step.Dest, "create the link");
        }
        catch
        {
            FileNative.Unlink(temp);
            throw;
        }
    }

    static void SetMetadata(string sourcePath, string path, FileStatus source, bool preserve, bool preserveOwner, uint umask, bool isNew)
    {
        if (preserveOwner) Posix.Chown(path, (int)source.Uid, (int)source.Gid, follow: false);
        if (preserve) FileErrors.Check(FileNative.Chmod(path, source.Permissions), path, "set the mode of");
        else if (isNew) FileErrors.Check(FileNative.Chmod(path, source.Permissions & 0x1FF & ~umask), path, "set the mode of");
        if (preserve) FileErrors.Check(FileNative.CopyTimes(sourcePath, path, follow: true), path, "set the times of");
    }
}
