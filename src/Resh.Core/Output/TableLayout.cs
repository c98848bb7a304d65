using System.Text;
using Resh.Core.Text;

namespace Resh.Core.Output;

/// <summary>
/// Aligned text columns that fit a terminal: when the natural widths overflow, the widest columns
/// give way first and their cells end in "…". Cells must already be escaped (<see cref="TerminalText"/>).
/// Used by the generic table view and by handles' own human views.
/// </summary>
public sealed class TableLayout(IReadOnlyList<string> headers)
{
    readonly List<string[]> _rows = [];
    readonly bool[] _right = new bool[headers.Count];

    /// <summary>The terminal width the current output is rendered for; null when not on a terminal (nothing is cut).</summary>
    public static int? Width { get; set; }

    public TableLayout Add(IReadOnlyList<string> cells)
    {
        var row = new string[headers.Count];
        for (int i = 0; i < row.Length; i++) row[i] = i < cells.Count ? cells[i] : "";
        _rows.Add(row);
        return this;
    }

    /// <summary>Right-aligns a column (numbers).</summary>
    public TableLayout AlignRight(int column)
    {
        _right[column] = true;
        return this;
    }

    public int Count => _rows.Count;

    /// <summary>Renders header and rows; <paramref name="style"/> decorates the header (bold).</summary>
    public string Render(int indent = 0, Func<string, string>? style = null, int? width = null)
    {
        var n = headers.Count;
        var w = new int[n];
        for (int i = 0; i < n; i++)
        {
            w[i] = TerminalText.Width(headers[i]);
            foreach (var r in _rows) w[i] = Math.Max(w[i], TerminalText.Width(r[i]));
        }
        n = Fit(w, indent, width ?? Width);

        var sb = new StringBuilder();
        void Line(IReadOnlyList<string> cells, bool head)
        {
            sb.Append(' ', indent);
            for (int i = 0; i < n; i++)
            {
                var cell = TerminalText.Truncate(cells[i], w[i]);
                var last = i == n - 1;
                var text = _right[i] ? TerminalText.PadLeft(cell, w[i]) : last ? cell : TerminalText.PadRight(cell, w[i]);
                sb.Append(head && style is not null ? style(text) : text);
                if (!last) sb.Append("  ");
            }
            sb.Append('\n');
        }
        Line(headers, true);
        foreach (var r in _rows) Line(r, false);
        return sb.ToString();
    }

    /// <summary>
    /// Shrinks the widest columns until the row fits <paramref name="width"/> (never below a few characters);
    /// when even that is too wide, the rightmost columns are left out. Returns how many columns are shown.
    /// </summary>
    int Fit(int[] w, int indent, int? width)
    {
        if (width is not { } total) return w.Length;
        int used = indent + w.Sum() + 2 * (w.Length - 1);
        var excess = used - total;
        if (excess <= 0) return w.Length;
        var min = new int[w.Length];
        for (int i = 0; i < w.Length; i++) min[i] = Math.Min(w[i], Math.Max(5, Math.Min(TerminalText.Width(headers[i]), 8)));
        while (excess > 0)
        {
            int widest = -1;
            for (int i = 0; i < w.Length; i++)
                if (w[i] > min[i] && (widest < 0 || w[i] > w[widest])) widest = i;
            if (widest < 0) break;
            // Give way down to the next widest column in one step (at least one column).
            int next = 0;
            for (int i = 0; i < w.Length; i++) if (i != widest && w[i] < w[widest]) next = Math.Max(next, w[i]);
            var step = Math.Max(1, Math.Min(excess, Math.Min(w[widest] - min[widest], w[widest] - next)));
            w[widest] -= step;
            excess -= step;
        }
        var shown = w.Length;
        while (excess > 0 && shown > 1)
        {
            shown--;
            excess -= w[shown] + 2;
        }
        // A single column wider than the terminal is cut to it.
        if (excess > 0) w[0] = Math.Max(1, w[0] - excess);
        return shown;
    }
}
