using Resh.Cli;
using Resh.Core.Cli;

// The watcher that kills plugin process groups when this resh ends (see PluginReaper): nothing else is set up for it.
if (args is [Resh.Handles.Plugin.PluginReaper.Entry]) return Resh.Handles.Plugin.PluginReaper.Run();

return await new ReshApp(HandleCatalog.Build()) { Surfaces = HandleCatalog.Surface }.RunAsync(args, AppIO.Console());
