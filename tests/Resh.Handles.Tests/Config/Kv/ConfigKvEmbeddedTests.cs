using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Config.Kv;

/// <summary>The key-value behaviours on the embedded store: config://local (the default) and a [config.NAME] table with backend = "embedded".</summary>
public sealed class ConfigKvEmbeddedTests() : KvStoreBehaviour("[config.app]\nbackend = \"embedded\"\n")
{
    protected override string Store => "local";
    protected override string Backend => "embedded";

    string StoreFile(string name) => Path.Combine(Dir["home"], "config-kv", name + ".json");

    protected override string? RawValue(string key)
    {
        var path = StoreFile(Store);
        if (!File.Exists(path)) return null;
        var keys = JsonNode.Parse(File.ReadAllText(path))!["keys"]!;
        return keys[key]?["value"]?.GetValue<string>();
    }

    [Fact]
    public void The_store_is_a_0600_file_in_the_state_directory_and_a_named_table_is_its_own_store()
    {
        Ok(Resh($"{T("mode")}.set", "value=x"));
        var path = StoreFile(Store);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Ok(Resh($"config://app/{P}/k.set", "value=in app"));
        Assert.False(Ok(Resh($"config://local/{P}/k.get"))["exists"]!.GetValue<bool>());
        Assert.Equal("in app", Ok(Resh($"config://app/{P}/k.get"))["value"]!.GetValue<string>());
        Assert.Equal("embedded", Ok(Resh($"config://app/{P}/k.get"))["format"]!.GetValue<string>());
    }
}
