"""Alerts where people already look: e-mail, webhooks, heartbeats, Prometheus metrics.

Real receivers on loopback: an SMTP server (aiosmtpd, with AUTH), an HTTP receiver that
checks the X-BackupBuddy-Signature HMAC and records every webhook and heartbeat, a closed
port and a receiver that never answers (dead channels), and `promtool check metrics` on
the [metrics] textfile. A succeeding and a failing run each reach every channel; the dead
ones fail neither the backup nor delay it past their timeout x tries.
Run: cd tests/integration && BB_BINARY=.../backupbuddy /usr/bin/python3 -m unittest -v test_alerts
"""

import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import unittest

import bbenv
from bbenv import describe, local_config, run_bb, write_config
from fixtures import class_cluster, class_workdir
from pgenv import free_port

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError:  # Debian python3-aiosmtpd under /usr/bin/python3
    Controller = None

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
SMTP_USER = "backupbuddy"
SMTP_PASSWORD = "smtp-Secret-7f3a9c"
HOOK_TOKEN = "T0KEN-in-the-url-5d1e"
SIGNING_SECRET = "signing-Secret-b4c2"
HEARTBEAT_ID = "6f1d2c3b-uuid-heartbeat"


class MailRecorder:
    """aiosmtpd handler: keeps every message and the credentials it was sent with."""

    def __init__(self):
        self.messages = []
        self.logins = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        with self.lock:
            self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        ok = auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
        return AuthResult(success=ok)


class Receiver(http.server.ThreadingHTTPServer):
    """Records every POST: path, headers, body, and whether its signature verified."""
    daemon_threads = True

    def __init__(self, port):
        self.requests = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", port), ReceiverHandler)

    def paths(self, prefix):
        with self.lock:
            return [r["path"] for r in self.requests if r["path"].startswith(prefix)]

    def bodies(self, prefix):
        with self.lock:
            return [r for r in self.requests if r["path"].startswith(prefix)]


class ReceiverHandler(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        signature = self.headers.get("X-BackupBuddy-Signature")
        expected = "sha256=" + hmac.new(SIGNING_SECRET.encode(), body, hashlib.sha256).hexdigest()
        with self.server.lock:
            self.server.requests.append({"path": self.path, "body": body, "signature": signature,
                                         "signature_ok": signature == expected,
                                         "content_type": self.headers.get("Content-Type")})
        # A signed hook with a wrong signature is refused, as a real receiver would.
        code = 401 if self.path.startswith("/hook/") and signature != expected else 200
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@unittest.skipIf(Controller is None, "python3-aiosmtpd is not installed (run under /usr/bin/python3)")
class AlertsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = class_workdir(cls, "bb-alerts-")
        cls.pg = class_cluster(cls)
        cls.pg.create_db("shop")
        cls.pg.psql("shop", "create table orders(id int primary key, note text);"
                            "insert into orders select g, 'order ' || g from generate_series(1, 500) g;")
        cls.mail = MailRecorder()
        cls.smtp = Controller(cls.mail, hostname="127.0.0.1", port=free_port(), auth_require_tls=False,
                              authenticator=cls.mail.authenticate)
        cls.smtp.start()
        cls.addClassCleanup(cls.smtp.stop)
        cls.http = Receiver(free_port())
        threading.Thread(target=cls.http.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.http.server_close)
        cls.addClassCleanup(cls.http.shutdown)
        # A receiver that accepts connections but never answers, and a closed port.
        cls.hang = socket.socket()
        cls.hang.bind(("127.0.0.1", 0))
        cls.hang.listen(16)
        cls.addClassCleanup(cls.hang.close)
        cls.closed_port = free_port()

        def secret_file(name, value):
            path = os.path.join(cls.tmp, name)
            with open(path, "w") as f:
                f.write(value + "\n")
            os.chmod(path, 0o600)
            return path

        base = "http://127.0.0.1:%d" % cls.http.server_address[1]
        every = ["failure", "warning", "success"]
        cls.notify = [
            {"type": "email", "smtp_url": "smtp://127.0.0.1:%d" % cls.smtp.port, "starttls": False,
             "from": "backupbuddy@example.com", "to": ["admin@example.com", "ops@example.com"],
             "username": SMTP_USER, "password_file": secret_file("smtp.password", SMTP_PASSWORD), "on": every},
            {"type": "webhook", "url": base + "/hook/" + HOOK_TOKEN,
             "secret_file": secret_file("hook.secret", SIGNING_SECRET), "on": every},
            {"type": "webhook", "format": "slack", "url": base + "/slack/" + HOOK_TOKEN, "on": every},
            {"type": "webhook", "format": "discord", "url": base + "/discord/" + HOOK_TOKEN, "on": every},
            {"type": "webhook", "format": "teams", "url": base + "/teams/" + HOOK_TOKEN, "on": every},
            {"type": "webhook", "format": "mattermost", "url": base + "/mattermost/" + HOOK_TOKEN, "on": every},
            {"type": "heartbeat", "url": base + "/ping/" + HEARTBEAT_ID},
            {"type": "webhook", "url": base + "/default/" + HOOK_TOKEN},  # on: failure and warning
            {"type": "webhook", "url": "http://127.0.0.1:%d/closed/%s" % (cls.closed_port, HOOK_TOKEN),
             "timeout": "1s", "tries": 2, "on": every},
            {"type": "webhook", "url": "http://127.0.0.1:%d/hang/%s" % (cls.hang.getsockname()[1], HOOK_TOKEN),
             "timeout": "1s", "tries": 2, "on": every},
        ]
        cls.textfile = os.path.join(cls.tmp, "textfile", "backupbuddy.prom")
        os.makedirs(os.path.dirname(cls.textfile))
        cls.store = os.path.join(cls.tmp, "store")
        cls.state = os.path.join(cls.tmp, "state")

    def config(self, databases):
        cfg = local_config(self.pg, self.store, self.state, databases,
                           telegram={"language": "en"}, metrics={"textfile": self.textfile})
        cfg["notify"] = self.notify
        return write_config(os.path.join(self.tmp, "backupbuddy.toml"), cfg)

    def wait_for_mail(self, count):
        bbenv.wait_for(lambda: len(self.mail.messages) >= count, timeout=20, what="%d e-mail(s)" % count)
        return self.mail.messages[count - 1]

    def assert_no_secrets(self, *outputs):
        for text in outputs:
            for secret in (SMTP_PASSWORD, HOOK_TOKEN, SIGNING_SECRET, HEARTBEAT_ID):
                self.assertNotIn(secret, text)

    def backup(self, databases, expect):
        cfg = self.config(databases)
        started = time.monotonic()
        proc = run_bb(["backup"], cfg, check=expect)
        return proc, time.monotonic() - started

    def promtool(self):
        with open(self.textfile, "rb") as f:
            proc = subprocess.run([PROMTOOL, "check", "metrics"], stdin=f,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(proc.returncode, 0, "promtool check metrics:\n" + proc.stdout)
        with open(self.textfile, encoding="utf-8") as f:
            return f.read()

    def test_a_succeeding_and_a_failing_run_reach_every_channel(self):
        host = socket.gethostname()
        # --- a run that succeeds ---------------------------------------------------
        proc, seconds = self.backup(["shop"], 0)
        # The dead receivers cost at most timeout x tries + the backoff each (in parallel).
        self.assertLess(seconds, 25, describe(proc))
        self.assertRegex(proc.stderr, r"notify #9: webhook http://127\.0\.0\.1:\d+/…")

        frm, rcpt, content = self.wait_for_mail(1)
        self.assertEqual(frm, "backupbuddy@example.com")
        self.assertEqual(sorted(rcpt), ["admin@example.com", "ops@example.com"])
        msg = email.message_from_bytes(content, policy=email.policy.default)
        self.assertEqual(msg["Subject"], "%s: shop backed up" % host)
        body = msg.get_content()
        self.assertIn("BackupBuddy: all 1 database(s) backed up.", body)
        self.assertRegex(body, r"✅ shop: .* stored")
        self.assertIn((SMTP_USER, SMTP_PASSWORD), self.mail.logins)

        hooks = self.http.bodies("/hook/")
        self.assertEqual(len(hooks), 1)
        self.assertTrue(hooks[0]["signature_ok"], hooks[0])
        j = json.loads(hooks[0]["body"])
        self.assertEqual((j["server"], j["event"], j["outcome"]), (host, "run_finished", "success"))
        self.assertEqual(j["run"]["databases"], 1)
        self.assertEqual(j["run"]["failed"], 0)
        self.assertIsNotNone(j["run"]["started_at"])
        [db] = j["databases"]
        self.assertEqual((db["database"], db["ok"], db["reason"]), ("shop", True, None))
        self.assertGreater(db["stored_bytes"], 0)
        self.assertRegex(db["backup_id"], r"^\d{8}T\d{6}Z$")

        slack = json.loads(self.http.bodies("/slack/")[0]["body"])
        self.assertTrue(slack["text"].startswith("*%s: shop backed up*\n" % host), slack)
        discord = json.loads(self.http.bodies("/discord/")[0]["body"])
        self.assertIn("✅ shop", discord["content"])
        self.assertLessEqual(len(discord["content"]), 2000)
        teams = json.loads(self.http.bodies("/teams/")[0]["body"])
        self.assertEqual((teams["@type"], teams["themeColor"]), ("MessageCard", "2EB886"))
        mattermost = json.loads(self.http.bodies("/mattermost/")[0]["body"])
        self.assertIn("✅ shop", mattermost["text"])
        self.assertEqual(self.http.paths("/ping/"), ["/ping/%s/start" % HEARTBEAT_ID, "/ping/%s" % HEARTBEAT_ID])
        self.assertEqual(self.http.paths("/default/"), [], "on defaults to failure and warning")

        metrics = self.promtool()
        self.assertIn('backupbuddy_backups{database="shop"} 1\n', metrics)
        self.assertIn('backupbuddy_last_run_success{database="shop"} 1\n', metrics)
        self.assertRegex(metrics, r'backupbuddy_backup_stored_bytes\{database="shop"\} [1-9]\d*\n')
        self.assertRegex(metrics, r'backupbuddy_last_success_timestamp_seconds\{database="shop"\} 1\d{9}\n')
        self.assert_no_secrets(proc.stdout, proc.stderr)

        # --- a run that fails (a configured database missing on the server) ----------
        proc, seconds = self.backup(["shop", "nosuchdb"], 1)
        self.assertLess(seconds, 25, describe(proc))
        frm, rcpt, content = self.wait_for_mail(2)
        msg = email.message_from_bytes(content, policy=email.policy.default)
        self.assertEqual(msg["Subject"], "%s: 1 of 2 databases failed" % host)
        self.assertIn("❌ nosuchdb: not backed up", msg.get_content())
        hooks = self.http.bodies("/hook/")
        self.assertEqual(len(hooks), 2)
        self.assertTrue(hooks[1]["signature_ok"])
        j = json.loads(hooks[1]["body"])
        self.assertEqual(j["outcome"], "failure")
        failed = [d for d in j["databases"] if not d["ok"]]
        self.assertEqual([d["database"] for d in failed], ["nosuchdb"])
        self.assertTrue(failed[0]["reason"])
        for prefix in ("/slack/", "/discord/", "/teams/", "/mattermost/", "/default/"):
            self.assertEqual(len(self.http.bodies(prefix)), 2 if prefix != "/default/" else 1, prefix)
        self.assertEqual(json.loads(self.http.bodies("/teams/")[1]["body"])["themeColor"], "D70000")
        self.assertEqual(self.http.paths("/ping/")[2:], ["/ping/%s/start" % HEARTBEAT_ID, "/ping/%s/fail" % HEARTBEAT_ID])
        self.assertIn(b"nosuchdb", self.http.bodies("/ping/%s/fail" % HEARTBEAT_ID)[0]["body"])
        metrics = self.promtool()
        self.assertIn('backupbuddy_last_run_success{database="nosuchdb"} 0\n', metrics)
        self.assert_no_secrets(proc.stdout, proc.stderr)

        # --- status and check show the dead channels ----------------------------------
        cfg = self.config(["shop"])
        status = run_bb(["status"], cfg, check=0)
        self.assertRegex(status.stdout, r"notify #9: webhook http://127\.0\.0\.1:\d+/…: last delivery FAILED")
        self.assertRegex(status.stdout, r"notify #10: webhook .*: last delivery FAILED")
        self.assertNotIn("notify #2:", status.stdout)
        status_json = json.loads(run_bb(["status", "--json"], cfg, check=0).stdout)
        by_name = {c["channel"]: c for c in status_json["channels"]}
        self.assertEqual(sum(1 for c in by_name.values() if not c["ok"]), 2)
        check = run_bb(["check"], cfg)
        self.assertRegex(check.stdout, r"\[warn\] notify #9: webhook .*last delivery FAILED")
        self.assertRegex(check.stdout, r"\[ok\]   notify #1: email to admin@example.com, ops@example.com via "
                                       r"smtp://127\.0\.0\.1:\d+: last delivery ok")
        mails = len(self.mail.messages)
        check = run_bb(["check", "--notify"], cfg, check=1)
        for n in range(1, 9):
            self.assertRegex(check.stdout, r"\[ok\]   notify #%d: .*: test message sent" % n)
        self.assertRegex(check.stdout, r"\[FAIL\] notify #9: .*: test message FAILED")
        self.assertRegex(check.stdout, r"\[FAIL\] notify #10: .*: test message FAILED")
        self.assertEqual(len(self.mail.messages), mails + 1)
        msg = email.message_from_bytes(self.mail.messages[-1][2], policy=email.policy.default)
        self.assertEqual(msg["Subject"], "%s: BackupBuddy test message" % host)
        self.assertEqual(json.loads(self.http.bodies("/hook/")[-1]["body"])["event"], "test")
        self.assert_no_secrets(status.stdout, status.stderr, check.stdout, check.stderr)
        with open(os.path.join(self.state, "notify.json")) as f:
            self.assert_no_secrets(f.read())

    @classmethod
    def tearDownClass(cls):
        # BB_ALERTS_DUMP=FILE keeps everything the receivers got (for docs/notifications.md).
        dump = os.environ.get("BB_ALERTS_DUMP")
        if dump:
            with open(dump, "w", encoding="utf-8") as f:
                for frm, rcpt, content in cls.mail.messages:
                    f.write("=== SMTP from %s to %s\n%s\n" % (frm, rcpt, content.decode("utf-8", "replace")))
                for r in cls.http.requests:
                    f.write("=== POST %s signature=%s\n%s\n" % (r["path"], r["signature"], r["body"].decode("utf-8", "replace")))
                if os.path.exists(cls.textfile):
                    with open(cls.textfile, encoding="utf-8") as t:
                        f.write("=== textfile\n" + t.read())

    def test_b_run_that_cannot_start_pings_fail_and_mails(self):
        """PostgreSQL unreachable: the run (lock held) pings /start, then /fail, and mails the reason."""
        base = "http://127.0.0.1:%d" % self.http.server_address[1]
        cfg = local_config(self.pg, self.store, os.path.join(self.tmp, "state-down"), ["shop"],
                           telegram={"language": "en"})
        cfg["postgres"]["port"] = free_port()
        cfg["notify"] = [dict(self.notify[0]), {"type": "heartbeat", "url": base + "/down/" + HEARTBEAT_ID}]
        path = write_config(os.path.join(self.tmp, "down.toml"), cfg)
        mails = len(self.mail.messages)
        proc = run_bb(["backup"], path)
        self.assertNotEqual(proc.returncode, 0, describe(proc))
        self.assertEqual(self.http.paths("/down/"), ["/down/%s/start" % HEARTBEAT_ID, "/down/%s/fail" % HEARTBEAT_ID])
        frm, rcpt, content = self.wait_for_mail(mails + 1)
        msg = email.message_from_bytes(content, policy=email.policy.default)
        self.assertEqual(msg["Subject"], "%s: BackupBuddy alert" % socket.gethostname())
        self.assertIn("the backup run failed", msg.get_content())
        self.assert_no_secrets(proc.stdout, proc.stderr)

    def test_c_mail_over_starttls_and_smtps_with_a_private_ca(self):
        """Mail goes out encrypted: STARTTLS (required by default) and smtps, trusting a private CA
        through ca_file; a server without STARTTLS, or with a certificate nobody vouched for, gets
        nothing, and the message says what to do."""
        tls = os.path.join(self.tmp, "tls")
        os.makedirs(tls)
        cert, key = os.path.join(tls, "mail.crt"), os.path.join(tls, "mail.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        starttls_mail, smtps_mail = MailRecorder(), MailRecorder()
        starttls = Controller(starttls_mail, hostname="127.0.0.1", port=free_port(), tls_context=context,
                              require_starttls=True, authenticator=starttls_mail.authenticate)
        smtps = Controller(smtps_mail, hostname="127.0.0.1", port=free_port(), ssl_context=context,
                           authenticator=smtps_mail.authenticate)
        for server in (starttls, smtps):
            server.start()
            self.addCleanup(server.stop)
        mail = {k: v for k, v in self.notify[0].items() if k not in ("smtp_url", "starttls")}
        cfg = local_config(self.pg, self.store, os.path.join(self.tmp, "state-tls"), ["shop"],
                           telegram={"language": "en"})
        cfg["notify"] = [
            dict(mail, smtp_url="smtp://127.0.0.1:%d" % starttls.port, ca_file=cert),
            dict(mail, smtp_url="smtps://127.0.0.1:%d" % smtps.port, ca_file=cert),
            dict(mail, smtp_url="smtp://127.0.0.1:%d" % self.smtp.port, tries=1),  # offers no STARTTLS
            dict(mail, smtp_url="smtp://127.0.0.1:%d" % starttls.port, tries=1),   # CA not given
        ]
        path = write_config(os.path.join(self.tmp, "tls.toml"), cfg)
        plain_before = len(self.mail.messages)
        check = run_bb(["check", "--notify"], path, check=1)
        self.assertRegex(check.stdout, r"\[ok\]   notify #1: .*: test message sent")
        self.assertRegex(check.stdout, r"\[ok\]   notify #2: .*: test message sent")
        self.assertRegex(check.stdout, r"\[FAIL\] notify #3: .*: test message FAILED")
        self.assertRegex(check.stdout, r"\[FAIL\] notify #4: .*: test message FAILED")
        self.assertIn("does not offer STARTTLS", check.stdout)
        self.assertIn("set ca_file", check.stdout)
        self.assertEqual([len(starttls_mail.messages), len(smtps_mail.messages)], [1, 1], describe(check))
        self.assertEqual(len(self.mail.messages), plain_before, "nothing may go out in clear text")
        self.assertEqual(starttls_mail.logins, [(SMTP_USER, SMTP_PASSWORD)], "one login, after STARTTLS")
        msg = email.message_from_bytes(smtps_mail.messages[0][2], policy=email.policy.default)
        self.assertEqual(msg["Subject"], "%s: BackupBuddy test message" % socket.gethostname())
        self.assert_no_secrets(check.stdout, check.stderr)
        # A CA file that is not there is a config error naming the key.
        cfg["notify"] = [dict(mail, smtp_url="smtps://127.0.0.1:%d" % smtps.port, ca_file=cert + ".missing")]
        bad = run_bb(["check"], write_config(os.path.join(self.tmp, "tls-bad.toml"), cfg), check=2)
        self.assertRegex(bad.stderr, r"tls-bad\.toml:\d+: notify\.ca_file: cannot read")

    def test_the_example_alert_rules_are_valid(self):
        rules = os.path.join(bbenv.HERE, "..", "..", "docs", "prometheus-rules.yml")
        proc = subprocess.run([PROMTOOL, "check", "rules", rules], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        self.assertEqual(proc.returncode, 0, proc.stdout)
        with open(rules) as f:
            self.assertIn("backupbuddy_last_success_timestamp_seconds > 26 * 3600", f.read())

    def test_bad_channel_config_is_an_error_with_file_and_line(self):
        cfg = local_config(self.pg, self.store, self.state, ["shop"])
        cfg["notify"] = [{"type": "webhook", "url": "http://127.0.0.1:1/x", "format": "telex"}]
        path = write_config(os.path.join(self.tmp, "bad.toml"), cfg)
        proc = run_bb(["check"], path, check=2)
        self.assertRegex(proc.stderr, r"bad\.toml:\d+: notify\.format: unknown format \"telex\"")
        cfg["notify"] = [{"type": "email", "smtp_url": "http://mail", "from": "a@b", "to": ["c@d"]}]
        write_config(path, cfg)
        proc = run_bb(["check"], path, check=2)
        self.assertRegex(proc.stderr, r"bad\.toml:\d+: notify\.smtp_url: .*smtp://")


if __name__ == "__main__":
    unittest.main()
