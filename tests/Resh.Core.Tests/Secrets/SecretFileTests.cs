using Resh.Core.Secrets;
using Xunit;

namespace Resh.Core.Tests.Secrets;

public sealed class SecretFileTests
{
    [Fact]
    public void A_secret_file_is_private_while_it_lives_and_gone_afterwards()
    {
        var value = "canary-" + Guid.NewGuid().ToString("N");
        string path, dir;
        using (var file = SecretFile.Create(SecretValue.FromText(value)))
        {
            path = file.Path;
            dir = Path.GetDirectoryName(path)!;
            Assert.Equal(value, File.ReadAllText(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        }
        Assert.False(File.Exists(path));
        Assert.False(Directory.Exists(dir));
    }
}
