using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Plugin.Sources;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

/// <summary>
/// plugin://.install from an archive: the archive is staged with archive://'s <see cref="SafeExtractor"/> (entries by
/// directory handle, no `..` or absolute names, symlinks resolving outside refused, devices and FIFOs refused, expansion
/// bounded) into a new 0700 directory. The CLI hands this to <see cref="PluginArchives.Extractor"/> (Resh.Handles cannot
/// reference this project). Refused entries are reported; the plugin source refuses the whole archive then.
/// </summary>
public static class PluginArchiveExtraction
{
    public static PluginExtraction Extract(string archive, string parentDir, string stageName, long maxBytes, CancellationToken ct)
    {
        var size = new FileInfo(archive).Length;
        using var reader = ArchiveOpener.Open(archive, "auto", null, null);
        var options = new ExtractOptions("error", new PathFilter([], []), 0, new ExtractionLimits(maxBytes, 10_000, ExtractionLimits.DefaultRatio),
            Owners: false, AllowSpecial: false, DryRun: false, Links: LinkPolicy.Safe, PreservePermissions: false);
        using var extractor = new SafeExtractor(reader, size, options, ct);
        var parentFd = FdTree.OpenDirectory(parentDir);
        try
        {
            try { extractor.StageInto(parentFd, stageName); }
            catch (Exception ex) when (ArchiveErrors.IsArchiveFault(ex)) { throw ArchiveErrors.Translate(ex, archive, reader.Current?.Name, "Nothing was installed.").ToException(); }
            catch (ReshException ex) when (ex.Error.Details?["limit"] is { } limit)
            {
                // s37 user #12: a plugin source past the bounds is refused by policy (permission_denied, as a git source past
                // them and as docs/plugins.md say), not a failure of the archive: archive://'s own `failed` is for its
                // max_* arguments, which a plugin install does not have.
                var what = limit.GetValue<string>() switch
                {
                    "max_entries" => $"holds more than {PluginArchives.MaxFiles} entries",
                    "max_bytes" => $"expands beyond {PluginArchives.MaxExtractedBytes >> 20} MiB",
                    _ => $"expands more than {ExtractionLimits.DefaultRatio}x its compressed size",
                };
                throw ReshError.PermissionDenied(
                    $"The plugin archive {PathBytes.Display(archive)} {what}; nothing was installed.",
                    "A plugin is a small directory; ask its publisher for a smaller source (no build output or history).",
                    new System.Text.Json.Nodes.JsonObject { ["limit"] = limit.GetValue<string>(), ["max_files"] = PluginArchives.MaxFiles, ["max_bytes"] = PluginArchives.MaxExtractedBytes, ["reached"] = ex.Error.Details!["reached"]?.DeepClone() }).ToException();
            }
            var r = extractor.Report;
            return new PluginExtraction(reader.Format.Name, r.Files, r.Refused.Select(x => new PluginRefusedEntry(PathBytes.Display(x.Path), x.Reason)).ToList());
        }
        finally
        {
            AtCalls.Close(parentFd);
        }
    }
}
