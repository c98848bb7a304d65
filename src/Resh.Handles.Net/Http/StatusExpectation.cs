using System.Globalization;
using Resh.Core.Errors;

namespace Resh.Handles.Net.Http;

/// <summary>expect=200,204 / 2xx / 200-299: which statuses count as success.</summary>
internal sealed class StatusExpectation
{
    readonly List<(int From, int To)> _ranges = [];

    public bool IsDefault => _ranges.Count == 0;
    public string Text { get; }

    StatusExpectation(string text) => Text = text;

    public static StatusExpectation Parse(IReadOnlyList<string> items, string defaultText = "1xx-3xx")
    {
        var e = new StatusExpectation(items.Count == 0 ? defaultText : string.Join(",", items));
        foreach (var raw in items)
        {
            var item = raw.Trim().ToLowerInvariant();
            if (item.Length == 3 && item.EndsWith("xx", StringComparison.Ordinal) && item[0] is >= '1' and <= '5')
            {
                var c = (item[0] - '0') * 100;
                e._ranges.Add((c, c + 99));
            }
            else if (item.Split('-') is [var a, var b] && Code(a) is { } lo && Code(b) is { } hi && lo <= hi) e._ranges.Add((lo, hi));
            else if (Code(item) is { } one) e._ranges.Add((one, one));
            else throw ReshError.Usage($"`{raw}` in expect= is not a status, class or range.", "Examples: expect=200,204  expect=2xx  expect=200-299").ToException();
        }
        return e;
    }

    static int? Code(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 100 and <= 599 ? n : null;

    public bool Matches(int status) => IsDefault ? status < 400 : _ranges.Any(r => status >= r.From && status <= r.To);
}
