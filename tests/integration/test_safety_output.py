"""Safety of what the binary prints and keeps (issue 14, items 4 and 6): names with control
characters never break a table, huge config values never make a huge error, a --json
command that fails still prints one JSON document, an oversized manifest is refused
before it is parsed, `archives` offers only this config's archives, and a database that
does not exist leaves no entry in the state file.

Run: cd tests/integration && BB_BINARY=.../backupbuddy /usr/bin/python3 -m unittest -v test_safety_output
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import unittest

import bbenv
import pgenv
from bbenv import describe, parse_json_output, run_bb, write_config
from fixtures import class_cluster, class_workdir

NEWLINE_DB = "db\nline"
ESCAPED = '"db\\x0Aline'  # how every table shows it (as the log lines do), maybe with a suffix
ARCHIVE_COMMENT = 'backupbuddy-archive {"source":%s,"backup":"20240919T010000Z","restored_at":"2024-09-20T00:00:00Z"}'


class SafetyBase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = class_workdir(cls, "bb-safety-output-")
        cls.pg = class_cluster(cls)

    def setUp(self):
        name = self.id().rsplit(".", 1)[-1]
        self.dir = os.path.join(self.tmp, name)
        os.makedirs(self.dir)
        self.store = os.path.join(self.dir, "store")
        self.state = os.path.join(self.dir, "state")

    def make_db(self, name, rows=20):
        self.pg.drop_db(name)
        self.pg.create_db(name)
        self.pg.psql(name, "create table t(id int primary key, v text); "
                           "insert into t select g, 'row ' || g from generate_series(1, %d) g;" % rows)

    def config(self, databases, filename="bb.toml", **sections):
        return write_config(os.path.join(self.dir, filename),
                            bbenv.local_config(self.pg, self.store, self.state, databases, **sections))

    def fake_archive(self, name, source):
        """A database carrying BackupBuddy's archive marker for `source` (as a restore leaves it)."""
        self.pg.drop_db(name)
        self.pg.create_db(name)
        self.addCleanup(self.pg.drop_db, name)
        comment = ARCHIVE_COMMENT % json.dumps(source)
        self.pg.psql("postgres", "comment on database %s is %s" % (pgenv.quote_ident(name),
                                                                  pgenv.quote_literal(comment)))


class ControlCharactersInNames(SafetyBase):
    """Item 4: a database called "db<newline>line" in every table the CLI prints."""

    def assert_escaped(self, proc, what):
        self.assertNotIn(NEWLINE_DB, proc.stdout, describe(proc, what + ": the raw newline of the name breaks the table"))
        self.assertIn(ESCAPED, proc.stdout, describe(proc, what + ": the name must be shown escaped, as in the logs"))

    def test_every_table_escapes_the_name(self):
        self.make_db(NEWLINE_DB)
        cfg = self.config([NEWLINE_DB])
        proc = run_bb(["backup"], cfg, check=0)
        self.assert_escaped(proc, "backup summary")
        self.assert_escaped(run_bb(["list"], cfg, check=0), "list")
        proc = run_bb(["list", "--", NEWLINE_DB], cfg, check=0)
        self.assertNotIn(NEWLINE_DB, proc.stdout, describe(proc, "list DB"))
        self.assertEqual(len(proc.stdout.splitlines()), 2, describe(proc, "list DB: a header and one backup"))
        self.assert_escaped(run_bb(["list", "--", NEWLINE_DB + "x"], cfg, check=0), "list DB without backups")
        self.assert_escaped(run_bb(["prune", "--dry-run"], cfg, check=0), "prune")
        self.assert_escaped(run_bb(["status"], cfg, check=0), "status")
        self.assert_escaped(run_bb(["check"], cfg), "check")
        proc = run_bb(["restore", "--", NEWLINE_DB], cfg, check=0)
        self.assertTrue(self.pg.db_exists(NEWLINE_DB + "_archive"), describe(proc))
        proc = run_bb(["archives"], cfg, check=0)
        self.assert_escaped(proc, "archives")
        self.assertIn('"db\\x0Aline_archive"', proc.stdout)
        # A name with no control character is shown as it is.
        self.make_db("plain_db")
        plain = self.config(["plain_db"], filename="plain.toml")
        proc = run_bb(["backup"], plain, check=0)
        self.assertRegex(proc.stdout, r"(?m)^plain_db +ok ")
        # --json is not a table: JSON escapes the newline itself and keeps the exact name.
        listed = parse_json_output(run_bb(["list", "--json"], cfg, check=0))
        self.assertIn(NEWLINE_DB, [d["name"] for d in listed["databases"]])
        one = parse_json_output(run_bb(["list", "--json", "--", NEWLINE_DB], cfg, check=0))
        self.assertEqual(one["database"], NEWLINE_DB)
        archives = parse_json_output(run_bb(["archives", "--json"], cfg, check=0))
        self.assertIn(NEWLINE_DB + "_archive", [a["name"] for a in archives["archives"]])
        self.pg.drop_db(NEWLINE_DB + "_archive")


class HugeConfigValues(SafetyBase):
    """Item 4: a 10 MB value in the config gives an error of a few hundred bytes."""

    BIG = "x" * (10 * 1024 * 1024)

    def test_error_is_short_and_names_key_and_line(self):
        big = self.BIG
        cases = {
            # name: (TOML text, the key the error must name, its line)
            "storage_type": ('[storage]\ntype = "%s"\n' % big, "storage.type", 2),
            "duration": ('[storage]\ntype = "local"\npath = "/tmp/x"\ntimeout = "%s"\n' % big, "storage.timeout", 4),
            "duration_unit": ('[storage]\ntype = "local"\npath = "/tmp/x"\ntimeout = "1%s"\n' % big,
                              "storage.timeout", 4),
            "size": ('[storage]\ntype = "local"\npath = "/tmp/x"\npart_size = "%s"\n' % big, "storage.part_size", 4),
            "provider": ('[storage]\nprovider = "%s"\n' % big, "storage.provider", 2),
            "schedule": ('[backup]\n\nschedule = "%s"\n' % big, "backup.schedule", 3),
            "timezone": ('[backup]\ntimezone = "%s"\n' % big, "backup.timezone", 2),
            "recipients": ('[encryption]\nrecipients = ["%s"]\n' % big, "encryption.recipients", 2),
            "unknown_key": ('[backup]\n%s = 1\n' % big, "unknown key \"backup.", 2),
            "database_twice": ('[[databases]]\nname = "%s"\n[[databases]]\nname = "%s"\n' % (big, big),
                               "listed twice", 3),
        }
        for name, (text, key, line) in cases.items():
            with self.subTest(name):
                path = os.path.join(self.dir, name + ".toml")
                with open(path, "w") as f:
                    f.write(text)
                proc = run_bb(["list"], path, timeout=120)
                self.assertEqual(proc.returncode, 2, describe(proc))
                self.assertLess(len(proc.stdout) + len(proc.stderr), 4096,
                                "%s: %d bytes of output for a 10 MB value:\n%s..." % (
                                    name, len(proc.stderr), proc.stderr[:600]))
                self.assertIn("%s:%d" % (path, line), proc.stderr)
                self.assertIn(key, proc.stderr)
                self.assertRegex(proc.stderr, r"\(\d{8} bytes\)")  # cut, with the full size said


class JsonErrors(SafetyBase):
    """Item 6a: a --json command that fails prints {"error": {...}} on stdout."""

    def assert_json_error(self, proc, code, kind):
        self.assertEqual(proc.returncode, code, describe(proc))
        doc = parse_json_output(proc)
        self.assertEqual(set(doc), {"error"}, describe(proc))
        self.assertEqual(doc["error"]["code"], code)
        self.assertEqual(doc["error"]["kind"], kind)
        self.assertTrue(doc["error"]["message"])
        self.assertIn(doc["error"]["message"].split(" — ")[0], proc.stderr)  # the same words as on stderr
        return doc["error"]

    def test_lock_held_and_other_failures(self):
        self.make_db("json_db")
        cfg = self.config(["json_db"])
        os.makedirs(self.state, exist_ok=True)
        with open(os.path.join(self.state, "backup.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            lock.write("pid 1 on test, `backupbuddy backup` since now\n")
            lock.flush()
            proc = run_bb(["backup", "--json"], cfg)
            error = self.assert_json_error(proc, 3, "lock_held")
            self.assertIn("another BackupBuddy run", error["message"])
        proc = run_bb(["restore", "--json", "no_backups_here"], cfg)
        self.assert_json_error(proc, 1, "failed")
        broken = write_config(os.path.join(self.dir, "broken.toml"), '[storage]\ntype = "floppy"\n')
        proc = run_bb(["list", "--json"], broken)
        self.assert_json_error(proc, 2, "config")
        proc = run_bb(["list", "--json", "--no-such-option"], cfg)
        self.assert_json_error(proc, 2, "usage")
        # Without --json stdout stays empty, as before.
        proc = run_bb(["list"], broken)
        self.assertEqual((proc.returncode, proc.stdout), (2, ""), describe(proc))
        # A command that succeeds prints its result only.
        doc = parse_json_output(run_bb(["backup", "--json"], cfg, check=0))
        self.assertNotIn("error", doc)


class OversizedManifest(SafetyBase):
    """Item 6b: a 70 MB object named like a manifest is refused before it is parsed."""

    def max_rss_kib(self, args, cfg):
        """Runs the binary in a fresh Python child and returns (exit, stdout, stderr, max RSS of the binary)."""
        probe = ("import json, resource, subprocess, sys\n"
                 "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
                 "print(json.dumps([p.returncode, p.stdout.decode('utf-8', 'replace'), "
                 "p.stderr.decode('utf-8', 'replace'), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n")
        out = subprocess.run([sys.executable, "-c", probe] + bbenv.bb_argv(args, cfg), stdout=subprocess.PIPE,
                             env=bbenv.clean_env(), timeout=300, check=True, text=True)
        return json.loads(out.stdout)

    def test_list_refuses_it_with_low_memory(self):
        self.make_db("big_manifest")
        cfg = self.config(["big_manifest"])
        good = parse_json_output(run_bb(["backup", "--json"], cfg, check=0))["results"][0]["id"]
        folder = os.path.join(self.store, "big_manifest")
        bad = "20200102T030405Z"
        shutil.copyfile(os.path.join(folder, good + ".dump.zst"), os.path.join(folder, bad + ".dump.zst"))
        with open(os.path.join(folder, bad + ".json"), "w") as f:
            # Valid JSON, so that an unbounded reader parses all of it.
            f.write('{"format_version": 1, "database": "big_manifest", "padding": "')
            f.write("x" * (70 * 1000 * 1000))
            f.write('"}')
        code, stdout, stderr, rss_kib = self.max_rss_kib(["list", "--json", "big_manifest"], cfg)
        self.assertEqual(code, 0, stderr)
        self.assertLess(rss_kib, 100 * 1024, "list used %d MiB for a 70 MB manifest" % (rss_kib // 1024))
        backups = {b["id"]: b for b in json.loads(stdout)["backups"]}
        self.assertNotIn("problem", backups[good])
        problem = backups[bad].get("problem", "")
        self.assertIn(bad + ".json", problem)
        self.assertIn("too large to be a BackupBuddy manifest", problem)
        code, stdout, stderr, rss_kib = self.max_rss_kib(["list", "big_manifest"], cfg)
        self.assertIn("NOT TRUSTED", stdout)
        self.assertIn("too large to be a BackupBuddy manifest", stdout)
        self.assertLess(rss_kib, 100 * 1024)


class ArchivesOfThisConfig(SafetyBase):
    """Item 6c: `archives` lists and drops only archives of the configured databases."""

    def test_other_sources_need_all(self):
        self.fake_archive("mine_archive", "mine")
        self.fake_archive("theirs_archive", "theirs")
        cfg = self.config(["mine"])
        proc = run_bb(["archives"], cfg, check=0)
        self.assertIn("mine_archive", proc.stdout)
        self.assertNotIn("theirs_archive", proc.stdout, describe(proc, "another config's archive is listed"))
        self.assertIn("--all", proc.stdout)
        doc = parse_json_output(run_bb(["archives", "--json"], cfg, check=0))
        self.assertEqual([a["name"] for a in doc["archives"]], ["mine_archive"])
        self.assertEqual(doc["other_archives"], 1)
        doc = parse_json_output(run_bb(["archives", "--json", "--all"], cfg, check=0))
        self.assertEqual(sorted(a["name"] for a in doc["archives"]), ["mine_archive", "theirs_archive"])
        # Dropping another config's archive by name needs --all.
        proc = run_bb(["archives", "--drop", "theirs_archive"], cfg)
        self.assertEqual(proc.returncode, 1, describe(proc))
        self.assertIn("--all", proc.stderr)
        self.assertIn('"theirs"', proc.stderr)
        self.assertTrue(self.pg.db_exists("theirs_archive"))
        run_bb(["archives", "--drop", "theirs_archive", "--all"], cfg, check=0)
        self.assertFalse(self.pg.db_exists("theirs_archive"))
        run_bb(["archives", "--drop", "mine_archive"], cfg, check=0)
        self.assertFalse(self.pg.db_exists("mine_archive"))
        # The bot offers the same archives: its /archives is covered by conversation_test
        # (ArchivesOfOtherSourcesAreNotOffered) over CoreBackend's configured_source flag.

    def test_all_databases_counts_every_database_on_the_server(self):
        self.make_db("srv_db")
        self.fake_archive("srv_db_archive", "srv_db")
        self.fake_archive("gone_archive", "gone_db")  # its source is not on this server
        self.fake_archive("skipped_archive", "skipped_db")
        self.make_db("skipped_db")
        cfg = self.config([], backup={"state_dir": self.state, "all_databases": True, "exclude": ["skipped_db"]})
        names = [a["name"] for a in parse_json_output(run_bb(["archives", "--json"], cfg, check=0))["archives"]]
        self.assertIn("srv_db_archive", names)
        self.assertNotIn("gone_archive", names)
        self.assertNotIn("skipped_archive", names)


class MissingDatabaseState(SafetyBase):
    """Item 6d: a database that does not exist is not kept in the state file."""

    def state_names(self):
        path = os.path.join(self.state, "state.json")
        if not os.path.exists(path):
            return set()
        with open(path) as f:
            return set(json.load(f)["databases"])

    def test_missing_database_leaves_no_entry(self):
        self.make_db("real_db")
        self.make_db("closed_db")
        cfg = self.config(["real_db", "configured_but_gone"])
        proc = run_bb(["backup", "nosuchdb"], cfg)
        self.assertEqual(proc.returncode, 1, describe(proc))
        self.assertIn("does not exist", proc.stderr)
        self.assertNotIn("nosuchdb", self.state_names())
        status = run_bb(["status"], cfg, check=0)
        self.assertNotIn("nosuchdb", status.stdout)
        doc = parse_json_output(run_bb(["status", "--json"], cfg, check=0))
        self.assertNotIn("nosuchdb", [d["database"] for d in doc["databases"]])
        # A failure of an existing database is still recorded, as is a [[databases]] entry
        # that is missing on the server (a config problem that status must show).
        self.pg.psql("postgres", "alter database closed_db allow_connections false")
        try:
            run_bb(["backup", "closed_db"], cfg, check=1)
        finally:
            self.pg.psql("postgres", "alter database closed_db allow_connections true")
        run_bb(["backup"], cfg, check=1)
        self.assertEqual(self.state_names(), {"real_db", "closed_db", "configured_but_gone"})
        doc = {d["database"]: d for d in parse_json_output(run_bb(["status", "--json"], cfg, check=0))["databases"]}
        self.assertFalse(doc["closed_db"]["backup_ok"])
        self.assertFalse(doc["configured_but_gone"]["backup_ok"])
        self.assertTrue(doc["real_db"]["backup_ok"])


if __name__ == "__main__":
    unittest.main()
