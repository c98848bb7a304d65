using System.Text;

namespace Resh.Generators;

static class JsonNaming
{
    /// <summary>System.Text.Json's <c>JsonNamingPolicy.SnakeCaseLower</c>, character for character.</summary>
    internal static string SnakeCaseLower(string name)
    {
        const char separator = '_';
        var sb = new StringBuilder(name.Length + 8);
        int state = 0; // 0 not started, 1 uppercase, 2 lowercase or digit, 3 space
        for (int i = 0; i < name.Length; i++)
        {
            char current = name[i];
            var category = char.GetUnicodeCategory(current);
            switch (category)
            {
                case System.Globalization.UnicodeCategory.UppercaseLetter:
                    if (state is 2 or 3) sb.Append(separator);
                    else if (state == 1 && i + 1 < name.Length && char.IsLower(name[i + 1])) sb.Append(separator);
                    sb.Append(char.ToLowerInvariant(current));
                    state = 1;
                    break;
                case System.Globalization.UnicodeCategory.LowercaseLetter:
                case System.Globalization.UnicodeCategory.DecimalDigitNumber:
                    if (state == 3) sb.Append(separator);
                    sb.Append(current);
                    state = 2;
                    break;
                case System.Globalization.UnicodeCategory.SpaceSeparator:
                    if (state != 0) state = 3;
                    break;
                default:
                    sb.Append(current);
                    state = 0;
                    break;
            }
        }
        return sb.ToString();
    }
}
