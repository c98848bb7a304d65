using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Resh.Handles.Sys;

/// <summary>One record of a utmp file.</summary>
public sealed record UtmpRecord(int Type, int Pid, string Line, string Id, string User, string Host, DateTimeOffset Time, IPAddress? Address)
{
    public const int UserProcess = 7, DeadProcess = 8, BootTime = 2;
}

/// <summary>
/// The binary utmp(5) file of glibc on x86_64 and other 64-bit ABIs that keep 32-bit times in it:
/// 384-byte records of ut_type (short) @0, ut_pid @4, ut_line[32] @8, ut_id[4] @40, ut_user[32] @44,
/// ut_host[256] @76, ut_exit @332, ut_session @336, ut_tv (int32 sec, int32 usec) @340, ut_addr_v6[4] @348.
/// </summary>
public static class Utmp
{
    public const int RecordSize = 384;
    public static readonly string[] DefaultPaths = ["/run/utmp", "/var/run/utmp"];

    public static List<UtmpRecord> Parse(ReadOnlySpan<byte> data)
    {
        var records = new List<UtmpRecord>(data.Length / RecordSize);
        for (int offset = 0; offset + RecordSize <= data.Length; offset += RecordSize)
        {
            var r = data.Slice(offset, RecordSize);
            var seconds = BinaryPrimitives.ReadInt32LittleEndian(r[340..]);
            var micros = BinaryPrimitives.ReadInt32LittleEndian(r[344..]);
            records.Add(new UtmpRecord(
                BinaryPrimitives.ReadInt16LittleEndian(r),
                BinaryPrimitives.ReadInt32LittleEndian(r[4..]),
                CString(r.Slice(8, 32)),
                CString(r.Slice(40, 4)),
                CString(r.Slice(44, 32)),
                CString(r.Slice(76, 256)),
                DateTimeOffset.FromUnixTimeSeconds((uint)seconds).AddTicks(Math.Clamp(micros, 0, 999_999) * 10L),
                Address(r.Slice(348, 16))));
        }
        return records;
    }

    static string CString(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    // An IPv4 peer fills only the first word; all zeros means no address was recorded.
    static IPAddress? Address(ReadOnlySpan<byte> v6)
    {
        if (!v6.ContainsAnyExcept((byte)0)) return null;
        return !v6[4..].ContainsAnyExcept((byte)0) ? new IPAddress(v6[..4]) : new IPAddress(v6);
    }
}
