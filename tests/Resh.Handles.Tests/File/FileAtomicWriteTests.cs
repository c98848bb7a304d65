using System.Diagnostics;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

/// <summary>SPEC §8: a writer killed at any moment leaves the old or the new content, never a mix.</summary>
public sealed class FileAtomicWriteTests
{
    const int Size = 64 << 20;

    [Fact]
    public void A_writer_killed_at_random_points_leaves_exactly_the_old_or_the_new_content()
    {
        using var dir = new TempDir("atomic");
        var path = dir["data.bin"];
        var oldContent = Fill(Size, 1);
        var newContent = Fill(Size, 2);
        File.WriteAllBytes(path, oldContent);

        // Killed while still receiving its input: nothing may change.
        var half = Start(path);
        half.StandardInput.BaseStream.Write(newContent, 0, Size / 2);
        half.StandardInput.BaseStream.Flush();
        Kill(half);
        Assert.True(File.ReadAllBytes(path).AsSpan().SequenceEqual(oldContent), "a writer killed mid-input changed the file");

        // Killed at random moments after its input is complete: old or new, never a mix.
        var random = new Random(20261126);
        int sawOld = 0, sawNew = 0;
        for (int i = 0; i < 6; i++)
        {
            var p = Start(path);
            p.StandardInput.BaseStream.Write(newContent);
            p.StandardInput.Close();
            Thread.Sleep(random.Next(0, 400));
            Kill(p);
            var now = File.ReadAllBytes(path);
            if (now.AsSpan().SequenceEqual(oldContent)) sawOld++;
            else if (now.AsSpan().SequenceEqual(newContent))
            {
                sawNew++;
                File.WriteAllBytes(path, oldContent);
            }
            else Assert.Fail($"kill #{i} left content that is neither the old nor the new ({now.Length} bytes)");
        }
        Assert.Equal(6, sawOld + sawNew);

        // Anything left behind is a hidden temporary sibling, never a visible half-written file.
        foreach (var f in Directory.GetFiles(dir.Path).Where(f => f != path))
            Assert.Matches(@"/\.data\.bin\.resh-\d+-[0-9a-f]{12}\.tmp$", f);

        // And an uninterrupted run leaves exactly the new content.
        var ok = Resh.WithStdin(newContent, $"file://{path}.write", "content=@-");
        Resh.Ok(ok, changed: true);
        Assert.True(File.ReadAllBytes(path).AsSpan().SequenceEqual(newContent));
    }

    static byte[] Fill(int size, int seed)
    {
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        return b;
    }

    static Process Start(string path)
    {
        var psi = new ProcessStartInfo(ReshBinary.Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add($"file://{path}.write");
        psi.ArgumentList.Add("content=@-");
        var p = Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        return p;
    }

    static void Kill(Process p)
    {
        try { p.Kill(); } catch (InvalidOperationException) { } // already finished
        Assert.True(p.WaitForExit(30_000), "resh did not die after SIGKILL");
        p.Dispose();
    }
}
