using System.Text;
using Resh.Core.Errors;

namespace Resh.Core.Cli;

/// <summary>
/// .NET decodes argv as UTF-8 and replaces every invalid byte with U+FFFD, so `output=$'a\xffb'` would name another
/// file (a\xEF\xBF\xBDb) and a URL path byte %FF would become %EF%BF%BD. resh does not carry such bytes through
/// (its strings, file and URL APIs are UTF-8 throughout): an argument whose raw bytes (/proc/self/cmdline) are not
/// valid UTF-8 is refused with a usage error naming it, before anything runs. Checked only when an argument holds
/// U+FFFD, so an ordinary call never reads /proc.
/// </summary>
public static class RawArgv
{
    static readonly UTF8Encoding Strict = new(false, true);

    /// <summary>The usage error for the first argument that was not valid UTF-8 on the command line, or null.</summary>
    public static ReshError? Check(string[] argv, string cmdlinePath = "/proc/self/cmdline")
    {
        if (!argv.Any(a => a.Contains('\uFFFD'))) return null;
        byte[] raw;
        try { raw = File.ReadAllBytes(cmdlinePath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        var parts = Split(raw);
        // The kernel's argv is argv[0] followed by the arguments .NET was given; anything else (a test host) is not ours.
        if (parts.Count != argv.Length + 1) return null;
        for (int i = 0; i < argv.Length; i++)
        {
            var bytes = parts[i + 1];
            if (Encoding.UTF8.GetString(bytes) != argv[i]) return null;
            try { Strict.GetString(bytes); }
            catch (DecoderFallbackException)
            {
                return ReshError.Usage(
                    $"Argument {i + 1} (`{Escape(bytes)}`) contains bytes that are not UTF-8; resh would read them as U+FFFD and name another file or URL.",
                    "Use UTF-8 names (rename the file, e.g. with convmv), or percent-encode the bytes in a URL (%FF).");
            }
        }
        return null;
    }

    static List<byte[]> Split(byte[] raw)
    {
        var parts = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < raw.Length; i++)
            if (raw[i] == 0)
            {
                parts.Add(raw[start..i]);
                start = i + 1;
            }
        if (start < raw.Length) parts.Add(raw[start..]);
        return parts;
    }

    /// <summary>The argument with its invalid bytes shown as \xHH (and control characters escaped), clipped.</summary>
    static string Escape(byte[] bytes)
    {
        var sb = new StringBuilder();
        var decoder = Strict;
        int i = 0;
        while (i < bytes.Length && sb.Length < 80)
        {
            int len = bytes[i] < 0x80 ? 1 : bytes[i] >= 0xF0 ? 4 : bytes[i] >= 0xE0 ? 3 : bytes[i] >= 0xC2 ? 2 : 0;
            string? ch = null;
            if (len > 0 && i + len <= bytes.Length)
                try { ch = decoder.GetString(bytes, i, len); } catch (DecoderFallbackException) { }
            if (ch is null || (ch.Length == 1 && char.IsControl(ch[0])))
            {
                sb.Append("\\x").Append(bytes[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                i++;
                continue;
            }
            sb.Append(ch);
            i += len;
        }
        if (i < bytes.Length) sb.Append('…');
        return sb.ToString();
    }
}
