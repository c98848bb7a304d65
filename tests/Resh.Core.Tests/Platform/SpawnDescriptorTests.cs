using System.Runtime.InteropServices;
using System.Text;
using Resh.Core.Platform;
using Xunit;

namespace Resh.Core.Tests.Platform;

/// <summary>
/// A tool resh runs for its own work gets no descriptor resh inherited from its caller (s39 attacker, low: a
/// descriptor opened without close-on-exec by whoever started resh reached systemctl, nft, useradd ...). A program
/// run in the foreground on the user's behalf (lock.run, secret.exec) keeps them, as under flock(1).
/// </summary>
public sealed class SpawnDescriptorTests
{
    [DllImport("libc", SetLastError = true)] static extern int fcntl(int fd, int cmd, int arg);

    /// <summary>A copy of stderr at 300 or above without close-on-exec (F_DUPFD): high, so no descriptor the child opens itself lands there.</summary>
    static int Leak() => fcntl(2, 0, 300);
    [DllImport("libc")] static extern int close(int fd);

    /// <summary>The descriptor numbers the child sees open (its /proc/self/fd, read by ls).</summary>
    static HashSet<int> ChildFds(bool closeInherited)
    {
        using var child = SpawnedChild.Start(["/bin/ls", "/proc/self/fd"], null, null, SpawnStdin.Pipe, closeInherited);
        var output = new StringBuilder();
        child.Pump([], chunk => { output.Append(Encoding.UTF8.GetString(chunk)); return true; }, _ => true, null, CancellationToken.None);
        Assert.Equal(0, child.WaitForExit());
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();
    }

    [Fact]
    public void An_inherited_descriptor_reaches_a_foreground_program_but_not_a_tool()
    {
        var leaked = Leak(); // like a descriptor resh's caller passed down
        Assert.True(leaked > 2, $"dup failed: {Marshal.GetLastPInvokeError()}");
        try
        {
            Assert.Contains(leaked, ChildFds(closeInherited: false));
            var tool = ChildFds(closeInherited: true);
            Assert.DoesNotContain(leaked, tool);
            Assert.Contains(0, tool);
            Assert.Contains(1, tool);
            Assert.Contains(2, tool);
        }
        finally { close(leaked); }
    }

    [Fact]
    public async Task ProcessRunner_closes_inherited_descriptors()
    {
        var leaked = Leak();
        Assert.True(leaked > 2);
        try
        {
            var r = await ProcessRunner.RunAsync(["/bin/ls", "/proc/self/fd"], null, CancellationToken.None);
            Assert.Equal(0, r.ExitCode);
            var fds = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();
            Assert.DoesNotContain(leaked, fds);
        }
        finally { close(leaked); }
    }
}
