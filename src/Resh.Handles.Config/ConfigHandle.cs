using Resh.Core.Model;

namespace Resh.Handles.Config;

/// <summary>config:// — structured configuration files, edited in place.</summary>
public static class ConfigHandle
{
    public static HandleInfo Create() => new("config",
        "Structured configuration files (JSON, YAML, TOML, INI, .env, Java properties, sysctl.conf): get, set, delete, merge, keys, validate, convert, diff — edits keep comments, order, quoting and indentation.",
        "A file: config:///absolute/path or config://~/path (the format is detected from the name, then the content; syntax= overrides). config://NAME/prefix (key-value stores) is not in this build.",
        [
            ConfigGet.Verb,
            ConfigSet.Verb,
            ConfigDelete.Verb,
            ConfigMerge.Verb,
            ConfigKeys.Verb,
            ConfigValidate.Verb,
            ConfigConvert.Verb,
            ConfigDiff.Verb,
        ])
    {
        Notes = "Edits splice the text of the one value they change (YAML through the parser's marks, TOML through Tomlyn's syntax tree, JSON through a span-keeping parser, the line formats by line), "
            + "so a one-key set is a one-line diff; new keys follow their siblings' indentation and quoting. Writes are atomic (temporary file, fsync, rename) and keep the file's mode and owner; "
            + "--dry-run returns the unified diff and writes nothing; setting a value the key already has is `changed: false` and does not touch the file. "
            + "A symlink is followed like sed -i --follow-symlinks: the file it points to is edited and the link stays (a link in a sticky world-writable directory owned by someone else is refused). "
            + "Keys: dotted (server.tls.port, servers[0].name, a\\.b for a key with a dot) or JSON Pointer (/server/tls.port); in .env, properties and sysctl files the whole dotted text is one key. "
            + "INI follows configparser (inline_comment_prefixes), git-config and MySQL: a ; or # after whitespace starts a comment (kept by a set), a quoted value keeps them, a key without = is a flag (value \"\"). "
            + "YAML edits inside a flow collection ({...}, [...]) stay in flow style; a YAML file of several documents (---) is refused (`usage`) rather than half-edited. "
            + "Values of secret-looking keys (the project's rule for secret names: password, passwd, secret, token, credential, api_key, private_key, auth..., and everything below such a key) show as \"***\" in every result and diff; get and convert show them with reveal=true. "
            + "YAML aliases are expanded on read up to 1,000,000 nodes; documents and keys nest at most 200 levels (deeper is `usage`); files over 64 MiB are refused. "
            + "Errors: missing file `not_found`, a file that does not parse `usage` (with its line), a key below a scalar `conflict`, an unreadable file `permission_denied`.",
    };
}
