using Resh.Core.Model;

namespace Resh.Handles.Template;

/// <summary>template:// — Jinja2 templates rendered by resh's own engine (no template library: start-up is paid by every call).</summary>
public static class TemplateHandle
{
    public static HandleInfo Create() => new("template",
        "Jinja2 templates (the .j2 files of Ansible, Salt and pyinfra): render into a file atomically with a truthful `changed` and a --dry-run diff, validate, list their variables, test them against cases.",
        "A template file: template:///absolute/path.j2 or template://relative/path.j2; includes, extends and imports resolve below its directory (root= widens it). Or none, with the text given as inline= (template://.render(inline=...)).",
        [
            TemplateRender.Verb,
            TemplateValidate.Verb,
            TemplateVars.Verb,
            TemplateTest.Verb,
        ])
    {
        Notes = "The engine is resh's own, in Jinja2 syntax: a template library would cost every resh call start-up time under Native AOT (Fluid measured +24.7% instructions and +5.7 MB), so the subset operators use is built in, with no reflection. "
            + "Statements: if/elif/else, for (with else, `for k, v in d.items()`, `if` filters, loop.index/index0/revindex/first/last/length/depth/cycle, break, continue, and `recursive` with loop(children)), set (also block set and namespace attributes), with, filter blocks ({% filter upper | indent(2) %}), "
            + "include (relative to the including file, then the root; `ignore missing`), extends + block + super() at any depth, macro (defaults, caller via call blocks), import ... as, from ... import, raw, comments. "
            + "Whitespace: {%- -%} {{- -}} {#- -#}, trim_blocks on and lstrip_blocks off as in Ansible's template module, and the template's final newline kept; CRLF and CR in a template become LF (Jinja2's newline_sequence), a BOM stays. "
            + "Expressions: literals (true/True, none/None, lists, dicts), attributes and indexes, slices, + - * / // % ** ~, comparisons, and/or/not, in, `is` tests, inline if, filters with arguments, the methods items/keys/values/get/split/strip/startswith/... "
            + "Filters: default (d), mandatory, upper, lower, capitalize, title, trim, replace, length, count, first, last, join, split, sort, unique, reverse, list, int, float, string, bool, abs, round, "
            + "to_json (json), to_nice_json, to_yaml (yaml), to_nice_yaml, to_toml (toml), b64encode, b64decode, sha256, sha1, md5, hash, indent, regex_replace, regex_search, regex_findall, regex_escape, quote (POSIX shell), "
            + "dict2items, items2dict, items, keys, values, min, max, sum, map, select, reject, selectattr, rejectattr, combine, dictsort, center, ternary, basename, dirname, flatten, format (Python's % formatting, as is `\"%05.1f\" % x`; str.format() takes {} fields and format specs). round rounds half to even like Python. Functions: range, dict, namespace, secret(\"name\"). "
            + "Undefined variables are errors by default (strict=true, like Ansible): `usage` naming the variable with file:line:column; as with Ansible's chainable undefined, `x.y | default(1)` and `x.y is defined` with x undefined are 1 and false, not errors. None prints as an empty string (Ansible's finalize). "
            + "Values follow Python: (1, 2) and items() pairs are tuples and print as (1, 2); only a tuple is the argument tuple of %, so `\"%s\" % [1, 2]` prints [1, 2] and `\"%s\" % true` prints True; the string filters convert with str() first (none | upper is NONE) and use full case mappings (ß | upper is SS). Integers are 64-bit: beyond that they become floats, unlike Python's unbounded ints. "
            + "secret(\"NAME\") reads secret://'s store; its value never reaches the envelope, a diff, a warning or an error. "
            + "vars=@FILE in YAML is read as YAML 1.1 like Ansible (PyYAML): plain yes/no/on/off are booleans, 0644 is octal (420), 1_000 is 1000, ~ is none; quoted scalars stay strings; a `<<` merge puts the merged keys first; a timestamp with a time stays text written as Python prints the datetime (2001-12-14 21:59:43.100000-05:00); .inf and .nan stay the text inf and nan (JSON has no such numbers), unlike PyYAML's floats. "
            + "Bounds: include/extends/import nesting 32 (cycles are errors), output and every built string max_size (64 MiB, checked before a value is printed and while to_json builds), 10,000,000 loop iterations and items in a value (nested lists and dicts count), macro and recursive-loop depth 1000, regular expressions 1 s per match (`timeout`). "
            + "Template files must be regular UTF-8 files below the root: a name leaving the root by .., an absolute path or a symlink is `permission_denied`; each file is opened non-blocking without following a last symlink and checked with fstat, so a FIFO or a device is refused (`usage`) instead of hanging the render.",
    };
}
