using Resh.Core.Model;

namespace Resh.Handles.Log;

/// <summary>log:// — read, search, parse and count log files, stdin and the systemd journal.</summary>
public static class LogHandle
{
    public static HandleInfo Create() => new("log",
        "Logs: read the last lines, search (regex, level, time range, fields) in bounded memory, parse syslog/JSON/logfmt/access logs into records, count per time bucket, follow across rotation, write, rotate.",
        "A log file (log:///var/log/syslog; a glob in the last part: log:///var/log/nginx/*.log), the journal (log://journal, log://journal/UNIT), stdin (log://-), or for write the syslog socket (log://syslog). A file named journal or syslog: log://./journal.",
        [
            LogRead.Verb,
            LogSearch.Verb,
            LogParse.Verb,
            LogStats.Verb,
            LogFollow.Verb,
            LogWrite.Verb,
            LogRotate.Verb,
        ])
    {
        Notes = "Log lines are data others control: lines longer than max_line are cut (and counted), invalid UTF-8 becomes U+FFFD, terminal control characters are escaped in table output, "
            + "and a compressed rotated copy is read only up to max_unzipped decompressed bytes. A symlinked log path is followed for reading; the result names the files read. "
            + "The journal is read through `journalctl -o json`.",
    };
}
