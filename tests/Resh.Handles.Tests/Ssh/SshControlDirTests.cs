using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

/// <summary>
/// Issue 9: when resh's state directory is too deep for a unix socket path, ssh control sockets go to
/// /tmp/resh-ssh-UID. Anyone can create that name first; resh must refuse a directory it does not own.
/// The test runs resh as nobody (65534) so it never touches the name root's own ssh tests use.
/// </summary>
public sealed class SshControlDirTests
{
    [Fact]
    public void A_fallback_control_directory_owned_by_another_user_is_refused_with_a_hint()
    {
        const string planted = "/tmp/resh-ssh-65534";
        Assert.False(Directory.Exists(planted), $"{planted} exists already; remove it before running this test");
        using var home = new TempDir("sshctl");
        // A state directory deep enough that dir + 40-hex %C + 17 characters passes 107 bytes.
        var state = Path.Combine(home.Path, new string('d', 70));
        Directory.CreateDirectory(state);
        Sh.Ok("chown", "-R", "65534:65534", home.Path);
        Directory.CreateDirectory(planted);
        try
        {
            File.SetUnixFileMode(planted, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // 0700, owned by root
            var run = Shell.Run($"cd /tmp && setpriv --reuid=65534 --regid=65534 --clear-groups -- env RESH_HOME={Shell.Q(state)} HOME={Shell.Q(home.Path)} \"$RESH\" ssh://127.0.0.1:1.test");
            Assert.Contains("\"code\":\"permission_denied\"", run.Stdout);
            Assert.Contains("belongs to another user", run.Stdout);
            Assert.Contains("RESH_HOME", run.Stdout);
        }
        finally
        {
            Directory.Delete(planted, recursive: true);
        }
    }
}
