using Resh.Core.Errors;
using SzlZip = ICSharpCode.SharpZipLib.Zip;

namespace Resh.Handles.Archive.Formats;

/// <summary>Zip with ZipCrypto or AES entries, through SharpZipLib (the BCL cannot decrypt).</summary>
public sealed class EncryptedZipReader : ArchiveReader
{
    readonly SzlZip.ZipFile _zip;
    readonly List<SzlZip.ZipEntry> _entries;
    readonly Action<long>? _progress;
    int _index = -1;
    long _consumed;

    public EncryptedZipReader(string path, string? password, Action<long>? progress)
    {
        _progress = progress;
        _zip = new SzlZip.ZipFile(path);
        if (password is null)
        {
            _zip.Close();
            throw ReshError.Usage($"{path} is encrypted and no password was given.", "Pass password=... (or password=@file to read it from a file).").ToException();
        }
        _zip.Password = password;
        _entries = [];
        long total = 0;
        foreach (SzlZip.ZipEntry e in _zip)
        {
            _entries.Add(e);
            total += e.Size;
        }
        DeclaredTotalSize = total;
        DeclaredEntryCount = _entries.Count;
    }

    /// <summary>True when any entry of the zip is encrypted (reads only the central directory).</summary>
    public static bool IsEncrypted(string path)
    {
        try
        {
            using var zip = new SzlZip.ZipFile(path);
            foreach (SzlZip.ZipEntry e in zip) if (e.IsCrypted) return true;
            return false;
        }
        catch (SzlZip.ZipException) { return false; } // let the BCL reader report what is wrong
    }

    public override ArchiveFormat Format { get; } = new(Container.Zip, Codec.None);
    public override long ConsumedBytes => _consumed;
    public override long? DeclaredTotalSize { get; }
    public override int? DeclaredEntryCount { get; }

    SzlZip.ZipEntry Current => _entries[_index];

    public override ArchiveItem? Next()
    {
        if (_index >= 0)
        {
            _consumed += Current.CompressedSize;
            _progress?.Invoke(Current.CompressedSize);
        }
        if (++_index >= _entries.Count) return null;
        var e = Current;
        var external = e.HostSystem == 3 ? (uint)e.ExternalFileAttributes : 0;
        return ZipFormatReader.Describe(e.Name, external, e.Size, e.CompressedSize, new DateTimeOffset(e.DateTime), e.IsCrypted,
            () => { using var s = OpenData(); return ZipFormatReader.ReadLinkTarget(s); });
    }

    public override Stream OpenData()
    {
        try { return _zip.GetInputStream(Current); }
        catch (SzlZip.ZipException ex) { throw WrongPassword(ex); }
    }

    internal static ReshException WrongPassword(Exception ex) =>
        ReshError.PermissionDenied("The password does not decrypt the archive.", "Check the password.",
            new System.Text.Json.Nodes.JsonObject { ["reason"] = ExceptionTranslation.OneLine(ex.Message) }).ToException();

    public override void Dispose() => _zip.Close();
}
