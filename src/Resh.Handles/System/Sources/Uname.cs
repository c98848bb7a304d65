using System.Runtime.InteropServices;
using System.Text;

namespace Resh.Handles.Sys;

/// <summary>uname(2): kernel name, node name, release, version and machine in one system call.</summary>
public readonly record struct UnameInfo(string SysName, string NodeName, string Release, string Version, string Machine, string? DomainName);

public static partial class Uname
{
    // struct utsname on Linux: six char[65] fields (sysname, nodename, release, version, machine, domainname).
    const int FieldLength = 65, Fields = 6;

    [LibraryImport("libc", EntryPoint = "uname", SetLastError = true)]
    private static unsafe partial int UnameNative(byte* buffer);

    public static unsafe UnameInfo? Read()
    {
        byte* buffer = stackalloc byte[FieldLength * Fields];
        if (UnameNative(buffer) != 0) return null;
        var domain = Field(buffer, 5);
        return new UnameInfo(Field(buffer, 0), Field(buffer, 1), Field(buffer, 2), Field(buffer, 3), Field(buffer, 4),
            domain is "" or "(none)" ? null : domain);
    }

    static unsafe string Field(byte* buffer, int index)
    {
        var field = new ReadOnlySpan<byte>(buffer + index * FieldLength, FieldLength);
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }
}
