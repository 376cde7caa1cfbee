"""The Telegram bot end to end: the real `backupbuddy bot` against the telegram-test-api
emulator, a throwaway PostgreSQL 15 cluster and local storage. The test acts as a person
through the emulator's client API (sendMessage, sendCallback, getUpdatesHistory).

Run: cd tests/integration && BB_BINARY=.../backupbuddy /usr/bin/python3 -m unittest -v test_bot
Needs tests/tools/node_modules (npm ci in tests/tools) and node on PATH.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import pgenv
from bbenv import parse_json_output, run_bb, start_bb, write_config, local_config
from tgenv import ADMIN, ARCHIVE, SOURCE, STRANGER, TOKEN, Emulator, button

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.environ.get("BB_TOOLS_DIR") or os.path.join(HERE, "..", "tools")
class BotEndToEnd(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.bot = cls.tg = cls.pg = None
        try:
            cls._start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _start(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bb-bot-")
        cls.pg = pgenv.PgCluster()
        cls.pg.__enter__()
        cls.tg = Emulator().__enter__()
        cls.pg.create_db(SOURCE)
        pgenv.fill_fidelity_db(cls.pg, SOURCE, rows=400)
        cls.store = os.path.join(cls.tmp, "store")
        cls.state = os.path.join(cls.tmp, "state")
        config = local_config(cls.pg, cls.store, cls.state, [SOURCE],
                              backup={"state_dir": cls.state, "timezone": "UTC"},
                              telegram={"token": TOKEN, "admins": [ADMIN], "api_url": cls.tg.url,
                                        "language": "en"})
        cls.config = write_config(os.path.join(cls.tmp, "bb.toml"), config)
        # Two backups with different data: the restore must bring back the older one.
        run_bb(["backup", "--no-prune"], cls.config, check=0)
        cls.first_checksums = cls.pg.table_checksums(SOURCE)
        time.sleep(1.1)
        cls.pg.psql(SOURCE, "create table later_rows as select g from generate_series(1, 10) g")
        run_bb(["backup", "--no-prune"], cls.config, check=0)
        cls.bot = start_bb(["bot"], cls.config)

    @classmethod
    def tearDownClass(cls):
        if cls.bot and cls.bot.poll() is None:
            cls.bot.kill()
            cls.bot.wait()
        if cls.tg:
            cls.tg.__exit__(None, None, None)
        if cls.pg:
            cls.pg.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assert_bot_alive(self):
        if self.bot.poll() is not None:
            raise AssertionError("the bot exited with %s:\n%s" % (self.bot.returncode, self.bot.stderr.read()))

    def backups_of(self, db):
        return parse_json_output(run_bb(["list", db, "--json"], self.config, check=0))

    # Tests run in name order; each leaves the bot running for the next.

    def test_1_restore_flow_as_a_person(self):
        self.assert_bot_alive()
        self.tg.say("/start")
        menu = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith("Which database"), "database menu")
        self.tg.press(button(menu, SOURCE), menu["id"])
        page = self.tg.wait_message(ADMIN, lambda m: m["id"] == menu["id"] and m["text"].startswith("Database "),
                                    "backup list")
        self.assertEqual(len(page["buttons"]), 2, page)
        older = page["buttons"][1]  # newest first: the second is the first backup
        self.tg.press(older["callback_data"], page["id"])
        question = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith("Restore "), "confirmation")
        self.assertIn("into %s?" % ARCHIVE, question["text"])
        self.tg.press(button(question, "Yes"), question["id"])
        done = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith(("Ready:", "Could not")), "result",
                                    timeout=120)
        self.assertTrue(done["text"].startswith("Ready: database %s holds %s as of " % (ARCHIVE, SOURCE)), done)
        # The row check, in the done message (issue 18).
        self.assertRegex(done["text"], r"\n\d+ tables, \d+ rows, all as in the backup\.$")
        self.assertTrue(self.pg.db_exists(ARCHIVE))
        self.assertEqual(self.pg.table_checksums(ARCHIVE), self.first_checksums)
        self.assertNotEqual(self.pg.table_checksums(SOURCE), self.first_checksums)  # source untouched, newer

    def test_2_stranger_gets_nothing(self):
        self.assert_bot_alive()
        before = self.pg.databases()
        self.tg.say("/start", user=STRANGER)
        self.tg.say("/backup %s" % SOURCE, user=STRANGER)
        # A stranger pressing a real button of the admin's chat.
        last = self.tg.last_id(ADMIN)
        self.tg.say("/start")
        menu = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith("Which database"), "fresh menu",
                                    newer_than=last)
        admin_count = len(self.tg.bot_messages(ADMIN))
        self.tg.press(button(menu, SOURCE), menu["id"], user=STRANGER, chat=ADMIN)
        time.sleep(2.5)
        self.assertEqual(self.tg.bot_messages(STRANGER), [])
        self.assertEqual(len(self.tg.bot_messages(ADMIN)), admin_count)
        self.assertTrue(self.tg.bot_messages(ADMIN)[-1]["text"].startswith("Which database"))  # not edited
        self.assertEqual(self.pg.databases(), before)
        self.assertEqual(len(self.backups_of(SOURCE)["backups"]), 2)

    def test_3_forged_callback_restores_nothing(self):
        self.assert_bot_alive()
        self.pg.drop_db(ARCHIVE)
        before = self.pg.databases()
        for forged in ["restore:%s:latest" % SOURCE, "ozzzzzz", "x" * 64]:
            last = self.tg.last_id(ADMIN)
            self.tg.press(forged, 1)
            reply = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith("This button"), "error reply",
                                         newer_than=last)
            self.assertIn("not valid", reply["text"])
        time.sleep(1)
        self.assertEqual(self.pg.databases(), before)

    def test_4_archives_drop(self):
        self.assert_bot_alive()
        run_bb(["restore", SOURCE], self.config, check=0)
        self.assertTrue(self.pg.db_exists(ARCHIVE))
        # Another config's archive on the same server: not this bot's to offer or drop.
        theirs = "theirs_archive"
        self.pg.create_db(theirs)
        self.addCleanup(self.pg.drop_db, theirs)
        self.pg.psql("postgres", "comment on database %s is %s" % (pgenv.quote_ident(theirs), pgenv.quote_literal(
            'backupbuddy-archive {"source":"theirs","backup":"20240919T010000Z","restored_at":"2024-09-20T00:00:00Z"}')))
        self.tg.say("/archives")
        msg = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith("Archive databases"), "archives")
        self.assertNotIn(theirs, msg["text"])
        self.assertEqual(len(msg["buttons"]), 1, msg)
        listed = parse_json_output(run_bb(["archives", "--json"], self.config, check=0))
        self.assertEqual([a["name"] for a in listed["archives"]], [ARCHIVE])
        self.tg.press(button(msg, "Delete %s" % ARCHIVE), msg["id"])
        confirm = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith("Delete the archive"), "confirm")
        self.assertTrue(self.pg.db_exists(ARCHIVE))  # nothing before the confirmation
        self.tg.press(button(confirm, "Yes, delete"), confirm["id"])
        self.tg.wait_message(ADMIN, lambda m: "was deleted" in m["text"], "dropped")
        self.assertFalse(self.pg.db_exists(ARCHIVE))
        self.assertTrue(self.pg.db_exists(SOURCE))

    def test_5_on_demand_backup(self):
        self.assert_bot_alive()
        before = {b["id"] for b in self.backups_of(SOURCE)["backups"]}
        time.sleep(1.1)
        self.tg.say("/backup %s" % SOURCE)
        done = self.tg.wait_message(ADMIN, lambda m: m["text"].startswith(("Ready: a backup", "Could not back up")),
                                    "backup result", timeout=120)
        self.assertTrue(done["text"].startswith("Ready: a backup of %s" % SOURCE), done)
        # A new backup exists (and, like every run, it applied retention afterwards).
        after = self.backups_of(SOURCE)["backups"]
        self.assertNotIn(after[0]["id"], before)
        self.assertGreater(after[0]["id"], max(before))
        self.tg.say("/backup postgres")
        self.tg.wait_message(ADMIN, lambda m: "not on the list" in m["text"], "refusal")

    def test_5b_commands_for_another_bot_are_ignored(self):
        # In a group with several bots, "/start@OtherBot" is for that bot. The emulator's
        # getMe names this one TestNameBot; Telegram usernames ignore case.
        self.assert_bot_alive()
        group = -100777

        def say_in_group(text):
            self.tg.post("/sendMessage", {"botToken": TOKEN, "date": int(time.time()), "text": text,
                                          "from": {"id": ADMIN, "first_name": "Admin", "is_bot": False},
                                          "chat": {"id": group, "type": "group", "title": "Accounting"}})

        say_in_group("/start@OtherBot")
        say_in_group("/backup@OtherBot %s" % SOURCE)
        say_in_group("/help@OtherBot")
        time.sleep(2.5)
        self.assertEqual(self.tg.bot_messages(group), [])
        say_in_group("/start@TestNameBot")
        first = self.tg.wait_message(group, lambda m: m["text"].startswith("Which database"), "menu for @TestNameBot")
        say_in_group("/start@testnamebot")
        self.tg.wait_message(group, lambda m: m["text"].startswith("Which database"), "menu for @testnamebot",
                             newer_than=first["id"])
        say_in_group("/list")
        self.tg.wait_message(group, lambda m: m["text"].startswith("Saved databases"), "answer to a bare /list")
        self.assertEqual(len(self.tg.bot_messages(group)), 3)

    def test_6_sigterm_stops_cleanly(self):
        self.assert_bot_alive()
        self.bot.send_signal(signal.SIGTERM)
        try:
            _out, err = self.bot.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.bot.kill()
            raise AssertionError("the bot did not stop within 10 s of SIGTERM")
        self.assertEqual(self.bot.returncode, 0, err)
        self.assertNotIn(TOKEN, err)
        self.assertNotIn(TOKEN.split(":")[1], err)
        self.assertEqual(err.count("ignoring user id %d" % STRANGER), 1, err)


if __name__ == "__main__":
    unittest.main()
