"""The Telegram bot over S3 storage, end to end: the real `backupbuddy bot` against the
telegram-test-api emulator, a throwaway PostgreSQL 15 cluster and s3rver behind the
SigV4-verifying proxy. The test acts as a person through the emulator's client API.

Between the bot and the emulator sits a small recording relay (TgRelay), so a test can
tell which Bot API methods the bot called (an answerCallbackQuery is not visible in the
emulator's history otherwise).

Covers what test_bot.py (local storage) does not:
  1. the whole restore flow over S3, the older of two backups, then the newer one
     replacing the archive;
  2. paging through 20 backups: every page and every button is the right backup;
  3. a restore of a corrupt object: a plain-words failure, no database left behind
     (3: damage found after the temporary database exists; 3b: found while the table of
     contents is read; 3c: a valid zstd stream that does not match the manifest);
  4. restore requests queue behind a running one (positions shown and updated);
  5. a non-admin pressing the admin's real "Yes, restore" button: nothing happens,
     no answer, and the admin's button still works afterwards.

Run: cd tests/integration && BB_BINARY=.../backupbuddy BB_TOOLS_DIR=.../tests/tools \
     /usr/bin/python3 -m unittest -v test_bot_s3
"""

import datetime
import http.server
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from bbenv import (bb_argv, clean_env, encode_db_name, parse_backup_id, parse_json_output, run_bb,
                   toml_dumps, write_config)
from fixtures import ServersTestCase
from pgenv import fill_fidelity_db, quote_literal
from tgenv import ADMIN, STRANGER, TOKEN, Emulator, button, wait_for

STACK_TRACE_MARKERS = ("Traceback", "terminate called", "what():", "std::", "Aborted", "core dumped",
                       "Segmentation", "backupbuddy: ", " at 0x")


class TgRelay:
    """A recording HTTP relay in front of the emulator: the bot talks to it as its api_url.
    calls() lists (method, JSON body) of every Bot API call the bot made."""

    def __init__(self, upstream):
        self.upstream = upstream
        self._calls = []
        self._lock = threading.Lock()
        relay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                method = self.path.rsplit("/", 1)[-1]
                try:
                    parsed = json.loads(body or b"{}")
                except ValueError:
                    parsed = None
                with relay._lock:
                    relay._calls.append((method, parsed))
                req = urllib.request.Request(relay.upstream + self.path, data=body, method="POST",
                                             headers={"Content-Type": self.headers.get("Content-Type",
                                                                                       "application/json")})
                try:
                    with urllib.request.urlopen(req, timeout=60) as resp:
                        status, answer = resp.status, resp.read()
                except urllib.error.HTTPError as e:
                    status, answer = e.code, e.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def calls(self, method=None):
        with self._lock:
            return [(m, b) for m, b in self._calls if method is None or m == method]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class BotOverS3(ServersTestCase):

    @classmethod
    def fill(cls):
        pg = cls.pg
        # 1: a database hard to round-trip, restored through the bot.
        pg.create_db("flow_db")
        fill_fidelity_db(pg, "flow_db", rows=300)
        # 2, 3, 4, 5: small databases with a table each.
        for db in ("paging_db", "broken_db", "queue_a", "queue_b", "forged_db"):
            pg.create_db(db)
            pg.psql(db, "create table t(id int primary key, v text); "
                        "insert into t select g, md5(%s || g) from generate_series(1, 3000) g"
                    % quote_literal(db))
        # 3: a few MB that do not compress, so the table of contents is read long before the
        # damage near the end of the object.
        pg.psql("broken_db", "create table bulk(id int primary key, a text, b text); "
                             "insert into bulk select g, md5(random()::text), md5(random()::text) "
                             "from generate_series(1, 60000) g")
        # 3c: a small table whose data comes first in the dump, then megabytes more.
        pg.create_db("mismatch_db")
        pg.psql("mismatch_db", "create table a_small(id int primary key, v text); "
                               "insert into a_small select g, 'row-' || g from generate_series(1, 1000) g; "
                               "create table z_bulk(id int primary key, a text, b text); "
                               "insert into z_bulk select g, md5(random()::text), md5(random()::text) "
                               "from generate_series(1, 100000) g")

    # ---- per-test plumbing ------------------------------------------------------------

    def setUp(self):
        self.s3.clear_faults()
        self.addCleanup(self.s3.clear_faults)
        self.work = tempfile.mkdtemp(prefix=self._testMethodName + "-", dir=self.tmp)
        self.tg = Emulator().__enter__()
        self.addCleanup(self.close_emulator)
        self.relay = TgRelay(self.tg.url)
        self.addCleanup(self.relay.close)
        self.bot = None

    def close_emulator(self):
        self.tg.__exit__(None, None, None)
        for pipe in (self.tg.proc.stdout, self.tg.proc.stderr):
            if pipe:
                pipe.close()

    def write_config(self, prefix, databases):
        """A config for this test: S3 storage under its own prefix, its own state_dir."""
        head = toml_dumps({
            "postgres": {"host": self.pg.host, "port": self.pg.port, "user": self.pg.superuser},
            "backup": {"state_dir": os.path.join(self.work, "state"), "timezone": "UTC"},
            "restore": {"target": "{db}_archive"},
            "telegram": {"token": TOKEN, "admins": [ADMIN], "api_url": self.relay.url, "language": "en"},
        })
        tail = toml_dumps({"databases": [{"name": d} for d in databases]})
        self.prefix = prefix
        self.config = write_config(os.path.join(self.work, "bb.toml"),
                                   head + "\n" + self.s3.storage_toml(prefix=prefix) + "\n" + tail)
        self.env = self.s3_credentials()
        return self.config

    def backup(self, *dbs):
        """One `backup --no-prune` run; {db: id}."""
        proc = run_bb(["backup", "--no-prune", "--json"] + list(dbs), self.config, env=self.env, check=0)
        results = parse_json_output(proc)["results"]
        self.assertTrue(all(r["ok"] for r in results), results)
        return {r["database"]: r["id"] for r in results}

    def start_bot(self):
        self.bot_log = os.path.join(self.work, "bot.log")
        log = open(self.bot_log, "w")
        self.addCleanup(log.close)
        self.bot = subprocess.Popen(bb_argv(["bot"], self.config), stdout=subprocess.DEVNULL, stderr=log,
                                    stdin=subprocess.DEVNULL, env=clean_env(self.env), text=True)
        self.addCleanup(self.stop_bot)
        return self.bot

    def stop_bot(self):
        if self.bot and self.bot.poll() is None:
            self.bot.terminate()
            try:
                self.bot.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.bot.kill()
                self.bot.wait()
                raise AssertionError("the bot did not stop within 15 s of SIGTERM")

    def bot_stderr(self):
        with open(self.bot_log, encoding="utf-8", errors="replace") as f:
            return f.read()

    def assert_bot_alive(self):
        if self.bot.poll() is not None:
            raise AssertionError("the bot exited with %s:\n%s" % (self.bot.returncode, self.bot_stderr()))

    def leftover_databases(self, *names):
        """Databases that must not exist: the given names and any temporary bb_restore_*."""
        return sorted(d for d in self.pg.databases() if d in names or d.startswith("bb_restore"))

    def archive_marker(self, name):
        comment = self.pg.db_comment(name)
        self.assertTrue(comment.startswith("backupbuddy-archive "), comment)
        return json.loads(comment[len("backupbuddy-archive "):])

    def open_backup_list(self, db):
        """/start, then the database's button: the first page of its backups."""
        last = self.tg.last_id(ADMIN)
        self.tg.say("/start")
        menu = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith("Which database"), "database menu",
                                    newer_than=last)
        self.tg.press(button(menu, db), menu["id"])
        return self.tg.wait_message(ADMIN, lambda m: m["id"] == menu["id"] and m["text"].startswith(
            "Database %s." % db), "backup list of " + db)

    @staticmethod
    def label_time(backup_id):
        """How a button and a question show a backup's time ([backup] timezone UTC, en)."""
        return parse_backup_id(backup_id).strftime("%Y-%m-%d %H:%M")

    # ---- 1 -------------------------------------------------------------------------

    def test_1_restore_flow_over_s3_older_then_newer(self):
        """/start → database → the OLDER of two backups → Yes → Ready; the archive holds exactly
        that backup's data (tables, schema, large objects, sequences) and says which backup it is;
        then the newer backup replaces it after a "will be replaced" question."""
        db, archive = "flow_db", "flow_db_archive"
        self.write_config("flow/", [db])
        first = self.backup(db)[db]
        want_first = (self.pg.table_checksums(db), self.pg.schema_dump(db),
                      self.pg.large_objects_checksum(db), self.pg.sequence_values(db))
        time.sleep(1.05)  # ids have one-second resolution
        self.pg.psql(db, "create table later_rows as select g from generate_series(1, 10) g; "
                         "update sales.customers set city = 'Тверь' where id % 2 = 0; "
                         "select setval('sales.invoice_no', 1000001, true)")
        second = self.backup(db)[db]
        self.assertGreater(second, first)
        want_second = self.pg.table_checksums(db)
        self.assertNotEqual(want_first[0], want_second)
        self.start_bot()

        page = self.open_backup_list(db)
        self.assertIn("page 1 of 1", page["text"])
        self.assertEqual(len(page["buttons"]), 2, page)
        for b, backup_id in zip(page["buttons"], [second, first]):  # newest first
            self.assertTrue(b["text"].startswith(self.label_time(backup_id) + " · "), (b, backup_id))
        self.tg.press(page["buttons"][1]["callback_data"], page["id"])
        question = self.tg.wait_message(ADMIN, lambda m: m["id"] == page["id"] and m["text"].startswith("Restore "),
                                        "confirmation")
        self.assertEqual(question["text"], "Restore %s as of %s into %s?" % (db, self.label_time(first), archive))
        self.assertFalse(self.pg.db_exists(archive))  # nothing before Yes
        last = self.tg.last_id(ADMIN)
        self.tg.press(button(question, "Yes"), question["id"])
        done = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith(("Ready:", "Could not")), "result",
                                    timeout=120, newer_than=last)
        self.assertTrue(done["text"].startswith("Ready: database %s holds %s as of %s (restored in "
                                                % (archive, db, self.label_time(first))), done)
        self.assertEqual(self.archive_marker(archive)["backup"], first)
        self.assertEqual((self.pg.table_checksums(archive), self.pg.schema_dump(archive),
                          self.pg.large_objects_checksum(archive), self.pg.sequence_values(archive)), want_first)
        self.assertEqual(self.pg.table_checksums(db), want_second)  # the working database is untouched

        # The same question for the newer backup now warns that the archive will be replaced.
        page = self.open_backup_list(db)
        self.tg.press(page["buttons"][0]["callback_data"], page["id"])
        question = self.tg.wait_message(ADMIN, lambda m: m["id"] == page["id"] and m["text"].startswith("Restore "),
                                        "confirmation (replace)")
        self.assertEqual(question["text"], "Restore %s as of %s into %s? The previous archive will be replaced."
                         % (db, self.label_time(second), archive))
        last = self.tg.last_id(ADMIN)
        self.tg.press(button(question, "Yes"), question["id"])
        done = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith(("Ready:", "Could not")), "result 2",
                                    timeout=120, newer_than=last)
        self.assertTrue(done["text"].startswith("Ready: database %s holds %s as of %s"
                                                % (archive, db, self.label_time(second))), done)
        self.assertEqual(self.archive_marker(archive)["backup"], second)
        self.assertEqual(self.pg.table_checksums(archive), want_second)
        self.assertEqual(self.leftover_databases(), [])
        # Every request the bot made to S3 was signed right; nothing was uploaded by a restore.
        self.s3.assert_clean(self)
        self.assert_bot_alive()

    # ---- 2 -------------------------------------------------------------------------

    def test_2_paging_through_twenty_backups(self):
        """20 backups (1 real + 19 copies of it under other ids, at distinct hours): page 1 shows
        the 8 newest, › the next 8, › the last 4, ‹ goes back; every button's label is its
        backup's time, and pressing each of the 20 buttons asks about exactly that backup."""
        db = "paging_db"
        self.write_config("paging/", [db])
        real = self.backup(db)[db]
        # 19 more backups: the real object and manifest under other ids, uploaded in one go.
        folder = "paging/%s/" % encode_db_name(db)
        src = os.path.join(self.work, "src")
        os.makedirs(src)
        self.s3.aws("s3", "cp", "--recursive", "s3://%s/%s" % (self.s3.bucket, folder), src)
        with open(os.path.join(src, real + ".json"), encoding="utf-8") as f:
            manifest = json.load(f)
        with open(os.path.join(src, real + ".dump.zst"), "rb") as f:
            data = f.read()
        crafted = os.path.join(self.work, "crafted")
        os.makedirs(crafted)
        base = datetime.datetime(2024, 3, 1, 6, 0, tzinfo=datetime.timezone.utc)
        ids = [real]
        for i in range(19):
            when = base + datetime.timedelta(days=i, hours=i, minutes=7 * i)
            backup_id = when.strftime("%Y%m%dT%H%M%SZ")
            ids.append(backup_id)
            m = dict(manifest, id=backup_id, data_key=encode_db_name(db) + "/" + backup_id + ".dump.zst")
            with open(os.path.join(crafted, backup_id + ".json"), "w", encoding="utf-8") as f:
                json.dump(m, f, indent=2)
            with open(os.path.join(crafted, backup_id + ".dump.zst"), "wb") as f:
                f.write(data)
        self.assertEqual(manifest["data_key"], encode_db_name(db) + "/" + real + ".dump.zst", manifest)
        self.s3.aws("s3", "cp", "--recursive", crafted, "s3://%s/%s" % (self.s3.bucket, folder))
        listed = parse_json_output(run_bb(["list", db, "--json"], self.config, env=self.env, check=0))
        self.assertEqual(len(listed["backups"]), 20, listed)
        newest_first = sorted(ids, reverse=True)
        self.assertEqual(newest_first[0], real)
        self.start_bot()

        def page_ids(message, number):
            self.assertEqual(message["text"], "Database %s. Choose the moment to restore (newest first; page %d of 3):"
                             % (db, number))
            backups = [b for b in message["buttons"] if " · " in b["text"]]
            nav = [b["text"] for b in message["buttons"] if " · " not in b["text"]]
            return backups, nav

        def expect(backups, wanted):
            self.assertEqual([b["text"].split(" · ")[0] for b in backups], [self.label_time(i) for i in wanted])

        tokens = {}
        page = self.open_backup_list(db)
        backups, nav = page_ids(page, 1)
        expect(backups, newest_first[0:8])
        self.assertEqual(nav, ["older ›"])
        tokens.update({b["callback_data"]: i for b, i in zip(backups, newest_first[0:8])})

        self.tg.press(button(page, "older"), page["id"])
        page = self.tg.wait_message(ADMIN, lambda m: m["id"] == page["id"] and "page 2 of 3" in m["text"], "page 2")
        backups, nav = page_ids(page, 2)
        expect(backups, newest_first[8:16])
        self.assertEqual(nav, ["‹ newer", "older ›"])
        tokens.update({b["callback_data"]: i for b, i in zip(backups, newest_first[8:16])})
        page2_labels = [b["text"] for b in backups]

        self.tg.press(button(page, "older"), page["id"])
        page = self.tg.wait_message(ADMIN, lambda m: m["id"] == page["id"] and "page 3 of 3" in m["text"], "page 3")
        backups, nav = page_ids(page, 3)
        expect(backups, newest_first[16:20])
        self.assertEqual(nav, ["‹ newer"])
        tokens.update({b["callback_data"]: i for b, i in zip(backups, newest_first[16:20])})

        self.tg.press(button(page, "newer"), page["id"])
        page = self.tg.wait_message(ADMIN, lambda m: m["id"] == page["id"] and "page 2 of 3" in m["text"],
                                    "back to page 2")
        backups, nav = page_ids(page, 2)
        self.assertEqual([b["text"] for b in backups], page2_labels)
        self.assertEqual(nav, ["‹ newer", "older ›"])
        self.tg.press(button(page, "newer"), page["id"])
        page = self.tg.wait_message(ADMIN, lambda m: m["id"] == page["id"] and "page 1 of 3" in m["text"],
                                    "back to page 1")
        expect(page_ids(page, 1)[0], newest_first[0:8])

        # Every button (of every page, still valid) asks about its own backup.
        self.assertEqual(sorted(tokens.values()), sorted(ids))
        for token, backup_id in tokens.items():
            wanted = "Restore %s as of %s into %s_archive?" % (db, self.label_time(backup_id), db)
            self.tg.press(token, page["id"])
            self.tg.wait_message(ADMIN, lambda m: m["id"] == page["id"] and m["text"] == wanted,
                                 "question about " + backup_id, timeout=20)
        self.assertFalse(self.pg.db_exists("paging_db_archive"))  # questions only, no restore
        self.s3.assert_clean(self)
        self.assert_bot_alive()

    # ---- 3 -------------------------------------------------------------------------

    def test_3_corrupt_object_fails_in_plain_words_and_leaves_no_database(self):
        """A stored object with one flipped byte near its end (past the table of contents, so
        the restore gets as far as its temporary database): the bot says the backup is damaged,
        in words, and neither the archive nor a bb_restore_* database is left."""
        db, archive = "broken_db", "broken_db_archive"
        self.write_config("broken/", [db])
        backup_id = self.backup(db)[db]
        key = "broken/%s/%s.dump.zst" % (encode_db_name(db), backup_id)
        path = self.s3.fetch(key, os.path.join(self.work, "object"))
        with open(path, "r+b") as f:
            size = f.seek(0, os.SEEK_END)
            self.assertGreater(size, 4096)
            f.seek(size - 40)
            byte = f.read(1)
            f.seek(size - 40)
            f.write(bytes([byte[0] ^ 0x5A]))
        self.s3.aws("s3", "cp", path, "s3://%s/%s" % (self.s3.bucket, key))
        before = self.pg.databases()
        self.start_bot()

        page = self.open_backup_list(db)
        self.assertEqual(len(page["buttons"]), 1, page)
        self.tg.press(page["buttons"][0]["callback_data"], page["id"])
        question = self.tg.wait_message(ADMIN, lambda m: m["id"] == page["id"] and m["text"].startswith("Restore "),
                                        "confirmation")
        last = self.tg.last_id(ADMIN)
        self.tg.press(button(question, "Yes"), question["id"])
        done = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith(("Ready:", "Could not")), "result",
                                    timeout=120, newer_than=last)
        text = done["text"]
        self.assertTrue(text.startswith("Could not restore %s as of %s. Reason: " % (db, self.label_time(backup_id))),
                        text)
        self.assertIn("damaged", text)
        self.assertIn("The working database was not touched and no new database was created", text)
        for marker in STACK_TRACE_MARKERS:
            self.assertNotIn(marker, text)
        self.assertEqual(done["buttons"], [])
        # The restore did reach its temporary database, and removed it.
        log = self.bot_stderr()
        self.assertRegex(log, r"via temporary database bb_restore_")
        self.assertEqual(self.leftover_databases(archive), [])
        self.assertEqual(self.pg.databases(), before)
        self.s3.assert_clean(self)
        self.assert_bot_alive()

    def test_3b_damage_near_the_start_reported_without_command_line_advice(self):
        """A flipped byte in the middle of a small object (found while the table of contents is
        read, before any database exists): the same plain failure, nothing created — and the
        advice is one a person in Telegram can follow: no command-line flag such as
        "--backup ID" (the bot has no such flag; its user picks another backup with the buttons)."""
        db, archive = "paging_db", "paging_db_archive"
        self.write_config("damaged/", [db])
        backup_id = self.backup(db)[db]
        key = "damaged/%s/%s.dump.zst" % (encode_db_name(db), backup_id)
        path = self.s3.fetch(key, os.path.join(self.work, "object"))
        with open(path, "r+b") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(size // 2)
            byte = f.read(1)
            f.seek(size // 2)
            f.write(bytes([byte[0] ^ 0x5A]))
        self.s3.aws("s3", "cp", path, "s3://%s/%s" % (self.s3.bucket, key))
        before = self.pg.databases()
        self.start_bot()
        page = self.open_backup_list(db)
        self.tg.press(page["buttons"][0]["callback_data"], page["id"])
        question = self.tg.wait_message(ADMIN, lambda m: m["id"] == page["id"] and m["text"].startswith("Restore "),
                                        "confirmation")
        last = self.tg.last_id(ADMIN)
        self.tg.press(button(question, "Yes"), question["id"])
        done = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith(("Ready:", "Could not")), "result",
                                    timeout=120, newer_than=last)
        text = done["text"]
        self.assertTrue(text.startswith("Could not restore %s as of %s. Reason: " % (db, self.label_time(backup_id))),
                        text)
        self.assertIn("damaged", text)
        for marker in STACK_TRACE_MARKERS:
            self.assertNotIn(marker, text)
        self.assertNotIn("via temporary database", self.bot_stderr())  # failed before creating anything
        self.assertEqual(self.leftover_databases(archive), [])
        self.assertEqual(self.pg.databases(), before)
        self.s3.assert_clean(self)
        self.assert_bot_alive()
        # Once the reason ended in the CLI's "(--backup ID)"; errors now carry a Remedy that
        # the bot words itself (util/error.h), so no flag can reach its user.
        self.assertNotIn("--backup", text, "the bot tells its user to use a command-line flag")

    def test_3c_object_not_matching_its_manifest_is_called_damaged(self):
        """A stored object that is a valid zstd stream but not the bytes the manifest's SHA-256
        describes (one row of the first table's data changed, then recompressed): pg_restore
        fails on that row while megabytes are still to come. The bot must still say the backup
        is damaged (the manifest's size and SHA-256 exist to tell exactly this), not pass on
        pg_restore's COPY error; and nothing is left behind."""
        db, archive = "mismatch_db", "mismatch_db_archive"
        self.write_config("mismatch/", [db])
        backup_id = self.backup(db)[db]
        key = "mismatch/%s/%s.dump.zst" % (encode_db_name(db), backup_id)
        packed = self.s3.fetch(key, os.path.join(self.work, "object.zst"))
        dump = os.path.join(self.work, "object")
        subprocess.run(["zstd", "-q", "-d", "-f", packed, "-o", dump], check=True)
        with open(dump, "rb") as f:
            data = f.read()
        row = b"\x00\x00500\trow-500\n"  # -Z0 custom format: each row a block after its length
        self.assertEqual(data.count(row), 1)
        self.assertLess(data.index(row), len(data) // 4)  # the big table's megabytes follow
        with open(dump, "wb") as f:
            f.write(data.replace(row, b"\x00\x005x0\trow-500\n"))
        subprocess.run(["zstd", "-q", "-3", "-f", dump, "-o", packed], check=True)
        self.s3.aws("s3", "cp", packed, "s3://%s/%s" % (self.s3.bucket, key))
        before = self.pg.databases()
        self.start_bot()
        page = self.open_backup_list(db)
        self.tg.press(page["buttons"][0]["callback_data"], page["id"])
        question = self.tg.wait_message(ADMIN, lambda m: m["id"] == page["id"] and m["text"].startswith("Restore "),
                                        "confirmation")
        last = self.tg.last_id(ADMIN)
        self.tg.press(button(question, "Yes"), question["id"])
        done = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith(("Ready:", "Could not")), "result",
                                    timeout=120, newer_than=last)
        text = done["text"]
        self.assertTrue(text.startswith("Could not restore %s as of %s. Reason: " % (db, self.label_time(backup_id))),
                        text)
        self.assertEqual(self.leftover_databases(archive), [])
        self.assertEqual(self.pg.databases(), before)
        self.s3.assert_clean(self)
        self.assert_bot_alive()
        # Once the reason was pg_restore's "COPY failed for table ... invalid input syntax for
        # type integer"; a restore now reads the object to its end and checks size and SHA-256
        # before reporting, so the damage is named.
        self.assertIn("damaged", text)

    # ---- 4 -------------------------------------------------------------------------

    def test_4_requests_queue_behind_a_running_restore(self):
        """While a (slowed) restore of queue_a runs, a restore of queue_b is told it is number 1
        in the queue and a /backup of queue_a number 2; when A ends, B's message turns into
        "Starting…" and the backup's into number 1; all three run in order; both archives hold
        their own database's data."""
        self.write_config("queue/", ["queue_a", "queue_b"])
        ids = self.backup("queue_a", "queue_b")
        want_a, want_b = self.pg.table_checksums("queue_a"), self.pg.table_checksums("queue_b")
        self.assertNotEqual(want_a, want_b)
        self.start_bot()

        # Both questions first, so the second Yes can be pressed while the first restore runs.
        page_b = self.open_backup_list("queue_b")
        self.tg.press(page_b["buttons"][0]["callback_data"], page_b["id"])
        question_b = self.tg.wait_message(ADMIN, lambda m: m["id"] == page_b["id"] and m["text"].startswith(
            "Restore queue_b "), "question B")
        page_a = self.open_backup_list("queue_a")
        self.tg.press(page_a["buttons"][0]["callback_data"], page_a["id"])
        question_a = self.tg.wait_message(ADMIN, lambda m: m["id"] == page_a["id"] and m["text"].startswith(
            "Restore queue_a "), "question A")
        # A slow server for both restores: every read of either dump waits 3 s.
        self.s3.inject_faults([{"kind": "get_object", "action": "delay", "seconds": 3, "times": 10,
                                "key_contains": "/%s/" % name, "key_suffix": ".dump.zst"}
                               for name in ("queue_a", "queue_b")])

        last = self.tg.last_id(ADMIN)
        self.tg.press(button(question_a, "Yes"), question_a["id"])
        msg_a = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith("Starting to restore queue_a"),
                                     "A starts", newer_than=last, timeout=10)
        last = msg_a["id"]
        self.tg.press(button(question_b, "Yes"), question_b["id"])
        msg_b = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith("Request accepted"), "B queued",
                                     newer_than=last, timeout=5)
        self.assertIn("you are number 1 in the queue", msg_b["text"])
        self.tg.say("/backup queue_a")
        msg_c = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith("Request accepted"), "backup queued",
                                     newer_than=msg_b["id"], timeout=5)
        self.assertIn("you are number 2 in the queue", msg_c["text"])
        self.assertFalse(self.pg.db_exists("queue_a_archive"))  # A is still downloading

        def text_of(message_id):
            return next((m["text"] for m in self.tg.bot_messages(ADMIN) if m["id"] == message_id), "")

        # A ends; B starts in its own (queued) message; the backup moves up to number 1.
        wait_for(lambda: text_of(msg_a["id"]).startswith(("Ready:", "Could not")), timeout=60, what="A's result")
        self.assertTrue(text_of(msg_a["id"]).startswith("Ready: database queue_a_archive holds queue_a"),
                        text_of(msg_a["id"]))
        wait_for(lambda: "number 1 in the queue" in text_of(msg_c["id"]) or
                 text_of(msg_c["id"]).startswith(("Starting to back up", "Ready:", "Could not")),
                 timeout=20, what="the backup moving up")
        self.assertIn("number 1 in the queue", text_of(msg_c["id"]),
                      "the queued backup's message was not updated while B ran")
        self.assertFalse(text_of(msg_b["id"]).startswith("Request accepted"), text_of(msg_b["id"]))
        wait_for(lambda: text_of(msg_b["id"]).startswith(("Ready:", "Could not")), timeout=60, what="B's result")
        self.assertTrue(text_of(msg_b["id"]).startswith("Ready: database queue_b_archive holds queue_b as of %s"
                                                        % self.label_time(ids["queue_b"])), text_of(msg_b["id"]))
        wait_for(lambda: text_of(msg_c["id"]).startswith(("Ready:", "Could not")), timeout=60,
                 what="the backup's result")
        self.assertTrue(text_of(msg_c["id"]).startswith("Ready: a backup of queue_a"), text_of(msg_c["id"]))

        self.assertEqual(self.pg.table_checksums("queue_a_archive"), want_a)
        self.assertEqual(self.pg.table_checksums("queue_b_archive"), want_b)
        marker_a, marker_b = self.archive_marker("queue_a_archive"), self.archive_marker("queue_b_archive")
        self.assertEqual((marker_a["backup"], marker_b["backup"]), (ids["queue_a"], ids["queue_b"]))
        self.assertLess(marker_a["restored_at"], marker_b["restored_at"])
        # One job at a time, in the order asked for.
        started = re.findall(r"telegram: user %d started (a restore of \S+|a backup of \S+)" % ADMIN,
                             self.bot_stderr())
        self.assertEqual(started, ['a restore of "queue_a"', 'a restore of "queue_b"', 'a backup of "queue_a"'],
                         self.bot_stderr())
        # The bot's backup is the newest (retention may have pruned the older one of the day).
        backups = parse_json_output(run_bb(["list", "queue_a", "--json"], self.config, env=self.env, check=0))
        self.assertGreater(backups["backups"][0]["id"], ids["queue_a"], backups)
        self.assertEqual(self.leftover_databases(), [])
        self.s3.assert_clean(self)
        self.assert_bot_alive()

    # ---- 5 -------------------------------------------------------------------------

    def test_5_strangers_press_of_the_admins_yes_does_nothing(self):
        """A non-admin replays the admin's real "Yes, restore" token (in the admin's chat and in
        their own): no restore, no storage read, no message, not even an answerCallbackQuery;
        the token is not used up: the admin's own press still restores."""
        db, archive = "forged_db", "forged_db_archive"
        self.write_config("forged/", [db])
        self.backup(db)
        want = self.pg.table_checksums(db)
        self.start_bot()
        page = self.open_backup_list(db)
        self.tg.press(page["buttons"][0]["callback_data"], page["id"])
        question = self.tg.wait_message(ADMIN, lambda m: m["id"] == page["id"] and m["text"].startswith("Restore "),
                                        "confirmation")
        yes = button(question, "Yes")
        time.sleep(0.5)
        answers = len(self.relay.calls("answerCallbackQuery"))
        self.assertEqual(answers, 2)  # the admin's two presses so far
        gets_before = self.s3.proxy_state()["by_kind"].get("get_object", 0)
        admin_before = self.tg.bot_messages(ADMIN)
        databases = self.pg.databases()

        self.tg.press(yes, question["id"], user=STRANGER, chat=ADMIN)
        self.tg.press(yes, question["id"], user=STRANGER)
        self.tg.press(button(question, "No"), question["id"], user=STRANGER, chat=ADMIN)
        # The bot has read all three updates once a later admin message is answered.
        last = self.tg.last_id(ADMIN)
        self.tg.say("/help")
        self.tg.wait_message(ADMIN, lambda m: m["text"].startswith("I help you"), "help", newer_than=last)
        help_id = self.tg.last_id(ADMIN)
        time.sleep(1.0)
        self.assertEqual(len(self.relay.calls("answerCallbackQuery")), answers)
        self.assertEqual(self.tg.bot_messages(STRANGER), [])
        self.assertEqual([m for m in self.tg.bot_messages(ADMIN) if m["id"] != help_id], admin_before)
        self.assertEqual(self.pg.databases(), databases)
        self.assertEqual(self.s3.proxy_state()["by_kind"].get("get_object", 0), gets_before)
        sent_to = {(b or {}).get("chat_id") for m, b in self.relay.calls() if m in ("sendMessage", "editMessageText")}
        self.assertNotIn(STRANGER, sent_to)
        self.assertNotIn(str(STRANGER), sent_to)

        # The admin's own press of the same button still works.
        last = self.tg.last_id(ADMIN)
        self.tg.press(yes, question["id"])
        done = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith(("Ready:", "Could not")), "result",
                                    timeout=120, newer_than=last)
        self.assertTrue(done["text"].startswith("Ready: database %s holds %s" % (archive, db)), done)
        self.assertEqual(self.pg.table_checksums(archive), want)
        self.assertEqual(len(self.relay.calls("answerCallbackQuery")), answers + 1)
        self.stop_bot()
        self.assertEqual(self.bot.returncode, 0)
        self.assertEqual(self.bot_stderr().count("ignoring user id %d" % STRANGER), 1, self.bot_stderr())
        self.s3.assert_clean(self)


if __name__ == "__main__":
    unittest.main()
