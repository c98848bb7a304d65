using System.Buffers.Binary;
using System.Text;

namespace Resh.Handles.Svc.Systemd;

/// <summary>Marshals D-Bus values (little-endian) with the alignment rules of the D-Bus specification.</summary>
internal sealed class DBusWriter
{
    readonly List<byte> _buf = [];

    public int Length => _buf.Count;
    public byte[] ToArray() => _buf.ToArray();

    public void Align(int n) { while (_buf.Count % n != 0) _buf.Add(0); }
    public void Byte(byte b) => _buf.Add(b);

    public void U32(uint v)
    {
        Align(4);
        Span<byte> s = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(s, v);
        _buf.AddRange(s.ToArray());
    }

    public void PatchU32(int at, uint v)
    {
        Span<byte> s = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(s, v);
        for (int i = 0; i < 4; i++) _buf[at + i] = s[i];
    }

    public void String(string v)
    {
        var bytes = Encoding.UTF8.GetBytes(v);
        U32((uint)bytes.Length);
        _buf.AddRange(bytes);
        _buf.Add(0);
    }

    public void Signature(string v)
    {
        var bytes = Encoding.ASCII.GetBytes(v);
        _buf.Add((byte)bytes.Length);
        _buf.AddRange(bytes);
        _buf.Add(0);
    }

    public void StringArray(IReadOnlyList<string> items)
    {
        U32(0);
        int lenAt = _buf.Count - 4;
        Align(4);
        int start = _buf.Count;
        foreach (var s in items) String(s);
        PatchU32(lenAt, (uint)(_buf.Count - start));
    }
}

/// <summary>Reads D-Bus values by signature; structs become object?[], arrays List&lt;object?&gt;, dicts Dictionary, variants their inner value.</summary>
internal sealed class DBusReader(byte[] data, int offset, int end)
{
    int _pos = offset;
    readonly int _base = offset; // alignment is relative to the start of the message

    void Align(int n)
    {
        var rel = _pos - _base;
        var pad = (n - rel % n) % n;
        _pos += pad;
    }

    void Need(int n)
    {
        if (_pos + n > end) throw new InvalidDataException("D-Bus message is truncated.");
    }

    public byte ReadByte() { Need(1); return data[_pos++]; }
    public uint ReadU32() { Align(4); Need(4); var v = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(_pos)); _pos += 4; return v; }

    public string ReadString()
    {
        var len = (int)ReadU32();
        Need(len + 1);
        var s = Encoding.UTF8.GetString(data, _pos, len);
        _pos += len + 1;
        return s;
    }

    public string ReadSignature()
    {
        var len = ReadByte();
        Need(len + 1);
        var s = Encoding.ASCII.GetString(data, _pos, len);
        _pos += len + 1;
        return s;
    }

    public int Position => _pos;

    /// <summary>Reads every complete type of a signature, in order.</summary>
    public List<object?> ReadAll(string signature)
    {
        var values = new List<object?>();
        int i = 0;
        while (i < signature.Length) values.Add(Read(signature, ref i));
        return values;
    }

    object? Read(string sig, ref int i)
    {
        var c = sig[i++];
        switch (c)
        {
            case 'y': return ReadByte();
            case 'b': return ReadU32() != 0;
            case 'n': Align(2); Need(2); { var v = BinaryPrimitives.ReadInt16LittleEndian(data.AsSpan(_pos)); _pos += 2; return v; }
            case 'q': Align(2); Need(2); { var v = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(_pos)); _pos += 2; return v; }
            case 'i': return (int)ReadU32();
            case 'u': return ReadU32();
            case 'h': return ReadU32();
            case 'x': Align(8); Need(8); { var v = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(_pos)); _pos += 8; return v; }
            case 't': Align(8); Need(8); { var v = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(_pos)); _pos += 8; return v; }
            case 'd': Align(8); Need(8); { var v = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(_pos))); _pos += 8; return v; }
            case 's': case 'o': return ReadString();
            case 'g': return ReadSignature();
            case 'v':
            {
                var inner = ReadSignature();
                int j = 0;
                return Read(inner, ref j);
            }
            case '(':
            {
                Align(8);
                var fields = new List<object?>();
                while (sig[i] != ')') fields.Add(Read(sig, ref i));
                i++;
                return fields.ToArray();
            }
            case 'a':
            {
                var len = (int)ReadU32();
                var elemStart = i;
                var elemEnd = SkipType(sig, i);
                var elemSig = sig[elemStart..elemEnd];
                i = elemEnd;
                Align(elemSig[0] is '(' or '{' or 'x' or 't' or 'd' ? 8 : elemSig[0] is 'n' or 'q' ? 2 : elemSig[0] is 'y' or 'g' or 'v' ? 1 : 4);
                int stop = _pos + len;
                Need(len);
                if (elemSig[0] == '{')
                {
                    var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                    var inner = elemSig[1..^1];
                    while (_pos < stop)
                    {
                        Align(8);
                        int k = 0;
                        var key = Read(inner, ref k);
                        var value = Read(inner, ref k);
                        dict[Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture) ?? ""] = value;
                    }
                    return dict;
                }
                if (elemSig == "y")
                {
                    var bytes = data.AsSpan(_pos, len).ToArray();
                    _pos = stop;
                    return bytes;
                }
                var list = new List<object?>();
                while (_pos < stop)
                {
                    int k = 0;
                    list.Add(Read(elemSig, ref k));
                }
                return list;
            }
            default:
                throw new InvalidDataException($"Unsupported D-Bus type `{c}`.");
        }
    }

    /// <summary>The index just past one complete type starting at <paramref name="i"/>.</summary>
    static int SkipType(string sig, int i)
    {
        var c = sig[i];
        if (c == 'a') return SkipType(sig, i + 1);
        if (c is '(' or '{')
        {
            var close = c == '(' ? ')' : '}';
            int depth = 0;
            for (int k = i; k < sig.Length; k++)
            {
                if (sig[k] is '(' or '{') depth++;
                else if (sig[k] is ')' or '}') { depth--; if (depth == 0 && sig[k] == close) return k + 1; }
            }
            throw new InvalidDataException("Unbalanced D-Bus signature.");
        }
        return i + 1;
    }
}
