using Resh.Core.Output;
using Resh.Core.Text;

namespace Resh.Handles.Sys;

/// <summary>
/// Left-aligned text columns for the table views of system:// results (df- and ip-like), laid out by the
/// core's <see cref="TableLayout"/> so they fit the terminal like every other table.
/// </summary>
public sealed class TextColumns(params string[] headers)
{
    readonly List<string[]> _rows = [];

    public TextColumns Add(params string?[] cells)
    {
        _rows.Add(cells.Select(c => TerminalText.Escape(c ?? "-")).ToArray());
        return this;
    }

    public string Render(int indent = 0)
    {
        var table = new TableLayout(headers);
        foreach (var row in _rows) table.Add(row);
        return table.Render(indent);
    }
}
