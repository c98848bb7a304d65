namespace Resh.Handles.Pkg;

/// <summary>Debian version ordering (deb-version(7)): epoch, then upstream and revision compared by dpkg's rules (~ sorts first).</summary>
public static class DebVersion
{
    public static int Compare(string a, string b)
    {
        var (ea, ua, ra) = Split(a);
        var (eb, ub, rb) = Split(b);
        if (ea != eb) return ea.CompareTo(eb);
        var c = ComparePart(ua, ub);
        return c != 0 ? c : ComparePart(ra, rb);
    }

    static (long Epoch, string Upstream, string Revision) Split(string v)
    {
        long epoch = 0;
        var colon = v.IndexOf(':');
        if (colon > 0 && long.TryParse(v[..colon], out var e)) { epoch = e; v = v[(colon + 1)..]; }
        var dash = v.LastIndexOf('-');
        return dash > 0 ? (epoch, v[..dash], v[(dash + 1)..]) : (epoch, v, "");
    }

    static int Order(char c) => c == '~' ? -1 : char.IsAsciiDigit(c) ? 0 : char.IsAsciiLetter(c) ? c : c + 256;

    static int ComparePart(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            int diff = 0;
            while ((i < a.Length && !char.IsAsciiDigit(a[i])) || (j < b.Length && !char.IsAsciiDigit(b[j])))
            {
                int ac = i < a.Length ? Order(a[i]) : 0, bc = j < b.Length ? Order(b[j]) : 0;
                if (ac != bc) return ac - bc;
                i++; j++;
            }
            while (i < a.Length && a[i] == '0') i++;
            while (j < b.Length && b[j] == '0') j++;
            while (i < a.Length && char.IsAsciiDigit(a[i]) && j < b.Length && char.IsAsciiDigit(b[j]))
            {
                if (diff == 0) diff = a[i] - b[j];
                i++; j++;
            }
            if (i < a.Length && char.IsAsciiDigit(a[i])) return 1;
            if (j < b.Length && char.IsAsciiDigit(b[j])) return -1;
            if (diff != 0) return diff;
        }
        return 0;
    }
}
