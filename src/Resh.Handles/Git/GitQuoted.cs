using System.Text;

namespace Resh.Handles.Git;

/// <summary>
/// git's C-style quoting of paths in human output ("a\nb", "\303\251" octal bytes), for the few commands that have
/// no -z mode (clean). With core.quotePath=false only control characters, '"' and '\' are quoted.
/// </summary>
public static class GitQuoted
{
    public static string Unquote(string s)
    {
        if (s.Length < 2 || s[0] != '"' || s[^1] != '"') return s;
        var bytes = new List<byte>(s.Length);
        var utf8 = Encoding.UTF8;
        for (int i = 1; i < s.Length - 1; i++)
        {
            var c = s[i];
            if (c != '\\' || i + 1 >= s.Length - 1) { bytes.AddRange(utf8.GetBytes(c.ToString())); continue; }
            var e = s[++i];
            switch (e)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'v': bytes.Add(11); break;
                case '"': bytes.Add((byte)'"'); break;
                case '\\': bytes.Add((byte)'\\'); break;
                default:
                    if (e is >= '0' and <= '3' && i + 2 < s.Length - 1)
                    {
                        bytes.Add((byte)(((e - '0') << 6) | ((s[i + 1] - '0') << 3) | (s[i + 2] - '0')));
                        i += 2;
                    }
                    else { bytes.Add((byte)'\\'); bytes.AddRange(utf8.GetBytes(e.ToString())); }
                    break;
            }
        }
        return utf8.GetString(bytes.ToArray());
    }
}
