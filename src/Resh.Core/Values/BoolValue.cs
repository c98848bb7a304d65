namespace Resh.Core.Values;

public static class BoolValue
{
    public static bool TryParse(string text, out bool value)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "true" or "yes" or "y" or "1" or "on": value = true; return true;
            case "false" or "no" or "n" or "0" or "off": value = false; return true;
            default: value = false; return false;
        }
    }
}
