using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Mail;

/// <summary>A message sent by resh over SMTP is read back by resh over IMAP, and compared with what was sent.</summary>
[Collection("mail")]
public sealed class MailRoundTripTests(MailBackend mail)
{
    static string Unique(string what) => $"{what} {Guid.NewGuid():N}"[..(what.Length + 13)];

    long FindUid(string subject)
    {
        var found = ReshBinary.Run([$"{mail.Imap}/INBOX.search", $"subject={subject}", .. mail.Auth]);
        Assert.True(found.Ok, found.ToString());
        Assert.Equal(1, found.Result!["matched"]!.GetValue<long>());
        return found.Result!["messages"]![0]!["uid"]!.GetValue<long>();
    }

    [Fact]
    public void Sent_message_fetched_over_imap_has_the_same_headers_body_and_attachment_bytes()
    {
        using var tmp = new TempDir("mail");
        var attachment = new byte[70_000];
        new Random(13).NextBytes(attachment);                 // binary, not UTF-8: must survive base64 both ways
        File.WriteAllBytes(tmp["report.bin"], attachment);
        var subject = Unique("Rapport ünï ✓");
        // Line ends are LF in and LF out (MIME carries CRLF on the wire; resh gives text as Linux text).
        var text = "first line\nsecond line with trailing space \n.a line starting with a dot\n.\nFrom the start of a line\nnon-ASCII: ünï ✓\n";
        File.WriteAllText(tmp["body.txt"], text);

        var sent = ReshBinary.Run([$"{mail.Smtp}.send", "to=Ann <ann@example.test>", "cc=bob@example.test", "bcc=hidden@example.test",
            "from=ops@example.test", $"subject={subject}", $"text=@{tmp["body.txt"]}", "html=<p>hello <b>world</b></p>",
            $"attach={tmp["report.bin"]}", "header=X-Ticket: 42", "header=Reply-To: desk@example.test", .. mail.Auth]);
        Assert.True(sent.Ok, sent.ToString());
        Assert.True(sent.Changed);
        var r = sent.Result!;
        Assert.True(r["tls"]!.GetValue<bool>());
        Assert.True(r["authenticated"]!.GetValue<bool>());
        Assert.Equal(["hidden@example.test"], r["bcc"]!.AsArray().Select(n => n!.GetValue<string>()));
        var messageId = r["message_id"]!.GetValue<string>();

        var uid = FindUid(subject);
        var dir = tmp["att"];
        var fetched = ReshBinary.Run([$"{mail.Imap}/INBOX.fetch", $"uid={uid}", $"dir={dir}", .. mail.Auth]);
        Assert.True(fetched.Ok, fetched.ToString());
        var f = fetched.Result!;
        Assert.Equal(subject, f["subject"]!.GetValue<string>());
        Assert.Equal(messageId, f["message_id"]!.GetValue<string>());
        Assert.Equal("ops@example.test", f["from"]!.GetValue<string>());
        Assert.Equal(["\"Ann\" <ann@example.test>"], f["to"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["bob@example.test"], f["cc"]!.AsArray().Select(n => n!.GetValue<string>()));
        var headers = f["headers"]!.AsArray().Select(h => (h!["name"]!.GetValue<string>(), h["value"]!.GetValue<string>())).ToList();
        Assert.Contains(("X-Ticket", "42"), headers);
        Assert.Contains(("Reply-To", "desk@example.test"), headers);
        Assert.DoesNotContain(headers, h => h.Item1.Equals("Bcc", StringComparison.OrdinalIgnoreCase));   // blind copies stay blind
        Assert.DoesNotContain("hidden@example.test", string.Join("\n", headers.Select(h => h.Item2)));
        Assert.Equal(text, f["text"]!.GetValue<string>());                                                  // body: exact text
        Assert.Equal("<p>hello <b>world</b></p>", f["html"]!.GetValue<string>());
        var att = Assert.Single(f["attachments"]!.AsArray())!;
        Assert.Equal("report.bin", att["name"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(attachment)), att["sha256"]!.GetValue<string>());
        Assert.Equal(Path.Combine(dir, "report.bin"), att["saved_as"]!.GetValue<string>());
        Assert.Equal(attachment, File.ReadAllBytes(Path.Combine(dir, "report.bin")));                       // byte for byte

        // The SMTP envelope carried the blind copy (the server's log names every RCPT TO).
        Assert.Contains("hidden@example.test", File.ReadAllText(Path.Combine(mail.Dir, "smtp.log")));
        // Reading did not mark it seen.
        Assert.DoesNotContain("seen", f["flags"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public void The_issue_call_works_exactly_as_written()
    {
        var before = mail.Delivered();
        // ./resh 'mail://127.0.0.1:2525.send(to=a@example.test,subject=hi,text=hello)' with the test relay's port.
        var run = ReshBinary.Run($"mail://127.0.0.1:{mail.PlainPort}.send(to=a@example.test,subject=hi,text=hello)");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(["a@example.test"], run.Result!["to"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.False(run.Result!["tls"]!.GetValue<bool>());
        Assert.Equal(before + 1, mail.Delivered());
        var stored = Directory.EnumerateFiles(Path.Combine(mail.Maildir), "*", SearchOption.AllDirectories)
            .Select(File.ReadAllText).Where(t => t.Contains(run.Result!["message_id"]!.GetValue<string>())).ToList();
        var raw = Assert.Single(stored);
        Assert.Contains("Subject: hi\r\n", raw);
        Assert.Contains("hello", raw);
    }

    [Fact]
    public void Dry_run_send_builds_the_message_and_connects_to_nothing()
    {
        var before = mail.Delivered();
        // Port 1 has no server: a dry run must not try it.
        var run = ReshBinary.Run("--dry-run", "mail://127.0.0.1:1.send", "to=a@example.test", "subject=dry", "text=x");
        Assert.True(run.Ok, run.ToString());
        Assert.True(run.Changed);
        Assert.Null(run.Result!["response"]);
        Assert.Equal(before, mail.Delivered());
    }

    [Fact]
    public void Search_count_mark_seen_move_and_delete_act_on_the_real_mailbox()
    {
        var subject = Unique("lifecycle");
        var sent = ReshBinary.Run([$"{mail.Smtp}.send", "to=ann@example.test", $"subject={subject}", "text=move me", .. mail.Auth]);
        Assert.True(sent.Ok, sent.ToString());
        var uid = FindUid(subject);

        var count = ReshBinary.Run([$"{mail.Imap}.count", $"subject={subject}", .. mail.Auth]);
        Assert.True(count.Ok, count.ToString());
        Assert.Equal(1, count.Result!["matched"]!.GetValue<long>());
        Assert.True(count.Result!["messages"]!.GetValue<long>() >= 1);
        var unseenBefore = count.Result!["unseen"]!.GetValue<long>();

        var unseen = ReshBinary.Run([$"{mail.Imap}.search", $"subject={subject}", "unseen=true", "since=1d", .. mail.Auth]);
        Assert.Equal(1, unseen.Result!["matched"]!.GetValue<long>());
        var seen = ReshBinary.Run([$"{mail.Imap}.fetch", $"uid={uid}", "mark_seen=true", .. mail.Auth]);
        Assert.True(seen.Ok, seen.ToString());
        Assert.True(seen.Changed);
        unseen = ReshBinary.Run([$"{mail.Imap}.search", $"subject={subject}", "unseen=true", .. mail.Auth]);
        Assert.Equal(0, unseen.Result!["matched"]!.GetValue<long>());
        Assert.Equal(unseenBefore - 1, ReshBinary.Run([$"{mail.Imap}.count", .. mail.Auth]).Result!["unseen"]!.GetValue<long>());

        var list = ReshBinary.Run([$"{mail.Imap}.list", .. mail.Auth]);
        Assert.True(list.Ok, list.ToString());
        var folders = list.Result!["folders"]!.AsArray();
        Assert.Contains(folders, f => f!["full_name"]!.GetValue<string>() == "INBOX");
        Assert.Contains(folders, f => f!["full_name"]!.GetValue<string>() == "Archive"
            && f["attributes"]!.AsArray().Any(a => a!.GetValue<string>() == "archive"));

        var dry = ReshBinary.Run(["--dry-run", $"{mail.Imap}/INBOX.move", $"uid={uid}", "to=Archive", .. mail.Auth]);
        Assert.True(dry.Ok && dry.Changed, dry.ToString());
        Assert.Equal(uid, FindUid(subject));                                              // still in INBOX

        var moved = ReshBinary.Run([$"{mail.Imap}/INBOX.move", $"uid={uid}", "to=Archive", .. mail.Auth]);
        Assert.True(moved.Ok && moved.Changed, moved.ToString());
        Assert.Equal([uid], moved.Result!["moved"]!.AsArray().Select(n => n!.GetValue<long>()));
        var again = ReshBinary.Run([$"{mail.Imap}/INBOX.move", $"uid={uid}", "to=Archive", .. mail.Auth]);
        Assert.True(again.Ok && !again.Changed, again.ToString());
        Assert.Equal([uid], again.Result!["missing"]!.AsArray().Select(n => n!.GetValue<long>()));
        var inInbox = ReshBinary.Run([$"{mail.Imap}/INBOX.search", $"subject={subject}", .. mail.Auth]);
        Assert.Equal(0, inInbox.Result!["matched"]!.GetValue<long>());
        var inArchive = ReshBinary.Run([$"{mail.Imap}/Archive.search", $"subject={subject}", .. mail.Auth]);
        Assert.Equal(1, inArchive.Result!["matched"]!.GetValue<long>());
        var archivedUid = inArchive.Result!["messages"]![0]!["uid"]!.GetValue<long>();
        Assert.Equal([archivedUid], moved.Result!["new_uids"]!.AsArray().Select(n => n!.GetValue<long>()));

        var dryDelete = ReshBinary.Run(["--dry-run", $"{mail.Imap}/Archive.delete", $"uid={archivedUid}", .. mail.Auth]);
        Assert.True(dryDelete.Ok && dryDelete.Changed, dryDelete.ToString());
        Assert.Equal(1, ReshBinary.Run([$"{mail.Imap}/Archive.count", $"subject={subject}", .. mail.Auth]).Result!["matched"]!.GetValue<long>());
        var deleted = ReshBinary.Run([$"{mail.Imap}/Archive.delete", $"uid={archivedUid}", .. mail.Auth]);
        Assert.True(deleted.Ok && deleted.Changed, deleted.ToString());
        Assert.Equal(0, ReshBinary.Run([$"{mail.Imap}/Archive.count", $"subject={subject}", .. mail.Auth]).Result!["matched"]!.GetValue<long>());
        var deletedAgain = ReshBinary.Run([$"{mail.Imap}/Archive.delete", $"uid={archivedUid}", .. mail.Auth]);
        Assert.True(deletedAgain.Ok && !deletedAgain.Changed, deletedAgain.ToString());

        var missingFolder = ReshBinary.Run([$"{mail.Imap}/NoSuchFolder.count", .. mail.Auth]);
        Assert.Equal("not_found", missingFolder.ErrorCode);
        var missingUid = ReshBinary.Run([$"{mail.Imap}.fetch", "uid=999999", .. mail.Auth]);
        Assert.Equal("not_found", missingUid.ErrorCode);
    }
}
