using System.Text;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcCat
{
    public static readonly VerbInfo Verb = VerbInfo.Define("cat", Effect.Read,
        "Show a service's definition: the unit file (or init script) and every drop-in that overrides it.",
        [ServiceManagers.BackendArg], () => SvcJson.Default.SvcCatResult, RunAsync,
        examples: [new("svc://nginx.cat", "nginx.service and its drop-ins."), new("svc://nginx.cat --format raw", "As systemctl cat prints it.")]);

    static async ValueTask<Outcome<SvcCatResult>> RunAsync(VerbContext ctx)
    {
        var (mgr, name, st) = await SvcFlow.OpenExistingAsync(ctx).ConfigureAwait(false);
        mgr.Dispose();
        var files = new List<SvcUnitFile>();
        foreach (var path in new[] { st.Path }.Concat(st.DropIns).OfType<string>())
        {
            try { files.Add(new SvcUnitFile(path, await System.IO.File.ReadAllTextAsync(path, ctx.Cancellation).ConfigureAwait(false))); }
            catch (IOException) { ctx.Warn($"{path} could not be read."); }
            catch (UnauthorizedAccessException) { ctx.Warn($"{path} is not readable."); }
        }
        var raw = new StringBuilder();
        foreach (var f in files)
        {
            if (raw.Length > 0) raw.Append('\n');
            raw.Append("# ").Append(f.Path).Append('\n').Append(f.Content);
            if (!f.Content.EndsWith('\n')) raw.Append('\n');
        }
        return new Outcome<SvcCatResult>(new SvcCatResult(name, files), false).WithRaw(RawPayload.FromText(raw.ToString(), newline: false));
    }
}
