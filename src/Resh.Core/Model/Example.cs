namespace Resh.Core.Model;

/// <summary>A worked call shown in help and docs; every example is parsed and bound by the test suite.</summary>
public sealed record Example(string Command, string Description);
