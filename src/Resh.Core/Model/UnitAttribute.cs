namespace Resh.Core.Model;

/// <summary>
/// The unit of a numeric result field whose name does not say it (`total`, `free`, `used`): the table
/// view shows it in human units and the result schema carries it as <c>x-resh-unit</c>. Fields named
/// <c>size</c>, <c>bytes</c>, <c>*_bytes</c>, <c>*_size</c>, <c>*_seconds</c> or <c>*_ms</c> need no attribute.
/// JSON always keeps the exact number.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class UnitAttribute(string unit) : Attribute
{
    public const string Bytes = "bytes";
    public const string Seconds = "seconds";
    public const string Milliseconds = "milliseconds";
    /// <summary>A rate (download speed): shown as 95 MiB/s.</summary>
    public const string BytesPerSecond = "bytes_per_second";

    public string Unit { get; } = unit;
}
