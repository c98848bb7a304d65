using System.Text;

namespace Resh.Core.Text;

/// <summary>
/// Unified diffs for --dry-run and content-changing verbs, the same as <c>diff -u</c> prints them (GNU
/// diffutils): the same line matching (Myers' middle-snake search with diff's tie-breaking, its
/// discarding of lines that match nothing, and its sliding of changes to group them), the same hunks
/// (3 lines of context, hunks closer than 7 lines merged), the same ranges (<c>-l</c> for one line,
/// <c>-l,0</c> for none) and <c>\ No newline at end of file</c> after a last line without a newline.
/// Only the header differs: <c>--- a/PATH</c> and <c>+++ b/PATH</c> without timestamps (as
/// <c>diff -u --label a/PATH --label b/PATH</c> prints).
/// </summary>
public static class Diff
{
    /// <summary>A unified diff of two texts, or null when they are equal.</summary>
    public static string? Unified(string? oldText, string newText, string path, int context = 3)
    {
        oldText ??= "";
        if (oldText == newText) return null;
        var sb = new StringBuilder();
        sb.Append("--- a").Append(Prefix(path)).Append('\n');
        sb.Append("+++ b").Append(Prefix(path)).Append('\n');
        new GnuDiff(oldText, newText, context).WriteUnified(sb, context);
        return sb.ToString();
    }

    /// <summary>Diff of two byte contents: a text diff when both are UTF-8 text, else a size note.</summary>
    public static string? Unified(ReadOnlySpan<byte> oldBytes, ReadOnlySpan<byte> newBytes, string path, bool oldExists)
    {
        if (oldExists && oldBytes.SequenceEqual(newBytes)) return null;
        if (IsText(oldBytes) && IsText(newBytes))
            return Unified(oldExists ? Encoding.UTF8.GetString(oldBytes) : "", Encoding.UTF8.GetString(newBytes), path);
        return $"Binary content of {path} differs ({(oldExists ? oldBytes.Length + " bytes" : "absent")} -> {newBytes.Length} bytes)\n";
    }

    static bool IsText(ReadOnlySpan<byte> data) => data.IndexOf((byte)0) < 0 && System.Text.Unicode.Utf8.IsValid(data);

    static string Prefix(string path) => path.StartsWith('/') ? path : "/" + path;

    /// <summary>Lines with their newline; the last one may lack it.</summary>
    static List<string> Split(string text)
    {
        var lines = new List<string>();
        int start = 0;
        while (start < text.Length)
        {
            var nl = text.IndexOf('\n', start);
            if (nl < 0) { lines.Add(text[start..]); break; }
            lines.Add(text[start..(nl + 1)]);
            start = nl + 1;
        }
        return lines;
    }

    /// <summary>One comparison, in the shape of diffutils' analyze.c and context.c.</summary>
    sealed class GnuDiff
    {
        readonly List<string> _a, _b;
        readonly int[] _equivA, _equivB;       // equivalence class of each line (same text, same final-newline state)
        readonly bool[] _changedA, _changedB;  // one slot of padding at each end: index i is line i-1
        int[] _undiscA = [], _undiscB = [];     // classes of the lines that take part in the search
        int[] _realA = [], _realB = [];         // their line numbers
        int[] _fd = [], _bd = [];
        int _diagOffset;
        long _tooExpensive;

        readonly int _skip;      // lines of identical prefix left out of the analysis (the same in both files)
        readonly int _midA, _midB; // lines analysed in each file, from _skip on

        public GnuDiff(string oldText, string newText, int horizon)
        {
            _a = Split(oldText);
            _b = Split(newText);
            (_skip, _midA, _midB) = IdenticalEnds(oldText, newText, _a, _b, horizon);
            var classes = new Dictionary<string, int>(StringComparer.Ordinal);
            _equivA = new int[_midA];
            _equivB = new int[_midB];
            for (int i = 0; i < _midA; i++) _equivA[i] = Class(classes, _a[_skip + i]);
            for (int i = 0; i < _midB; i++) _equivB[i] = Class(classes, _b[_skip + i]);
            _changedA = new bool[_midA + 2];
            _changedB = new bool[_midB + 2];
            Compare(classes.Count + 1);
        }

        /// <summary>
        /// diff's find_identical_ends, on the UTF-8 bytes: the identical prefix and suffix are left out of the
        /// analysis except <paramref name="horizon"/> lines next to the differences (and one more line of the
        /// suffix when the difference ends mid-line). A last line without a newline never matches one with it.
        /// </summary>
        static (int Skip, int MidA, int MidB) IdenticalEnds(string oldText, string newText, List<string> la, List<string> lb, int horizon)
        {
            bool missA = oldText.Length > 0 && !oldText.EndsWith('\n'), missB = newText.Length > 0 && !newText.EndsWith('\n');
            var a = Encoding.UTF8.GetBytes(missA ? oldText + "\n" : oldText);
            var b = Encoding.UTF8.GetBytes(missB ? newText + "\n" : newText);
            int n0 = a.Length, n1 = b.Length;
            int p = 0, min = Math.Min(n0, n1);
            while (p < min && a[p] == b[p]) p++;
            int p0 = p;
            if ((n0 - (missA ? 1 : 0) < p0) != (n1 - (missB ? 1 : 0) < p0)) p0--;
            int h = horizon;
            while (p0 != 0 && (a[p0 - 1] != '\n' || h-- != 0)) p0--;
            int prefixEnd = p0;

            int q0 = n0, q1 = n1;
            if (missA == missB)
            {
                int beg0 = prefixEnd + (n0 < n1 ? 0 : n0 - n1);
                while (q0 != beg0)
                {
                    if (a[--q0] != b[--q1])
                    {
                        q0++;
                        q1++;
                        break;
                    }
                }
                int matchStart = q0;
                int k = horizon + ((q0 == 0 || a[q0 - 1] == '\n') && (q1 == 0 || b[q1 - 1] == '\n') ? 0 : 1);
                while (k-- != 0 && q0 != n0)
                    while (a[q0++] != '\n') { }
                q1 += q0 - matchStart;
            }
            int skip = LineAt(a, prefixEnd);
            return (skip, LineAt(a, q0) - skip, LineAt(b, q1) - skip);
        }

        /// <summary>The number of lines that start before byte <paramref name="offset"/> (an offset at a line start or the end).</summary>
        static int LineAt(byte[] bytes, int offset)
        {
            int lines = 0;
            for (int i = 0; i < offset; i++) if (bytes[i] == '\n') lines++;
            return lines;
        }

        static int Class(Dictionary<string, int> classes, string line)
        {
            if (!classes.TryGetValue(line, out var c)) classes[line] = c = classes.Count + 1;
            return c;
        }

        /// <summary>Whether line <paramref name="i"/> of the whole old (new) file changed: only lines in the analysed middle can.</summary>
        bool ChangedA(int i) => i >= _skip && i < _skip + _midA && _changedA[i - _skip + 1];
        bool ChangedB(int i) => i >= _skip && i < _skip + _midB && _changedB[i - _skip + 1];

        void Compare(int classCount)
        {
            DiscardConfusingLines(classCount);
            var n = _undiscA.Length;
            var m = _undiscB.Length;
            var diags = (long)n + m + 3;
            _fd = new int[diags];
            _bd = new int[diags];
            _diagOffset = m + 1;
            long tooExpensive = 1;
            for (var d = diags; d != 0; d >>= 2) tooExpensive <<= 1;
            _tooExpensive = Math.Max(4096, tooExpensive);
            CompareSeq(0, n, 0, m, false);
            ShiftBoundaries(_equivA, _changedA, _changedB);
            ShiftBoundaries(_equivB, _changedB, _changedA);
        }

        /// <summary>
        /// Lines of one file that match no line of the other take no part in the search (they are changes
        /// anyway); lines that match very many are left out when they sit in the middle of such a run.
        /// </summary>
        void DiscardConfusingLines(int classCount)
        {
            var countA = new int[classCount];
            var countB = new int[classCount];
            foreach (var e in _equivA) countA[e]++;
            foreach (var e in _equivB) countB[e]++;
            var discA = MarkDiscards(_equivA, countB);
            var discB = MarkDiscards(_equivB, countA);
            Refine(discA);
            Refine(discB);
            (_undiscA, _realA) = Keep(_equivA, discA, _changedA);
            (_undiscB, _realB) = Keep(_equivB, discB, _changedB);
        }

        static byte[] MarkDiscards(int[] equivs, int[] otherCounts)
        {
            var discards = new byte[equivs.Length];
            long many = 5;
            long tem = equivs.Length / 64;
            while ((tem >>= 2) > 0) many *= 2;
            for (int i = 0; i < equivs.Length; i++)
            {
                var nmatch = otherCounts[equivs[i]];
                if (nmatch == 0) discards[i] = 1;
                else if (nmatch > many) discards[i] = 2;
            }
            return discards;
        }

        static void Refine(byte[] discards)
        {
            int end = discards.Length;
            for (int i = 0; i < end; i++)
            {
                if (discards[i] == 2) { discards[i] = 0; continue; }
                if (discards[i] == 0) continue;
                // A run of discardable lines that starts with a definite one.
                int j, provisional = 0;
                for (j = i; j < end && discards[j] != 0; j++)
                    if (discards[j] == 2) provisional++;
                while (j > i && discards[j - 1] == 2) { discards[--j] = 0; provisional--; }
                int length = j - i;
                if (provisional * 4 > length)
                {
                    while (j > i) if (discards[--j] == 2) discards[j] = 0;
                }
                else
                {
                    int minimum = 1;
                    int tem = length >> 2;
                    while (0 < (tem >>= 2)) minimum <<= 1;
                    minimum++;
                    int consec = 0;
                    for (j = 0; j < length; j++)
                    {
                        if (discards[i + j] != 2) consec = 0;
                        else if (minimum == ++consec) j -= consec;
                        else if (minimum < consec) discards[i + j] = 0;
                    }
                    consec = 0;
                    for (j = 0; j < length; j++)
                    {
                        if (j >= 8 && discards[i + j] == 1) break;
                        if (discards[i + j] == 2) { consec = 0; discards[i + j] = 0; }
                        else if (discards[i + j] == 0) consec = 0;
                        else consec++;
                        if (consec == 3) break;
                    }
                    i += length - 1;
                    consec = 0;
                    for (j = 0; j < length; j++)
                    {
                        if (j >= 8 && discards[i - j] == 1) break;
                        if (discards[i - j] == 2) { consec = 0; discards[i - j] = 0; }
                        else if (discards[i - j] == 0) consec = 0;
                        else consec++;
                        if (consec == 3) break;
                    }
                }
            }
        }

        static (int[] Undiscarded, int[] Real) Keep(int[] equivs, byte[] discards, bool[] changed)
        {
            var und = new List<int>(equivs.Length);
            var real = new List<int>(equivs.Length);
            for (int i = 0; i < equivs.Length; i++)
            {
                if (discards[i] == 0) { und.Add(equivs[i]); real.Add(i); }
                else changed[i + 1] = true;
            }
            return (und.ToArray(), real.ToArray());
        }

        // ---- the search (Myers, "An O(ND) Difference Algorithm and Its Variations", with diff's tie-breaks) ----

        int Fd(int d) => _fd[d + _diagOffset];
        void Fd(int d, int v) => _fd[d + _diagOffset] = v;
        int Bd(int d) => _bd[d + _diagOffset];
        void Bd(int d, int v) => _bd[d + _diagOffset] = v;

        void CompareSeq(int xoff, int xlim, int yoff, int ylim, bool findMinimal)
        {
            while (true)
            {
                while (xoff < xlim && yoff < ylim && _undiscA[xoff] == _undiscB[yoff]) { xoff++; yoff++; }
                while (xoff < xlim && yoff < ylim && _undiscA[xlim - 1] == _undiscB[ylim - 1]) { xlim--; ylim--; }
                if (xoff == xlim)
                {
                    while (yoff < ylim) _changedB[_realB[yoff++] + 1] = true;
                    return;
                }
                if (yoff == ylim)
                {
                    while (xoff < xlim) _changedA[_realA[xoff++] + 1] = true;
                    return;
                }
                var (xmid, ymid, loMinimal, hiMinimal) = Diag(xoff, xlim, yoff, ylim, findMinimal);
                CompareSeq(xoff, xmid, yoff, ymid, loMinimal);
                (xoff, yoff, findMinimal) = (xmid, ymid, hiMinimal); // the second half iteratively
            }
        }

        (int X, int Y, bool Lo, bool Hi) Diag(int xoff, int xlim, int yoff, int ylim, bool findMinimal)
        {
            int dmin = xoff - ylim, dmax = xlim - yoff;
            int fmid = xoff - yoff, bmid = xlim - ylim;
            int fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
            bool odd = ((fmid - bmid) & 1) != 0;
            Fd(fmid, xoff);
            Bd(bmid, xlim);
            for (long c = 1; ; c++)
            {
                if (fmin > dmin) Fd(--fmin - 1, -1); else fmin++;
                if (fmax < dmax) Fd(++fmax + 1, -1); else fmax--;
                for (int d = fmax; d >= fmin; d -= 2)
                {
                    int tlo = Fd(d - 1), thi = Fd(d + 1);
                    int x0 = tlo < thi ? thi : tlo + 1;
                    int x = x0, y = x0 - d;
                    while (x < xlim && y < ylim && _undiscA[x] == _undiscB[y]) { x++; y++; }
                    Fd(d, x);
                    if (odd && bmin <= d && d <= bmax && Bd(d) <= x) return (x, y, true, true);
                }
                if (bmin > dmin) Bd(--bmin - 1, int.MaxValue); else bmin++;
                if (bmax < dmax) Bd(++bmax + 1, int.MaxValue); else bmax--;
                for (int d = bmax; d >= bmin; d -= 2)
                {
                    int tlo = Bd(d - 1), thi = Bd(d + 1);
                    int x0 = tlo < thi ? tlo : thi - 1;
                    int x = x0, y = x0 - d;
                    while (xoff < x && yoff < y && _undiscA[x - 1] == _undiscB[y - 1]) { x--; y--; }
                    Bd(d, x);
                    if (!odd && fmin <= d && d <= fmax && x <= Fd(d)) return (x, y, true, true);
                }
                if (findMinimal || c < _tooExpensive) continue;

                // Gone well beyond the call of duty: split at the best point found so far.
                int fxybest = -1, fxbest = 0;
                for (int d = fmax; d >= fmin; d -= 2)
                {
                    int x = Math.Min(Fd(d), xlim), y = x - d;
                    if (ylim < y) { x = ylim + d; y = ylim; }
                    if (fxybest < x + y) { fxybest = x + y; fxbest = x; }
                }
                int bxybest = int.MaxValue, bxbest = 0;
                for (int d = bmax; d >= bmin; d -= 2)
                {
                    int x = Math.Max(xoff, Bd(d)), y = x - d;
                    if (y < yoff) { x = yoff + d; y = yoff; }
                    if (x + y < bxybest) { bxybest = x + y; bxbest = x; }
                }
                return (xlim + ylim) - bxybest < fxybest - (xoff + yoff)
                    ? (fxbest, fxybest - fxbest, true, false)
                    : (bxbest, bxybest - bxbest, false, true);
            }
        }

        /// <summary>Slides each run of changes so that runs merge where they can, and otherwise sit as low as they can
        /// while still lining up with a run of changes in the other file (diff's shift_boundaries).</summary>
        static void ShiftBoundaries(int[] equivs, bool[] changedPadded, bool[] otherPadded)
        {
            // Index helpers over the padded arrays: C(i) is line i, with C(-1) and C(end) false.
            bool C(int i) => changedPadded[i + 1];
            void Set(int i, bool v) => changedPadded[i + 1] = v;
            bool O(int j) => otherPadded[j + 1];
            int i = 0, j = 0, iEnd = equivs.Length;
            while (true)
            {
                while (i < iEnd && !C(i))
                {
                    while (O(j++)) { }
                    i++;
                }
                if (i == iEnd) break;
                int start = i;
                while (C(++i)) { }
                while (O(j)) j++;
                int runlength, corresponding;
                do
                {
                    runlength = i - start;
                    while (start > 0 && equivs[start - 1] == equivs[i - 1])
                    {
                        Set(--start, true);
                        Set(--i, false);
                        while (C(start - 1)) start--;
                        while (O(--j)) { }
                    }
                    corresponding = O(j - 1) ? i : iEnd;
                    while (i != iEnd && equivs[start] == equivs[i])
                    {
                        Set(start++, false);
                        Set(i++, true);
                        while (C(i)) i++;
                        while (O(++j)) corresponding = i;
                    }
                }
                while (runlength != i - start);
                while (corresponding < i)
                {
                    Set(--start, true);
                    Set(--i, false);
                    while (O(--j)) { }
                }
            }
        }

        // ---- output ----

        /// <summary>One change: lines [Line0, Line0+Deleted) of the old file become [Line1, Line1+Inserted) of the new.</summary>
        readonly record struct Change(int Line0, int Line1, int Deleted, int Inserted);

        List<Change> Script()
        {
            var script = new List<Change>();
            int i0 = 0, i1 = 0, n0 = _a.Count, n1 = _b.Count;
            while (i0 < n0 || i1 < n1)
            {
                if (ChangedA(i0) || ChangedB(i1))
                {
                    int line0 = i0, line1 = i1;
                    while (ChangedA(i0)) i0++;
                    while (ChangedB(i1)) i1++;
                    script.Add(new Change(line0, line1, i0 - line0, i1 - line1));
                }
                i0++;
                i1++;
            }
            return script;
        }

        public void WriteUnified(StringBuilder sb, int context)
        {
            var script = Script();
            int k = 0;
            while (k < script.Count)
            {
                // A hunk: changes less than 2*context+1 unchanged lines apart.
                int last = k;
                while (last + 1 < script.Count && script[last + 1].Line0 - (script[last].Line0 + script[last].Deleted) < 2 * context + 1) last++;
                var first = script[k];
                var end = script[last];
                int first0 = Math.Max(first.Line0 - context, 0), first1 = Math.Max(first.Line1 - context, 0);
                int last0 = end.Line0 + end.Deleted - 1, last1 = end.Line1 + end.Inserted - 1;
                last0 = last0 < _a.Count - context ? last0 + context : _a.Count - 1;
                last1 = last1 < _b.Count - context ? last1 + context : _b.Count - 1;
                sb.Append("@@ -");
                Range(sb, first0, last0);
                sb.Append(" +");
                Range(sb, first1, last1);
                sb.Append(" @@\n");
                int i = first0, j = first1, c = k;
                while (i <= last0 || j <= last1)
                {
                    if (c > last || i < script[c].Line0)
                    {
                        Line(sb, ' ', _a[i++]);
                        j++;
                        continue;
                    }
                    for (int n = 0; n < script[c].Deleted; n++) Line(sb, '-', _a[i++]);
                    for (int n = 0; n < script[c].Inserted; n++) Line(sb, '+', _b[j++]);
                    c++;
                }
                k = last + 1;
            }
        }

        /// <summary>"l" for one line, "l,n" for several, "l,0" (the line before) for none, as diff -u prints them.</summary>
        static void Range(StringBuilder sb, int a, int b)
        {
            int transA = a + 1, transB = b + 1;
            if (transB <= transA) sb.Append(transB < transA ? $"{transB},0" : $"{transB}");
            else sb.Append(transA).Append(',').Append(transB - transA + 1);
        }

        static void Line(StringBuilder sb, char mark, string line)
        {
            sb.Append(mark).Append(line);
            if (!line.EndsWith('\n')) sb.Append("\n\\ No newline at end of file\n");
        }
    }
}
