"""`backupbuddy serve` against a real PostgreSQL and s3rver behind the verifying proxy.

Proves: at start, the databases whose schedule fired within [backup] catch_up and have no
run since are backed up as one run, and a database scheduled only on another weekday is
not; SIGHUP with a broken config keeps the old one (the process goes on and still runs
backups on SIGUSR1, "run what is due now"); SIGTERM during an upload exits 0 quickly with
no manifest for the interrupted backup, no open multipart upload, earlier backups intact;
with [telegram] and [web], the bot and the web console share one job queue (a restore
asked through the API waits, at place 1, behind the bot's running restore, and a backup
asked in the bot then says it is number 2; all end, the restores with their archives;
SIGHUP with a changed [web] keeps the console on its address and logs so; SIGTERM exits 0
and leaves no temporary database); a taken [web] port or a bad TLS file stops serve at
start with a clear error.
"""

import datetime as dt
import fcntl
import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time
import unittest

from bbenv import bb_argv, bookkeeping_key, clean_env, run_bb, start_bb, wait_for, write_config
from fixtures import ServersTestCase
from pgenv import free_port
from tgenv import ADMIN, TOKEN, Emulator, button
from webenv import WebServer, hash_password

OPS_PW = "queue operator pw"

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

    def config_text(self, name, databases, storage_extra=""):
        text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                '[backup]\nstate_dir = "%s"\nschedule = "* * * * *"\ntimezone = "UTC"\n\n'
                % (self.pg.host, self.pg.port, self.s3.storage_toml(prefix=name + "/", extra=storage_extra),
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

    def wait_for(self, what, predicate, timeout=60, log=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        self.fail("timed out waiting for " + what + ("" if log is None else ":\n" + log()[-3000:]))

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

    def test_a_scheduled_run_waits_for_a_held_lock_instead_of_skipping(self):
        """A "back up now" (or a cron backup) that holds the lock when a scheduled run is due
        makes the run wait and go ahead once the lock is free, not skip until the next day."""
        name = "lockwait"
        hour_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
        text = self.config_text(name, [("daily_db", "%d %d * * *" % (hour_ago.minute, hour_ago.hour))])
        text = text.replace("[backup]\n", '[backup]\ncatch_up = "24h"\n', 1)
        cfg = os.path.join(self.tmp, name + ".toml")
        write_config(cfg, text)
        state = os.path.join(self.tmp, "state-" + name)
        os.makedirs(state, exist_ok=True)
        holder = open(os.path.join(state, "backup.lock"), "a+")
        self.addCleanup(holder.close)
        fcntl.flock(holder, fcntl.LOCK_EX)  # as another backup run would
        manifests = lambda: [k for k in self.keys(name + "/daily_db/") if k.endswith(".json")]
        proc = start_bb(["serve"], cfg, env=self.env())
        try:
            time.sleep(4)  # the catch-up run at start finds the lock held
            self.assertEqual(manifests(), [], "no backup while another run holds the lock")
            fcntl.flock(holder, fcntl.LOCK_UN)
            self.wait_for("the waiting run to back up once the lock is free", manifests, timeout=30)
        finally:
            elapsed, code, out, err = self.stop(proc)
        self.assertEqual(code, 0, err[-3000:])
        self.assertIn("serve: waiting for the lock", err)
        self.assertNotIn("skipped this run", err)

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

    def web_section(self, port, **extra):
        text = '[web]\nlisten = "127.0.0.1:%d"\n' % port
        for key, value in extra.items():
            text += '%s = "%s"\n' % (key, value)
        return text + ('\n[[web.users]]\nname = "ops"\npassword_hash = "%s"\nrole = "operator"\n\n'
                       % hash_password(OPS_PW))

    def test_bot_and_web_console_share_one_job_queue(self):
        name = "queue"
        self.pg.create_db("queue_db")
        # Big enough that a restore capped at 60 KB/s takes seconds: time to see the others wait.
        self.pg.psql("queue_db", "create table q(a text, b text); insert into q select md5(g::text), "
                     "md5((g * 7)::text) from generate_series(1, 12000) g;")
        port = free_port()
        with Emulator() as tg:
            text = self.config_text(name, [("queue_db", "0 3 * * %s" % not_today())],
                                    storage_extra='max_download_rate = "60KB/s"\n')
            text += '[restore]\ntarget = "{db}_from_bot"\n\n'
            text += ('[telegram]\ntoken = "%s"\nadmins = [%d]\napi_url = "%s"\nlanguage = "en"\n\n'
                     % (TOKEN, ADMIN, tg.url))
            text += self.web_section(port)
            cfg = write_config(os.path.join(self.tmp, name + ".toml"), text)
            run_bb(["backup", "-q", "queue_db"], cfg, env=self.env(), check=0)
            databases_before = set(self.pg.databases())
            log_path = os.path.join(self.tmp, name + ".log")
            with open(log_path, "w") as log:
                proc = subprocess.Popen(bb_argv(["serve"], cfg), stdout=log, stderr=log, env=clean_env(self.env()))

            def log_text():
                with open(log_path, encoding="utf-8", errors="replace") as f:
                    return f.read()

            web = WebServer.__new__(WebServer)  # only its HTTP client: serve is the server
            web.port, web.tls = port, False
            auth = {"user": "ops", "password": OPS_PW}
            try:
                self.wait_for("the console in serve", lambda: "web console on http://127.0.0.1:%d" % port in log_text(),
                              timeout=20, log=log_text)
                # A restore through the bot ...
                tg.say("/start")
                menu = tg.wait_message(ADMIN, lambda m: m["text"].startswith("Which database"), "database menu")
                tg.press(button(menu, "queue_db"), menu["id"])
                page = tg.wait_message(ADMIN, lambda m: m["id"] == menu["id"] and m["text"].startswith("Database "),
                                       "backup list")
                tg.press(page["buttons"][0]["callback_data"], page["id"])
                question = tg.wait_message(ADMIN, lambda m: m["text"].startswith("Restore "), "confirmation")
                tg.press(button(question, "Yes"), question["id"])
                self.wait_for("the bot's restore running in the queue",
                              lambda: "telegram: user %d started a restore" % ADMIN in log_text(), log=log_text)
                # ... and one through the API while it runs: it waits, first in line.
                status, _, body = web.request("POST", "/api/v1/restore",
                                              body={"database": "queue_db", "into": "queue_db_from_web"}, **auth)
                self.assertEqual(status, 202, body)
                job_id = json.loads(body)["id"]
                status, _, body = web.request("GET", "/api/v1/jobs/" + job_id, **auth)
                self.assertEqual(status, 200, body)
                job = json.loads(body)
                self.assertEqual((job["state"], job.get("position")), ("queued", 1), job)
                # A backup asked in the bot now waits behind both, and says so.
                tg.say("/backup queue_db")
                tg.wait_message(ADMIN, lambda m: "you are number 2 in the queue" in m["text"], "place 2", timeout=10)
                done = tg.wait_message(ADMIN, lambda m: m["text"].startswith(("Ready:", "Could not")), "bot result",
                                       timeout=120)
                self.assertTrue(done["text"].startswith("Ready: database queue_db_from_bot"), done)

                def api_job_ended():
                    _, _, answer = web.request("GET", "/api/v1/jobs/" + job_id, **auth)
                    answer = json.loads(answer)
                    return answer if answer["state"] in ("done", "failed") else None
                job = self.wait_for("the API's restore", api_job_ended, timeout=120)
                self.assertEqual(job["state"], "done", job)
                self.assertEqual(job["result"]["database"], "queue_db_from_web")
                for archive in ("queue_db_from_bot", "queue_db_from_web"):
                    self.assertEqual(self.pg.query_value(archive, "select count(*) from q"), "12000")
                tg.wait_message(ADMIN, lambda m: m["text"].startswith("Ready: a backup of queue_db"), "bot backup",
                                timeout=60)
                # In the order asked: the bot's restore, the API's, then the bot's backup.
                log = log_text()
                self.assertLess(log.index('into "queue_db_from_bot"'), log.index('into "queue_db_from_web"'), log)
                self.assertLess(log.index('into "queue_db_from_web"'), log.index("started a backup of"), log)
                # SIGHUP with a changed [web]: the console keeps what it started with, and the log says so.
                write_config(cfg, text.replace('[web]\nlisten = "127.0.0.1:%d"\n' % port,
                                               '[web]\nlisten = "127.0.0.1:%d"\n' % free_port()))
                proc.send_signal(signal.SIGHUP)
                self.wait_for("the reload", lambda: "[web] changed" in log_text(), timeout=20, log=log_text)
                status, _, body = web.request("GET", "/api/v1/jobs/" + job_id, **auth)
                self.assertEqual(status, 200, body)
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    code = proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    self.fail("serve did not stop within 20 s of SIGTERM:\n" + log_text()[-3000:])
            self.assertEqual(code, 0, log_text()[-3000:])
            self.assertIn("web console stopped", log_text())
            self.assertEqual(set(self.pg.databases()) - databases_before, {"queue_db_from_bot", "queue_db_from_web"})
            self.assertNotIn(TOKEN, log_text())
            self.assertNotIn(OPS_PW, log_text())

    def test_a_taken_web_port_or_bad_tls_file_stops_serve_at_start(self):
        name = "webbad"
        base = self.config_text(name, [("daily_db", "0 3 * * %s" % not_today())])
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            cfg = write_config(os.path.join(self.tmp, name + "-port.toml"), base + self.web_section(port))
            proc = run_bb(["serve"], cfg, env=self.env(), check=1, timeout=30)
        self.assertIn("web: cannot listen on 127.0.0.1:%d" % port, proc.stderr)
        self.assertNotIn("scheduler started", proc.stderr)
        missing = os.path.join(self.tmp, "no-such-cert.pem")
        cfg = write_config(os.path.join(self.tmp, name + "-tls.toml"),
                           base + self.web_section(free_port(), tls_cert_file=missing, tls_key_file=missing))
        proc = run_bb(["serve"], cfg, env=self.env(), check=2, timeout=30)
        self.assertIn("tls_cert_file", proc.stderr)
        self.assertNotIn("scheduler started", proc.stderr)


if __name__ == "__main__":
    unittest.main()
