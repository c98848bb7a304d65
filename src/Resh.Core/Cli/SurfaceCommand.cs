using Resh.Core.Execution;
using Resh.Core.Registry;

namespace Resh.Core.Cli;

/// <summary>
/// What a server surface (`resh mcp`) is handed instead of an envelope to print: it owns stdin and stdout
/// for the life of the process and answers every request through the same <see cref="Executor"/>.
/// </summary>
public sealed record SurfaceStart(Invocation Invocation, HandleRegistry Registry, ReshRuntime Runtime, AppIO IO, TimeSpan CancelGrace);

/// <summary>Runs a server surface to its end and returns the exit status.</summary>
public delegate Task<int> SurfaceCommand(SurfaceStart start);
