"""`backupbuddy serve` against a real PostgreSQL and s3rver behind the verifying proxy.

Proves: at start, the databases whose schedule fired within [backup] catch_up and have no
run since are backed up as one run, and a database scheduled only on another weekday is
not; SIGHUP with a broken config keeps the old one (the process goes on and still runs
backups on SIGUSR1, "run what is due now"); SIGTERM during an upload exits 0 quickly with
no manifest for the interrupted backup, no open multipart upload, earlier backups intact.
"""

import datetime as dt
import http.server
import json
import os
import signal
import subprocess
import threading
import time
import unittest

from bbenv import bookkeeping_key, start_bb, wait_for, write_config
from fixtures import ServersTestCase
from tgenv import ADMIN, TOKEN, Emulator

DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


def not_today():
    """A weekday name that is neither today nor tomorrow (in UTC), so it cannot fire now."""
    today = (dt.datetime.utcnow().isoweekday()) % 7  # 0 = Sunday
    return DAYS[(today + 3) % 7]



class HookReceiver:
    """A webhook receiver on loopback: keeps the JSON body of every POST."""

    def __init__(self):
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self):
                received.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0")))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self):
        return list(self.received)

    def close(self):
        self.server.shutdown()
        self.server.server_close()

class ServeTest(ServersTestCase):
    @classmethod
    def fill(cls):
        for db in ("daily_db", "monday_db"):
            cls.pg.create_db(db)
            cls.pg.psql(db, "create table t(x int); insert into t select generate_series(1, 1000);")
        cls.pg.create_db("big_db")
        cls.pg.psql("big_db", "create table r(a text, b text, c text); insert into r select md5(random()::text), "
                    "md5(random()::text), md5(random()::text) from generate_series(1, 400000);")

    def config_text(self, name, databases):
        text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                '[backup]\nstate_dir = "%s"\nschedule = "* * * * *"\ntimezone = "UTC"\n\n'
                % (self.pg.host, self.pg.port, self.s3.storage_toml(prefix=name + "/"),
                   os.path.join(self.tmp, "state-" + name)))
        for db, schedule in databases:
            text += '[[databases]]\nname = "%s"\n' % db
            if schedule:
                text += 'schedule = "%s"\n' % schedule
            text += "\n"
        return text

    def env(self):
        return {"AWS_ACCESS_KEY_ID": self.s3.access_key, "AWS_SECRET_ACCESS_KEY": self.s3.secret_key}

    def keys(self, prefix):
        """Backup objects under prefix (not the server's roles, _globals/, nor the run records,
        !runs/, stored by every run)."""
        out = self.s3.aws("s3api", "list-objects-v2", "--bucket", self.s3.bucket, "--prefix", prefix).stdout
        return sorted(o["Key"] for o in json.loads(out or "{}").get("Contents", [])
                      if not bookkeeping_key(o["Key"]))

    def wait_for(self, what, predicate, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        self.fail("timed out waiting for " + what)

    def stop(self, proc, sig=signal.SIGTERM, within=10):
        proc.send_signal(sig)
        start = time.time()
        try:
            out, err = proc.communicate(timeout=within + 5)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            self.fail("serve did not stop within %d s:\n%s" % (within, err[-3000:]))
        return time.time() - start, proc.returncode, out, err

    def test_due_databases_run_others_wait_and_sighup_keeps_a_good_config(self):
        name = "sched"
        cfg = os.path.join(self.tmp, name + ".toml")
        write_config(cfg, self.config_text(name, [("daily_db", None), ("monday_db", "0 4 * * " + not_today())]))
        proc = start_bb(["serve"], cfg, env=self.env())
        try:
            manifests = lambda db: [k for k in self.keys(name + "/" + db + "/") if k.endswith(".json")]
            self.wait_for("daily_db's catch-up backup", lambda: manifests("daily_db"))
            time.sleep(1)
            self.assertEqual(manifests("monday_db"), [], "a database scheduled on another weekday must wait")
            # A broken config on SIGHUP: reported, old one kept.
            with open(cfg, "a") as f:
                f.write("\n[broken\n")
            proc.send_signal(signal.SIGHUP)
            time.sleep(1.5)
            self.assertIsNone(proc.poll(), "serve must keep running after a bad reload")
            # "Run what is due now": forget daily_db's last run, SIGUSR1 runs it again.
            state_file = os.path.join(self.tmp, "state-" + name, "state.json")
            with open(state_file) as f:
                state = json.load(f)
            state["databases"]["daily_db"]["backup_at"] = "2000-01-01T00:00:00Z"
            with open(state_file, "w") as f:
                json.dump(state, f)
            before = manifests("daily_db")
            proc.send_signal(signal.SIGUSR1)
            # A new backup id appears (retention may then drop the older one of the same day).
            self.wait_for("a second daily_db backup", lambda: set(manifests("daily_db")) - set(before))
            self.assertEqual(manifests("monday_db"), [])
        finally:
            elapsed, code, out, err = self.stop(proc)
        self.assertEqual(code, 0, err[-3000:])
        self.assertIn("keeping the old one", err)
        self.assertRegex(err, r"sched\.toml:\d+: ")  # the message names the file and line
        self.s3.assert_clean(self)

    def test_sigterm_during_an_upload_leaves_nothing_half_visible(self):
        name = "term"
        cfg = os.path.join(self.tmp, name + ".toml")
        write_config(cfg, self.config_text(name, [("big_db", None)]))
        # An earlier backup that must stay untouched.
        subprocess.run([os.environ["BB_BINARY"], "-c", cfg, "backup", "-q"], check=True,
                       env=dict(os.environ, **self.env()), capture_output=True)
        earlier = self.keys(name + "/")
        self.assertEqual(len(earlier), 2)
        with open(os.path.join(self.tmp, "state-" + name, "state.json")) as f:
            state = json.load(f)
        state["databases"]["big_db"]["backup_at"] = "2000-01-01T00:00:00Z"  # so serve catches up at once
        with open(os.path.join(self.tmp, "state-" + name, "state.json"), "w") as f:
            json.dump(state, f)
        self.s3.proxy_reset()
        proc = start_bb(["serve"], cfg, env=self.env())
        try:
            self.wait_for("a multipart upload in flight", lambda: self.s3.proxy_state()["open_uploads"], timeout=60)
        finally:
            elapsed, code, out, err = self.stop(proc)
        self.assertEqual(code, 0, err[-3000:])
        self.assertLess(elapsed, 10)
        self.assertEqual(self.keys(name + "/"), earlier, "no new manifest or object may appear")
        self.assertEqual(self.s3.proxy_state()["open_uploads"], [])


    def test_reports_and_restore_drill_reach_the_admins(self):
        name = "report"
        with Emulator() as tg:
            text = self.config_text(name, [("daily_db", None)])
            text += ('[verify]\nschedule = "* * * * *"\n\n[telegram]\ntoken = "%s"\nadmins = [%d]\n'
                     'api_url = "%s"\nlanguage = "en"\n' % (TOKEN, ADMIN, tg.url))
            # The same run report and drill notice reach a webhook channel too.
            hook = HookReceiver()
            self.addCleanup(hook.close)
            text += ('\n[[notify]]\ntype = "webhook"\nurl = "%s/hook"\non = ["failure", "warning", "success"]\n'
                     % hook.url)
            cfg = os.path.join(self.tmp, name + ".toml")
            write_config(cfg, text)
            proc = start_bb(["serve"], cfg, env=self.env())
            try:
                report = tg.wait_message(ADMIN, lambda m: m["text"].startswith("BackupBuddy: all 1"), "run report")
                self.assertIn("daily_db", report["text"])
                drill = tg.wait_message(ADMIN, lambda m: "restore drill" in m["text"], "drill report")
                self.assertIn("all 1 database(s) restored and checked", drill["text"])
                self.assertIn("daily_db", drill["text"])
                # The bot runs in the same process.
                tg.say("/help")
                tg.wait_message(ADMIN, lambda m: "/start" in m["text"], "help from the bot")
                events = wait_for(lambda: (lambda e: e if {"run_finished", "drill_finished"} <= {x["event"] for x in e}
                                           else None)(hook.bodies()), timeout=30, what="webhook notices")
                by_event = {e["event"]: e for e in events}
                self.assertEqual(by_event["run_finished"]["outcome"], "success", by_event)
                self.assertIn("daily_db", json.dumps(by_event["run_finished"]))
                self.assertEqual(by_event["drill_finished"]["outcome"], "success", by_event)
                self.assertIn("daily_db", by_event["drill_finished"]["text"])
            finally:
                elapsed, code, out, err = self.stop(proc)
            self.assertEqual(code, 0, err[-3000:])
            self.assertNotIn(TOKEN, err)
            with open(os.path.join(self.tmp, "state-" + name, "state.json")) as f:
                state = json.load(f)["databases"]["daily_db"]
            self.assertTrue(state["verify_ok"] and state["restore_tested"], state)


if __name__ == "__main__":
    unittest.main()
