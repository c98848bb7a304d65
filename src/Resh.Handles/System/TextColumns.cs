using System.Text;

namespace Resh.Handles.Sys;

/// <summary>Left-aligned text columns for the table views of system:// results (df- and ip-like).</summary>
public sealed class TextColumns(params string[] headers)
{
    readonly List<string[]> _rows = [];

    public TextColumns Add(params string?[] cells)
    {
        _rows.Add(cells.Select(c => c ?? "-").ToArray());
        return this;
    }

    public string Render(int indent = 0)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        var sb = new StringBuilder();
        void Line(IReadOnlyList<string> cells)
        {
            sb.Append(' ', indent);
            for (int i = 0; i < headers.Length; i++)
            {
                var cell = i < cells.Count ? cells[i] : "";
                if (i == headers.Length - 1) sb.Append(cell);
                else sb.Append(cell.PadRight(widths[i])).Append("  ");
            }
            sb.Append('\n');
        }
        Line(headers);
        foreach (var row in _rows) Line(row);
        return sb.ToString();
    }
}
