namespace Resh.Core.Output;

/// <summary>ANSI styling that turns itself off for --no-color, NO_COLOR or a non-terminal.</summary>
public sealed class Ansi(bool enabled)
{
    public bool Enabled { get; } = enabled;
    public string Bold(string s) => Wrap("1", s);
    public string Dim(string s) => Wrap("2", s);
    public string Red(string s) => Wrap("31", s);
    public string Green(string s) => Wrap("32", s);
    public string Yellow(string s) => Wrap("33", s);
    public string Cyan(string s) => Wrap("36", s);
    string Wrap(string code, string s) => Enabled && s.Length > 0 ? $"\x1b[{code}m{s}\x1b[0m" : s;
}
