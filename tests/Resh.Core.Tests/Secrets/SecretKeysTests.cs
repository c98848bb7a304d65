using Resh.Core.Cli;
using Resh.Core.Secrets;
using Xunit;

namespace Resh.Core.Tests.Secrets;

/// <summary>
/// Review finding #10: the key rule config:// and the audit trail share missed pwd, bearer and sslkey, masked
/// primary_key, and no rule looked inside values (a DSN's password, a connection string's Password=).
/// </summary>
public sealed class SecretKeysTests
{
    [Theory]
    [InlineData("password"), InlineData("db.password"), InlineData("apiKey"), InlineData("api_key"), InlineData("private-key")]
    [InlineData("pwd"), InlineData("MYSQL_PWD"), InlineData("bearer"), InlineData("bearer_token"), InlineData("sslkey"), InlineData("ssl_key")]
    [InlineData("sslKey"), InlineData("tls-key"), InlineData("ssh_key"), InlineData("privatekey"), InlineData("secretKey"), InlineData("access_key")]
    [InlineData("accesskey"), InlineData("signing_key"), InlineData("signingKey"), InlineData("encryption_key"), InlineData("client_key"), InlineData("clientkey")]
    [InlineData("aws_secret_access_key"), InlineData("auth"), InlineData("pass"), InlineData("passphrase"), InlineData("credentials")]
    public void Secret_keys(string key) => Assert.True(SecretKeys.LooksSecret(key), key);

    [Theory]
    [InlineData("primary_key"), InlineData("sort_key"), InlineData("keyboard"), InlineData("key"), InlineData("keys"), InlineData("foreign_key")]
    [InlineData("partition_key"), InlineData("monkey"), InlineData("public_key"), InlineData("aws_access_key_id"), InlineData("author"), InlineData("host")]
    [InlineData("url"), InlineData("dsn"), InlineData("connection_string"), InlineData("port"), InlineData("key_file"), InlineData("")]
    public void Keys_that_stay_visible(string key) => Assert.False(SecretKeys.LooksSecret(key), key);

    [Theory]
    [InlineData("postgres://u:S4@h/db", "postgres://u:***@h/db")]
    [InlineData("redis://:S5@h:6379", "redis://:***@h:6379")]
    [InlineData("amqp://guest:p%40ss@rabbit:5672/vhost", "amqp://guest:***@rabbit:5672/vhost")]
    [InlineData("Server=h;Password=S6", "Server=h;Password=***")]
    [InlineData("Server=h; User Id=app; pwd = S6x ;Database=d", "Server=h; User Id=app; pwd = *** ;Database=d")]
    [InlineData("Driver={x};PWD={se;cret};UID=u", "Driver={x};PWD={***};UID=u")]
    [InlineData("Host=h;Password=\"a;b\";Port=1", "Host=h;Password=\"***\";Port=1")]
    [InlineData("host=db user=app password=S7 dbname=x", "host=db user=app password=*** dbname=x")]
    [InlineData("a://u:p@h b://v:q@i/x", "a://u:***@h b://v:***@i/x")]
    public void Credentials_inside_values_are_masked_and_nothing_else(string value, string masked) =>
        Assert.Equal(masked, CredentialText.Mask(value));

    [Theory]
    [InlineData("https://example.com/a:b@c"), InlineData("https://user@example.com/"), InlineData("mailto:a@b"), InlineData("just text")]
    [InlineData("Server=h;User=app"), InlineData("-Dfoo=bar"), InlineData("ssh://host:22"), InlineData("primary=key")]
    public void Values_without_credentials_are_the_same_instance(string value) => Assert.Same(value, CredentialText.Mask(value));

    [Theory]
    [InlineData("user:pw@host/x", "user:***@host/x")]
    [InlineData(":pw@127.0.0.1:6379/", ":***@127.0.0.1:6379/")]
    [InlineData("host/a:b@c", "host/a:b@c")]
    [InlineData("u:p w@h", "u:***@h")]
    [InlineData("", "")]
    [InlineData("/", "/")]
    public void Envelope_targets_lose_their_authority_password_as_before(string target, string shown) =>
        Assert.Equal(shown, Invocation.WithoutPassword(target));
}
