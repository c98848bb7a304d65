namespace Resh.Core.Model;

/// <summary>
/// A list field of a result that is a detail of one answer, never its items: `--format ndjson` does not print it
/// as item lines (an HTTP response's redirect hops; the body's own list is the items when there is one).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class NotItemsAttribute : Attribute;
