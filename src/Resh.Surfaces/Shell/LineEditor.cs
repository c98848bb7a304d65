using System.Text;

namespace Resh.Surfaces.Shell;

/// <summary>
/// A small line editor over the raw terminal (docs/shell.md; chosen over a library by start-up cost, see
/// docs/benchmarks.md): arrows, Home/End, Ctrl-A/E/B/F/K/U/W/L, Ctrl-R reverse search, Ctrl-C (discard the line),
/// Ctrl-D (end on an empty line), Tab completion with a menu, history (Up/Down, Ctrl-P/N), an inline hint and
/// syntax highlighting. A line wider than the terminal wraps onto more rows: each redraw goes back to the row the
/// prompt is on, clears to the end of the screen and paints the whole line again (as linenoise's multi-line mode).
/// </summary>
internal sealed class LineEditor(RawTerminal term, LineEditor.Callbacks callbacks, List<string> history)
{
    public sealed class Callbacks
    {
        /// <summary>Candidates (whole words, unescaped) for the word before the cursor of this text.</summary>
        public required Func<string, IReadOnlyList<string>> Complete { get; init; }
        /// <summary>The line with ANSI colours; the same visible characters.</summary>
        public required Func<string, string> Highlight { get; init; }
        /// <summary>Dim text after the line when the cursor is at its end (the verb's argument signature).</summary>
        public required Func<string, string?> Hint { get; init; }
        public Func<int> Width { get; init; } = () => 80;
    }

    enum K { Char, Enter, Tab, Backspace, Delete, Left, Right, Up, Down, Home, End, CtrlA, CtrlB, CtrlC, CtrlD, CtrlE, CtrlF, CtrlG, CtrlK, CtrlL, CtrlN, CtrlP, CtrlR, CtrlU, CtrlW, Escape, Eof, Other }
    readonly record struct Key(K Kind, char Ch = '\0');

    readonly Queue<Key> _pending = new();
    readonly byte[] _buf = new byte[256];
    readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    StringBuilder _line = new();
    int _cursor;
    string _prompt = "";
    // Where the last paint left things, in rows below the prompt's row: the terminal's cursor and the paint's last row.
    int _cursorRow, _endRow;

    /// <summary>The line typed (Enter), "" after Ctrl-C, null at end of input (Ctrl-D on an empty line).</summary>
    public string? ReadLine(string prompt)
    {
        _prompt = prompt;
        _line = new StringBuilder();
        _cursor = 0;
        _cursorRow = _endRow = 0;
        int historyIndex = history.Count;
        string? draft = null;
        term.EnterRaw();
        try
        {
            Render();
            while (true)
            {
                var key = Next();
                switch (key.Kind)
                {
                    case K.Eof: Render(hint: false, atEnd: true); RawTerminal.WriteOut("\r\n"); return null;
                    case K.Enter: Render(hint: false, atEnd: true); RawTerminal.WriteOut("\r\n"); return _line.ToString();
                    case K.CtrlC: Render(hint: false, atEnd: true); RawTerminal.WriteOut("^C\r\n"); return "";
                    case K.CtrlD:
                        if (_line.Length == 0) { Render(hint: false, atEnd: true); RawTerminal.WriteOut("\r\n"); return null; }
                        if (_cursor < _line.Length) _line.Remove(_cursor, 1);
                        break;
                    case K.Char: _line.Insert(_cursor++, key.Ch); break;
                    case K.Backspace: if (_cursor > 0) _line.Remove(--_cursor, 1); break;
                    case K.Delete: if (_cursor < _line.Length) _line.Remove(_cursor, 1); break;
                    case K.Left or K.CtrlB: if (_cursor > 0) _cursor--; break;
                    case K.Right or K.CtrlF: if (_cursor < _line.Length) _cursor++; break;
                    case K.Home or K.CtrlA: _cursor = 0; break;
                    case K.End or K.CtrlE: _cursor = _line.Length; break;
                    case K.CtrlK: _line.Remove(_cursor, _line.Length - _cursor); break;
                    case K.CtrlU: _line.Remove(0, _cursor); _cursor = 0; break;
                    case K.CtrlW:
                    {
                        int start = _cursor;
                        while (start > 0 && _line[start - 1] == ' ') start--;
                        while (start > 0 && _line[start - 1] != ' ') start--;
                        _line.Remove(start, _cursor - start);
                        _cursor = start;
                        break;
                    }
                    case K.CtrlL: RawTerminal.WriteOut("\x1b[H\x1b[2J"); _cursorRow = _endRow = 0; break;
                    case K.Up or K.CtrlP:
                        if (historyIndex > 0)
                        {
                            if (historyIndex == history.Count) draft = _line.ToString();
                            SetLine(history[--historyIndex]);
                        }
                        break;
                    case K.Down or K.CtrlN:
                        if (historyIndex < history.Count)
                        {
                            historyIndex++;
                            SetLine(historyIndex == history.Count ? draft ?? "" : history[historyIndex]);
                        }
                        break;
                    case K.Tab: Complete(); break;
                    case K.CtrlR:
                        if (ReverseSearch()) { Render(hint: false, atEnd: true); RawTerminal.WriteOut("\r\n"); return _line.ToString(); }
                        break;
                }
                Render();
            }
        }
        finally
        {
            term.Restore();
        }
    }

    void SetLine(string text)
    {
        _line = new StringBuilder(text);
        _cursor = text.Length;
    }

    /// <param name="atEnd">Leave the terminal's cursor after the line (before a newline), not at the editing cursor.</param>
    void Render(bool hint = true, bool atEnd = false)
    {
        var text = _line.ToString();
        var promptLength = VisibleLength(_prompt);
        var cols = Columns();
        string? h = null;
        if (hint && _cursor == text.Length)
        {
            try { h = callbacks.Hint(text); } catch (Exception ex) when (ex is not OutOfMemoryException) { }
            // The hint stays on the line's last row: it never makes the line wrap.
            var room = cols - (promptLength + text.Length) % cols - 1;
            if (h is not null && room < 8) h = null;
            else if (h is not null && h.Length > room) h = h[..(room - 1)] + "…";
        }
        var painted = new StringBuilder(_prompt).Append(callbacks.Highlight(text));
        if (!string.IsNullOrEmpty(h)) painted.Append("\x1b[2m").Append(h).Append("\x1b[0m");
        Paint(painted.ToString(), promptLength + text.Length + (h?.Length ?? 0), atEnd ? promptLength + text.Length : promptLength + _cursor);
    }

    int Columns()
    {
        int cols;
        try { cols = callbacks.Width(); } catch (Exception ex) when (ex is not OutOfMemoryException) { cols = 80; }
        return cols > 0 ? cols : 80;
    }

    /// <summary>
    /// Paints <paramref name="painted"/> (<paramref name="length"/> visible columns) from the start of the prompt's row,
    /// over whatever the last paint left on this and the rows below, and puts the cursor at column offset <paramref name="cursor"/>.
    /// </summary>
    void Paint(string painted, int length, int cursor)
    {
        var cols = Columns();
        var sb = new StringBuilder();
        if (_cursorRow > 0) sb.Append("\x1b[").Append(_cursorRow).Append('A');
        sb.Append("\r\x1b[J").Append(painted);
        // Text that ends exactly at the right margin leaves the terminal's cursor there with a wrap pending (where a
        // relative move would count wrongly): a newline puts it at the start of the next row.
        int endRow = length / cols;
        if (length > 0 && length % cols == 0) sb.Append("\r\n");
        int row = cursor / cols, col = cursor % cols;
        if (endRow > row) sb.Append("\x1b[").Append(endRow - row).Append('A');
        sb.Append('\r');
        if (col > 0) sb.Append("\x1b[").Append(col).Append('C');
        _cursorRow = row;
        _endRow = endRow;
        RawTerminal.WriteOut(sb.ToString());
    }

    /// <summary>Moves the terminal's cursor to the start of the row after the painted line (before printing under it).</summary>
    string BelowLine()
    {
        var down = _endRow - _cursorRow;
        var s = (down > 0 ? $"\x1b[{down}B" : "") + "\r\n";
        _cursorRow = _endRow = 0;
        return s;
    }

    static int VisibleLength(string s)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\x1b') { while (i < s.Length && s[i] != 'm') i++; continue; }
            n++;
        }
        return n;
    }

    void Complete()
    {
        var before = _line.ToString(0, _cursor);
        var (start, word) = ShellWords.CurrentWord(before);
        IReadOnlyList<string> candidates;
        try { candidates = callbacks.Complete(before); }
        catch (Exception ex) when (ex is not OutOfMemoryException) { candidates = []; }
        // A name holding a control, bidi or line-separator character (a hostile file name, an ssh_config Host line) is
        // never written into the line: inserted raw it would paint the terminal, inserted escaped it names another thing.
        if (candidates.Any(c => c.Any(Resh.Core.Text.TerminalText.IsControl))) candidates = candidates.Where(c => !c.Any(Resh.Core.Text.TerminalText.IsControl)).ToList();
        if (candidates.Count == 0) { RawTerminal.WriteOut("\a"); return; }
        var common = candidates[0];
        foreach (var c in candidates.Skip(1))
        {
            int n = 0;
            while (n < common.Length && n < c.Length && common[n] == c[n]) n++;
            common = common[..n];
        }
        string? replacement = null;
        var space = "";
        if (candidates.Count == 1)
        {
            replacement = common;
            // No space after a word that goes on: a directory, `name=`, `scheme:`, `.`, or inside an open `(` (the stage's arguments).
            space = common.EndsWith('/') || common.EndsWith('=') || common.EndsWith(':') || common.EndsWith('.')
                || common.Count(c => c == '(') > common.Count(c => c == ')') ? "" : " ";
        }
        else if (common.Length > word.Length && common.StartsWith(word, StringComparison.Ordinal)) replacement = common;
        if (replacement is not null)
        {
            var escaped = ShellWords.EscapeAt(before[..start], replacement) + space;
            _line.Remove(start, _cursor - start).Insert(start, escaped);
            _cursor = start + escaped.Length;
            return;
        }
        // Several candidates and nothing more in common: the menu, under the line.
        // Names come from the live system (file names, unit names): control characters are shown escaped, never sent to
        // the terminal as they are (a file named with escape sequences would paint it; s40 attacker).
        var shown = candidates.Take(100).Select(name => Resh.Core.Text.TerminalText.Escape(name)).ToList();
        var width = Math.Max(20, callbacks.Width());
        var col = Math.Min(width, shown.Max(c => c.Length) + 2);
        var perRow = Math.Max(1, width / col);
        var sb = new StringBuilder(BelowLine());
        for (int i = 0; i < shown.Count; i++)
        {
            sb.Append(shown[i].PadRight(col));
            if ((i + 1) % perRow == 0 || i == shown.Count - 1) sb.Append("\r\n");
        }
        if (candidates.Count > shown.Count) sb.Append($"… {candidates.Count - shown.Count} more\r\n");
        RawTerminal.WriteOut(sb.ToString());
    }

    /// <summary>Ctrl-R: the newest history line holding what is typed; Ctrl-R again goes older. True: run it (Enter).</summary>
    bool ReverseSearch()
    {
        var query = new StringBuilder();
        int at = history.Count;
        string? match = null;
        // No line holds what is typed (or none older, after Ctrl-R again): said as bash says it, the last match kept.
        bool failed = false;
        var original = _line.ToString();
        bool Find(int from)
        {
            for (int i = Math.Min(from, history.Count - 1); i >= 0; i--)
                if (history[i].Contains(query.ToString(), StringComparison.Ordinal)) { at = i; match = history[i]; return true; }
            return false;
        }
        while (true)
        {
            var shownMatch = match is null ? "" : Resh.Core.Text.TerminalText.Escape(match);
            var search = $"({(failed ? "failed " : "")}reverse-i-search)`{Resh.Core.Text.TerminalText.Escape(query.ToString())}': {shownMatch}";
            Paint(search, search.Length, search.Length);
            var key = Next();
            switch (key.Kind)
            {
                case K.Char: query.Append(key.Ch); failed = !Find(at); break;
                case K.Backspace:
                    if (query.Length > 0) query.Length--;
                    at = history.Count;
                    failed = !Find(at - 1) && query.Length > 0;
                    break;
                case K.CtrlR: failed = !Find(at - 1); break;
                case K.Enter: SetLine(match ?? original); return true;
                case K.CtrlC or K.CtrlG or K.Escape or K.Eof: SetLine(original); return false;
                default: SetLine(match ?? original); return false;
            }
        }
    }

    Key Next()
    {
        while (_pending.Count == 0) Fill();
        return _pending.Dequeue();
    }

    void Fill()
    {
        var n = term.ReadSome(_buf);
        if (n == 0) { _pending.Enqueue(new Key(K.Eof)); return; }
        int i = 0;
        while (i < n)
        {
            var b = _buf[i];
            if (b == 0x1b)
            {
                // An escape sequence, or Escape alone: its rest may still be on its way.
                if (i + 1 >= n)
                {
                    if (term.HasInput(30)) { var more = new byte[64]; var m = term.ReadSome(more); Array.Copy(more, 0, _buf, n, Math.Min(m, _buf.Length - n)); n += Math.Min(m, _buf.Length - n); }
                    else { _pending.Enqueue(new Key(K.Escape)); i++; continue; }
                }
                var c1 = _buf[i + 1];
                if (c1 is (byte)'[' or (byte)'O')
                {
                    int j = i + 2;
                    while (j < n && _buf[j] is >= (byte)'0' and <= (byte)'9' or (byte)';') j++;
                    if (j >= n) { i = n; break; }
                    var final = (char)_buf[j];
                    var param = Encoding.ASCII.GetString(_buf, i + 2, j - i - 2);
                    _pending.Enqueue(new Key(final switch
                    {
                        'A' => K.Up, 'B' => K.Down, 'C' => K.Right, 'D' => K.Left, 'H' => K.Home, 'F' => K.End,
                        '~' => param switch { "1" or "7" => K.Home, "4" or "8" => K.End, "3" => K.Delete, _ => K.Other },
                        _ => K.Other,
                    }));
                    i = j + 1;
                    continue;
                }
                _pending.Enqueue(new Key(K.Other)); // Alt-key: ignored
                i += 2;
                continue;
            }
            if (b < 0x20 || b == 0x7f)
            {
                _pending.Enqueue(new Key(b switch
                {
                    1 => K.CtrlA, 2 => K.CtrlB, 3 => K.CtrlC, 4 => K.CtrlD, 5 => K.CtrlE, 6 => K.CtrlF, 7 => K.CtrlG,
                    8 or 0x7f => K.Backspace, 9 => K.Tab, 10 or 13 => K.Enter, 11 => K.CtrlK, 12 => K.CtrlL, 14 => K.CtrlN,
                    16 => K.CtrlP, 18 => K.CtrlR, 21 => K.CtrlU, 23 => K.CtrlW, _ => K.Other,
                }));
                i++;
                continue;
            }
            // Text, UTF-8 decoded across reads.
            int end = i;
            while (end < n && _buf[end] >= 0x20 && _buf[end] != 0x7f && _buf[end] != 0x1b) end++;
            var chars = new char[end - i + 4];
            var count = _utf8.GetChars(_buf, i, end - i, chars, 0, flush: false);
            for (int k = 0; k < count; k++) _pending.Enqueue(new Key(K.Char, chars[k]));
            i = end;
        }
    }
}
