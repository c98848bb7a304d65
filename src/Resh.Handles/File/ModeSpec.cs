using Resh.Core.Errors;

namespace Resh.Handles.Files;

/// <summary>
/// A permission change as chmod(1) spells it: octal (<c>0644</c>, <c>644</c>, <c>4755</c>) or symbolic
/// (<c>u+x,g-w,o=r</c>, <c>a+X</c>, <c>u=rwx,go=rx</c>, <c>g=u</c>). Symbolic clauses without a who apply
/// to all, minus the umask, exactly as chmod does.
/// </summary>
internal sealed class ModeSpec
{
    readonly uint? _absolute;
    readonly IReadOnlyList<Clause> _clauses;

    ModeSpec(uint? absolute, IReadOnlyList<Clause> clauses, string text)
    {
        _absolute = absolute;
        _clauses = clauses;
        Text = text;
    }

    public string Text { get; }
    public bool IsAbsolute => _absolute is not null;

    sealed record Clause(uint Who, bool WhoGiven, IReadOnlyList<(char Op, uint Perms, char CopyFrom)> Actions);

    const uint UserBits = 0x9C0 /* 04700 */, GroupBits = 0x438 /* 02070 */, OtherBits = 0x207 /* 01007 */;

    public static ModeSpec Parse(string text, string argName = "mode")
    {
        var s = text.Trim();
        if (s.Length == 0) throw Bad(text, argName);
        if (s.All(c => c is >= '0' and <= '7'))
        {
            // Leading zeros are free (04755, 00644, as chmod and Ansible take them: s37 user #16); the value is at most 07777.
            var digits = s.TrimStart('0');
            if (digits.Length > 4) throw Bad(text, argName);
            return new ModeSpec(digits.Length == 0 ? 0 : Convert.ToUInt32(digits, 8), [], s);
        }
        var clauses = new List<Clause>();
        foreach (var part in s.Split(','))
        {
            int i = 0;
            uint who = 0;
            bool whoGiven = false;
            while (i < part.Length && part[i] is 'u' or 'g' or 'o' or 'a')
            {
                who |= part[i] switch { 'u' => UserBits, 'g' => GroupBits, 'o' => OtherBits, _ => UserBits | GroupBits | OtherBits };
                whoGiven = true;
                i++;
            }
            if (!whoGiven) who = UserBits | GroupBits | OtherBits;
            var actions = new List<(char, uint, char)>();
            if (i >= part.Length) throw Bad(text, argName);
            while (i < part.Length)
            {
                var op = part[i];
                if (op is not ('+' or '-' or '=')) throw Bad(text, argName);
                i++;
                uint perms = 0;
                char copy = '\0';
                if (i < part.Length && part[i] is 'u' or 'g' or 'o')
                {
                    copy = part[i];
                    i++;
                }
                else
                {
                    while (i < part.Length && part[i] is 'r' or 'w' or 'x' or 'X' or 's' or 't')
                    {
                        perms |= part[i] switch
                        {
                            'r' => 0x124u, // 0444
                            'w' => 0x92u,  // 0222
                            'x' => 0x49u,  // 0111
                            'X' => 0x10000u, // marker: x if directory or already executable
                            's' => 0xC00u, // 06000
                            _ => 0x200u,   // 01000 sticky
                        };
                        i++;
                    }
                }
                actions.Add((op, perms, copy));
            }
            clauses.Add(new Clause(who, whoGiven, actions));
        }
        return new ModeSpec(null, clauses, s);
    }

    static ReshException Bad(string text, string argName) => ReshError.Usage(
        $"`{text}` is not a valid {argName}.",
        "Use octal (0644, 755, 04755; at most 07777) or symbolic clauses (u+x, g-w, o=r, a+X, u=rwx,go=rx).").ToException();

    /// <summary>The new permission bits (07777) for a path whose current bits are <paramref name="current"/>.</summary>
    public uint Apply(uint current, bool isDirectory, uint umask)
    {
        // Octal is exact, as os.chmod in Ansible: no directory set-id special cases.
        if (_absolute is { } abs) return abs;
        uint mode = current & 0xFFF;
        foreach (var clause in _clauses)
        {
            uint mask = clause.WhoGiven ? clause.Who : clause.Who & ~umask;
            foreach (var (op, rawPerms, copy) in clause.Actions)
            {
                uint perms;
                if (copy != '\0')
                {
                    var src = copy switch { 'u' => (mode >> 6) & 7, 'g' => (mode >> 3) & 7, _ => mode & 7 };
                    perms = src * 0x49u; // replicate rwx to every class; the mask keeps the right ones
                }
                else
                {
                    perms = rawPerms & 0xFFF;
                    if ((rawPerms & 0x10000) != 0 && (isDirectory || (mode & 0x49) != 0)) perms |= 0x49;
                }
                // setuid only for u, setgid only for g, sticky only for o/a.
                uint special = (clause.Who & 0x800 & perms) | (clause.Who & 0x400 & perms) | (clause.Who & 0x200 & perms);
                uint bits = (perms & 0x1FF & mask) | special;
                switch (op)
                {
                    case '+': mode |= bits; break;
                    case '-': mode &= ~bits; break;
                    default:
                        // '=' clears the who-bits (keeping a directory's set-id bits, as chmod does) then sets.
                        uint clear = clause.Who & 0x1FF;
                        if (!isDirectory) clear |= clause.Who & 0xE00;
                        else clear |= clause.Who & 0x200;
                        mode = (mode & ~clear) | bits;
                        break;
                }
            }
        }
        return mode & 0xFFF;
    }
}
