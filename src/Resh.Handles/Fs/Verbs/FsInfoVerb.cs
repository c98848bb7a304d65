using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Fs;

public static class FsInfoVerb
{
    public static readonly VerbInfo Verb = VerbInfo.Define("info", Effect.Read,
        "Describe the file system holding a path: type, source, UUID, label, mount options, usage.",
        [], () => FsJson.Default.FsInfoResult, RunAsync,
        examples: [new("fs:///var/lib.info", "Type, UUID, label and options of the file system under /var/lib.")],
        notes: "UUID and label come from `blkid -p` on the source device; they are null for tmpfs, overlay and other sources without a block device.");

    static async ValueTask<Outcome<FsInfoResult>> RunAsync(VerbContext ctx)
    {
        var path = FsPaths.Optional(ctx) ?? "/";
        if (Resh.Core.Platform.Posix.Stat(path, follow: true, out _) is null) // the exact bytes, not Path.Exists (UTF-8 only)
            return ReshError.NotFound($"{Resh.Core.Text.PathBytes.Display(path)} does not exist.", "Name an existing path.");
        var mounts = MountTable.Read();
        var m = MountTable.Containing(path, mounts);
        if (m is null) return ReshError.NotFound($"No mount holds {path}.", null);
        var (uuid, label) = await BlockIds.ReadAsync(m.Source, ctx.Cancellation).ConfigureAwait(false);
        return new FsInfoResult(Resh.Core.Text.PathBytes.Display(path), FsDescribe.Mount(m), uuid, label, FsDescribe.Usage(m));
    }
}

/// <summary>UUID and label of a block device or image, through `blkid -p -o export` (low-level probe, no cache).</summary>
public static class BlockIds
{
    public static async Task<(string? Uuid, string? Label)> ReadAsync(string source, CancellationToken ct)
    {
        var info = await ProbeAsync(source, ct).ConfigureAwait(false);
        return (info.GetValueOrDefault("UUID"), info.GetValueOrDefault("LABEL"));
    }

    public static async Task<Dictionary<string, string>> ProbeAsync(string source, CancellationToken ct)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!source.StartsWith('/') || !System.IO.File.Exists(source)) return result;
        var blkid = ProcessRunner.Which("blkid");
        if (blkid is null) return result;
        var r = await ProcessRunner.RunAsync([blkid, "-p", "-o", "export", source], null, ct).ConfigureAwait(false);
        if (!r.Succeeded) return result;
        foreach (var line in r.Stdout.Split('\n'))
        {
            var eq = line.IndexOf('=');
            if (eq > 0) result[line[..eq]] = line[(eq + 1)..];
        }
        return result;
    }
}
