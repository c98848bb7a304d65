using Resh.Core.Model;

namespace Resh.Handles.Config;

/// <summary>config:// — structured configuration files, edited in place.</summary>
public static class ConfigHandle
{
    public static HandleInfo Create() => new("config",
        "Structured configuration files (JSON, YAML, TOML, INI, .env, Java properties, sysctl.conf): get, set, delete, merge, keys, validate, convert, diff — edits keep comments, order, quoting and indentation. Key-value stores (etcd, an embedded store): get, set, delete, list, watch, compare-and-set by revision.",
        "A file: config:///absolute/path or config://~/path (the format is detected from the name, then the content; syntax= overrides). A key-value store: config://NAME/KEY, NAME a [config.NAME] table (backend = \"etcd\" with url, or backend = \"embedded\"), `local` (the embedded default store) or an etcd host:port.",
        [
            ConfigGet.Verb,
            ConfigSet.Verb,
            ConfigDelete.Verb,
            ConfigMerge.Verb,
            ConfigKeys.Verb,
            ConfigValidate.Verb,
            ConfigConvert.Verb,
            ConfigDiff.Verb,
            ConfigList.Verb,
            ConfigWatch.Verb,
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
            + "Key-value stores (config://NAME/KEY): a target that does not start with / or ~ is a store and its key; NAME is a [config.NAME] table (backend = \"etcd\" with url = \"http://HOST:2379\" or https:// with ca=, user, password as a secret reference, timeout; or backend = \"embedded\"), "
            + "`local` without a table (the embedded default: a file in the state directory, 0600, written atomically under a flock, so concurrent resh processes are safe), or an etcd host:port. "
            + "Values are stored as text: value=TEXT as it is, value:=JSON as compact JSON; get returns typed JSON when the text parses as JSON, else the string (so value=8080 reads back as the number 8080). "
            + "Each write reports the store revision it made; set/delete revision=N write only if the key was last changed at N (revision=0: only if absent), else `conflict` naming the current revision, and nothing is written. "
            + "Values are at most 1 MiB; keys hold no control characters and no `.`/`..` segments. "
            + "Errors: missing file `not_found`, a file that does not parse `usage` (with its line), a key below a scalar `conflict`, an unreadable file `permission_denied`.",
    };
}
