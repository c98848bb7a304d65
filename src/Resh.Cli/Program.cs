using Resh.Cli;
using Resh.Core.Cli;

return await new ReshApp(HandleCatalog.Build()).RunAsync(args, AppIO.Console());
