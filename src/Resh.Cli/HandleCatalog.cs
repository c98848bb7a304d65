using System.Reflection;
using Resh.Core.Meta;
using Resh.Core.Registry;

namespace Resh.Cli;

/// <summary>The handles of this build, registered explicitly: adding a handle means adding one line here.</summary>
public static class HandleCatalog
{
    public static HandleRegistry Build()
    {
        var registry = new HandleRegistry();
        registry.Add(Resh.Handles.File.FileHandle.Create());
        registry.Add(Resh.Handles.Sys.SystemHandle.Create());
        registry.Add(Resh.Handles.Proc.ProcHandle.Create());
        registry.Add(Resh.Handles.Svc.SvcHandle.Create());
        registry.Add(Resh.Handles.Cron.CronHandle.Create());
        registry.Add(MetaHandle.Create(registry, Build_));
        return registry;
    }

    static readonly BuildInfo Build_ = new(
        typeof(HandleCatalog).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "0.0.0",
        typeof(HandleCatalog).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+').ElementAtOrDefault(1) ?? "dev");
}
