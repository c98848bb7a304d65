using Resh.Cli;
using Resh.Core.Cli;

return await new ReshApp(HandleCatalog.Build()) { Surfaces = HandleCatalog.Surface }.RunAsync(args, AppIO.Console());
