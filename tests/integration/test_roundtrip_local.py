"""Backup -> restore through the real binary with the LOCAL storage driver.

One throwaway PostgreSQL 15 cluster for the whole file; each test uses its own
databases, store folder, state folder (lock file) and config file.
Run: cd tests/integration && BB_BINARY=.../backupbuddy /usr/bin/python3 -m unittest -v test_roundtrip_local
"""

import glob
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import unittest
import datetime

import bbenv
import pgenv
from bbenv import (bookkeeping_key, describe, encode_db_name, last_line, parse_backup_id, parse_iso_utc,
                   parse_json_output, run_bb, start_bb, write_config, local_config)
from pgenv import quote_literal
from bbenv import wait_for

ID_RE = re.compile(r"^\d{8}T\d{6}Z$")
TEMPLATES = {"template0", "template1"}




def sleep_to_next_second(extra=0.0):
    """Backup ids have one-second resolution: make the next id a new one."""
    time.sleep(1.05 - (time.time() % 1.0) + extra)


def find_sha256_values(manifest):
    """Every value under a key that looks like sha256 (anywhere in the manifest)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if re.search(r"sha-?256", k, re.I) and isinstance(v, str):
                    found.append(v.lower())
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(manifest)
    return found


class TableLock:
    """Holds ACCESS EXCLUSIVE on a table in an open transaction (psql in the background),
    so that a pg_dump of that database blocks until release()."""

    def __init__(self, cluster, db, table):
        self.cluster, self.db, self.table = cluster, db, table
        self.proc = None

    def __enter__(self):
        argv = [os.path.join(pgenv.PG_BIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=self.cluster.env(self.db),
                                     text=True)
        self.proc.stdin.write("begin;\nlock table %s in access exclusive mode;\n" % self.table)
        self.proc.stdin.flush()
        wait_for(lambda: self.cluster.query_value(self.db, (
            "select count(*) from pg_locks where relation = %s::regclass "
            "and mode = 'AccessExclusiveLock' and granted") % quote_literal(self.table)) == "1",
            timeout=30, what="the table lock")
        return self

    def waiters(self):
        """How many sessions wait for this table (a blocked pg_dump shows up here)."""
        return int(self.cluster.query_value(self.db, (
            "select count(*) from pg_locks where relation = %s::regclass and not granted")
            % quote_literal(self.table)))

    def release(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.stdin.write("commit;\n")
                self.proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __exit__(self, *exc):
        self.release()
        return False


def kill_tree_leftovers(proc):
    if proc is not None and proc.poll() is None:
        proc.kill()
        try:
            proc.communicate(timeout=30)
        except Exception:
            pass


class RoundTripLocal(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(bbenv.BB_BINARY):
            raise unittest.SkipTest("binary %s not built" % bbenv.BB_BINARY)
        cls.tmp = tempfile.mkdtemp(prefix="bb-it-local-")
        os.chmod(cls.tmp, 0o755)
        if not os.environ.get("BB_KEEP_TMP"):
            cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.pg = pgenv.PgCluster()
        cls.pg.start()
        cls.addClassCleanup(cls.pg.stop)

    # ---- helpers ---------------------------------------------------------------

    def setUp(self):
        name = self.id().rsplit(".", 1)[-1]
        self.dir = os.path.join(self.tmp, name)
        os.makedirs(self.dir)
        self.store = os.path.join(self.dir, "store")
        self.state = os.path.join(self.dir, "state")
        os.makedirs(self.store)
        os.makedirs(self.state)
        self._background = []

    def tearDown(self):
        for proc in self._background:
            kill_tree_leftovers(proc)

    def config(self, databases=(), filename="bb.toml", **sections):
        path = os.path.join(self.dir, filename)
        return write_config(path, local_config(self.pg, self.store, self.state, databases,
                                               **sections))

    def make_db(self, name, fidelity=False, rows=3000):
        self.pg.drop_db(name)
        self.pg.create_db(name)
        if fidelity:
            pgenv.fill_fidelity_db(self.pg, name, rows=rows)
        else:
            self.pg.psql(name, "create table t (id int primary key, v text);"
                               "insert into t select g, 'row ' || g from generate_series(1, 100) g;")
        return name

    def db_dir(self, db):
        return os.path.join(self.store, encode_db_name(db))

    def stored_files(self, db):
        d = self.db_dir(db)
        if not os.path.isdir(d):
            return []
        return sorted(os.listdir(d))

    def backup_ok(self, cfg, *dbs):
        proc = run_bb(["backup", *dbs, "--json"], cfg, check=0)
        results = parse_json_output(proc)["results"]
        for r in results:
            self.assertTrue(r["ok"], describe(proc, "backup of %r not ok" % r.get("database")))
            self.assertRegex(r["id"], ID_RE)
        return results

    def restore(self, cfg, db, *args, check=0):
        proc = run_bb(["restore", db, *args], cfg, check=check)
        return proc

    def assert_same_database(self, src, dst):
        self.assertEqual(self.pg.schema_dump(src), self.pg.schema_dump(dst), "schema differs")
        self.assertEqual(self.pg.table_checksums(src), self.pg.table_checksums(dst),
                         "table contents differ")
        self.assertEqual(self.pg.sequence_values(src), self.pg.sequence_values(dst),
                         "sequence values differ")
        self.assertEqual(self.pg.large_objects_checksum(src),
                         self.pg.large_objects_checksum(dst), "large objects differ")

    # ---- round trip ----------------------------------------------------------

    def test_fidelity_round_trip_awkward_name(self):
        db = self.make_db('bad "name" - Ёж', fidelity=True)
        cfg = self.config([db])
        proc = run_bb(["backup", "--json"], cfg, check=0)
        results = parse_json_output(proc)["results"]
        self.assertEqual(len(results), 1, describe(proc))
        r = results[0]
        self.assertEqual(r["database"], db)
        self.assertIs(r["ok"], True)
        self.assertIsNone(r["error"])
        self.assertRegex(r["id"], ID_RE)
        self.assertGreater(r["dump_bytes"], 100_000)
        self.assertGreater(r["stored_bytes"], 0)
        self.assertLess(r["stored_bytes"], r["dump_bytes"], "zstd did not shrink the dump")
        self.assertIsInstance(r["seconds"], (int, float))
        # Layout: <store>/<percent-encoded name>/<id>.dump.zst + .json
        self.assertEqual(encode_db_name(db), "bad%20%22name%22%20-%20%D0%81%D0%B6")
        self.assertEqual(self.stored_files(db), [r["id"] + ".dump.zst", r["id"] + ".json"])
        obj = os.path.join(self.db_dir(db), r["id"] + ".dump.zst")
        self.assertEqual(os.path.getsize(obj), r["stored_bytes"])

        before = self.pg.databases()
        proc = self.restore(cfg, db)
        target = db + "_archive"
        self.assertEqual(last_line(proc.stdout), target, describe(proc))
        self.assertTrue(self.pg.db_exists(target))
        self.assertEqual(self.pg.databases() - before, {target}, "unexpected extra databases")
        self.assertNotEqual(self.pg.db_comment(target), "",
                            "archive carries no COMMENT ON DATABASE marker")
        self.assert_same_database(db, target)

    def test_stored_object_is_standard_format(self):
        db = self.make_db("std_format", fidelity=True)
        cfg = self.config([db])
        r = self.backup_ok(cfg)[0]
        obj = os.path.join(self.db_dir(db), r["id"] + ".dump.zst")
        manifest_path = os.path.join(self.db_dir(db), r["id"] + ".json")
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
        # sha256sum of the object equals the manifest's SHA-256.
        out = subprocess.run(["sha256sum", obj], stdout=subprocess.PIPE, text=True, check=True)
        digest = out.stdout.split()[0]
        self.assertIn(digest, find_sha256_values(manifest),
                      "manifest has no sha256 equal to sha256sum of the object: %s" % manifest)
        self.assertIn(db, json.dumps(manifest, ensure_ascii=False))
        # zstd -d | pg_restore -d newdb, nothing of BackupBuddy involved.
        plain = "std_format_plain"
        self.pg.drop_db(plain)
        self.pg.create_db(plain)
        zstd = subprocess.Popen(["zstd", "-d", "-c", "-q", obj], stdout=subprocess.PIPE)
        restore = subprocess.run([os.path.join(pgenv.PG_BIN, "pg_restore"), "--exit-on-error",
                                  "-d", plain], stdin=zstd.stdout, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=self.pg.env(), text=True)
        zstd.stdout.close()
        self.assertEqual(zstd.wait(), 0, "zstd -d failed on the stored object")
        self.assertEqual(restore.returncode, 0, "pg_restore failed: " + restore.stderr)
        self.assert_same_database(db, plain)
        # The dump inside is a -Fc archive pg_restore can list.
        raw = subprocess.run(["zstd", "-d", "-c", "-q", obj], stdout=subprocess.PIPE,
                             check=True).stdout
        self.assertEqual(raw[:5], b"PGDMP", "decompressed object is not a pg_dump custom archive")
        self.assertEqual(len(raw), r["dump_bytes"], "dump_bytes is not the decompressed size")

    def test_legacy_objects_listed_and_restorable(self):
        """Plain pg_dump -Fc files of the old Python tool (<db>-YYYY_MM_DD-KIND.dump)."""
        db = self.make_db("legacy_db")
        self.pg.psql(db, "create table marker (v text); insert into marker values ('old');")
        for name in ("legacy_db-2024_05_01-DAILY.dump", "legacy_db-2024_06_01-MONTHLY.dump"):
            self.pg.run_client("pg_dump", ["-Fc", "-f", os.path.join(self.store, name)], db=db)
        cfg = self.config([db])
        listing = parse_json_output(run_bb(["list", db, "--json"], cfg, check=0))
        backups = listing["backups"]
        self.assertEqual([b["key"] for b in backups],
                         ["legacy_db-2024_06_01-MONTHLY.dump", "legacy_db-2024_05_01-DAILY.dump"],
                         listing)
        self.assertTrue(all(b["legacy"] is True for b in backups), listing)
        self.assertEqual(parse_iso_utc(backups[1]["time"]).date(), datetime.date(2024, 5, 1))
        proc = self.restore(cfg, db, "--at", "2024-05-15T00:00:00Z")
        target = last_line(proc.stdout)
        self.assertEqual(target, db + "_archive")
        self.assert_same_database(db, target)
        # A new backup lists before the legacy ones and is not legacy.
        self.pg.psql(db, "update marker set v = 'new'")
        new_id = self.backup_ok(cfg, "--no-prune")[0]["id"]
        listing = parse_json_output(run_bb(["list", db, "--json"], cfg, check=0))
        self.assertEqual(listing["backups"][0]["id"], new_id)
        self.assertIs(listing["backups"][0]["legacy"], False)

    # ---- failures ----------------------------------------------------------------

    def test_missing_database_among_good_ones(self):
        good1 = self.make_db("good_one")
        good2 = self.make_db("good-two")
        missing = "no_such_db_here"
        cfg = self.config([good1, missing, good2])
        proc = run_bb(["backup", "--json"], cfg, check=1)
        results = {r["database"]: r for r in parse_json_output(proc)["results"]}
        self.assertEqual(set(results), {good1, good2, missing}, describe(proc))
        for good in (good1, good2):
            self.assertIs(results[good]["ok"], True, describe(proc))
            files = self.stored_files(good)
            self.assertEqual(files, [results[good]["id"] + ".dump.zst",
                                     results[good]["id"] + ".json"])
        self.assertIs(results[missing]["ok"], False)
        self.assertIsNone(results[missing]["id"])
        self.assertTrue(results[missing]["error"], "no error text for the missing database")
        self.assertIn(missing, proc.stderr + results[missing]["error"])
        self.assertEqual(self.stored_files(missing), [],
                         "files left behind for the missing database")
        # Nothing else anywhere in the store (no temp files).
        all_files = sorted(os.path.relpath(p, self.store)
                           for p in glob.glob(os.path.join(self.store, "**", "*"), recursive=True)
                           if os.path.isfile(p) and not bookkeeping_key(os.path.relpath(p, self.store)))
        self.assertEqual(len(all_files), 4, all_files)
        # list shows the good ones only.
        listing = parse_json_output(run_bb(["list", "--json"], cfg, check=0))
        names = {d["name"]: d for d in listing["databases"]}
        self.assertEqual(names.get(good1, {}).get("count"), 1, listing)
        self.assertEqual(names.get(good2, {}).get("count"), 1, listing)
        self.assertEqual(names.get(missing, {"count": 0}).get("count", 0), 0, listing)

    def test_restore_refuses_existing_non_archive_database(self):
        db = self.make_db("refuse_src")
        cfg = self.config([db])
        self.backup_ok(cfg)
        # Somebody's own database happens to have the target name.
        victim = "refuse_src_archive"
        self.pg.drop_db(victim)
        self.pg.create_db(victim)
        self.pg.psql(victim, "create table precious (x text); insert into precious values ('keep me');")
        before = self.pg.databases()
        before_sums = self.pg.table_checksums(victim)
        proc = self.restore(cfg, db, check=1)
        self.assertIn(victim, proc.stderr, describe(proc, "message does not name the target"))
        self.assertEqual(self.pg.table_checksums(victim), before_sums)
        self.assertEqual(self.pg.db_comment(victim), "")
        self.assertEqual(self.pg.databases(), before, "databases created or dropped")
        # The same with an explicit --into.
        other = "someone_elses_db"
        self.pg.drop_db(other)
        self.pg.create_db(other)
        self.pg.psql(other, "create table t (x int); insert into t values (1);")
        proc = self.restore(cfg, db, "--into", other, check=1)
        self.assertIn(other, proc.stderr, describe(proc))
        self.assertEqual(self.pg.query_value(other, "select x from t"), "1")
        self.assertEqual(self.pg.databases(), before | {other})

    def test_restore_refuses_configured_source_as_target(self):
        one = self.make_db("src_one")
        two = self.make_db("src_two")
        self.pg.psql(two, "insert into t values (1000, 'only in two')")
        cfg = self.config([one, two])
        self.backup_ok(cfg)
        sums_one, sums_two = self.pg.table_checksums(one), self.pg.table_checksums(two)
        before = self.pg.databases()
        proc = self.restore(cfg, one, "--into", two, check=1)
        self.assertIn(two, proc.stderr, describe(proc))
        # Target template pointing at the source itself.
        cfg_self = self.config([one, two], filename="self.toml", restore={"target": "{db}"})
        proc = self.restore(cfg_self, one, check=1)
        self.assertIn(one, proc.stderr, describe(proc))
        self.assertEqual(self.pg.table_checksums(one), sums_one)
        self.assertEqual(self.pg.table_checksums(two), sums_two)
        self.assertEqual(self.pg.databases(), before)

    def test_corrupt_object_fails_restore_without_target(self):
        db = self.make_db("corrupt_me", fidelity=True)
        cfg = self.config([db])
        r = self.backup_ok(cfg)[0]
        obj = os.path.join(self.db_dir(db), r["id"] + ".dump.zst")
        size = os.path.getsize(obj)
        with open(obj, "r+b") as f:
            f.seek(size // 2)
            b = f.read(1)
            f.seek(size // 2)
            f.write(bytes([b[0] ^ 0x5A]))
        before = self.pg.databases()
        proc = self.restore(cfg, db, check=1)
        self.assertFalse(self.pg.db_exists(db + "_archive"), describe(proc))
        self.assertEqual(self.pg.databases(), before,
                         "a (temporary) database was left behind: %s"
                         % (self.pg.databases() - before))
        self.assertRegex(proc.stderr.lower(), r"checksum|sha-?256|corrupt|mismatch",
                         describe(proc, "message does not say the object is damaged"))

    def test_backup_id_and_at_pick_the_right_backup(self):
        db = self.make_db("pick_me")
        self.pg.psql(db, "create table marker (v text); insert into marker values ('A');")
        cfg = self.config([db])
        ids = []
        for label in "ABC":
            if label != "A":
                self.pg.psql(db, "update marker set v = %s" % quote_literal(label))
                sleep_to_next_second(1.0)  # ids at least 2 s apart
            # --no-prune: the default retention keeps one backup per day
            ids.append(self.backup_ok(cfg, "--no-prune")[0]["id"])
        self.assertEqual(len(set(ids)), 3, ids)

        # list DB --json: newest first, with times matching the ids.
        proc = run_bb(["list", db, "--json"], cfg, check=0)
        listing = parse_json_output(proc)
        self.assertEqual(listing["database"], db)
        backups = listing["backups"]
        self.assertEqual([b["id"] for b in backups], ids[::-1], describe(proc))
        for b in backups:
            t = parse_iso_utc(b["time"])
            self.assertLess(abs((t - parse_backup_id(b["id"])).total_seconds()), 2.0, b)
            self.assertIs(b["legacy"], False)
            self.assertTrue(b["key"].endswith("%s/%s.dump.zst" % (encode_db_name(db), b["id"])), b)
            obj = os.path.join(self.db_dir(db), b["id"] + ".dump.zst")
            self.assertEqual(b["stored_bytes"], os.path.getsize(obj))
            self.assertGreater(b["dump_bytes"], 0)
        # list --json: summary per database.
        summary = parse_json_output(run_bb(["list", "--json"], cfg, check=0))
        entry = [d for d in summary["databases"] if d["name"] == db]
        self.assertEqual(len(entry), 1, summary)
        self.assertEqual(entry[0]["count"], 3)
        self.assertEqual(entry[0]["stored_bytes"], sum(b["stored_bytes"] for b in backups))
        self.assertEqual(parse_iso_utc(entry[0]["newest"]).replace(microsecond=0),
                         parse_iso_utc(backups[0]["time"]).replace(microsecond=0))

        target = db + "_archive"
        before = self.pg.databases() - {target}

        def restored_marker(*args):
            proc = self.restore(cfg, db, *args)
            self.assertEqual(last_line(proc.stdout), target, describe(proc))
            self.assertEqual(self.pg.databases() - before, {target},
                             "keep_archives=1 should leave exactly one archive")
            return self.pg.query_value(target, "select v from marker")

        self.assertEqual(restored_marker("--backup", ids[0]), "A")
        times = {b["id"]: parse_iso_utc(b["time"]) for b in backups}
        self.assertEqual(restored_marker("--at", bbenv.iso_utc(times[ids[1]])), "B")
        between = parse_backup_id(ids[1]) + datetime.timedelta(seconds=1)
        self.assertLess(between, parse_backup_id(ids[2]))
        self.assertEqual(restored_marker("--at", bbenv.iso_utc(between)), "B")
        self.assertEqual(restored_marker(), "C")
        self.assertEqual(restored_marker("--backup", ids[1]), "B")
        # Nothing at or before a time before the first backup; an unknown id.
        early = bbenv.iso_utc(parse_backup_id(ids[0]) - datetime.timedelta(days=1))
        proc = self.restore(cfg, db, "--at", early, check=1)
        self.assertEqual(self.pg.query_value(target, "select v from marker"), "B",
                         "failed restore touched the existing archive")
        self.restore(cfg, db, "--backup", "20000101T000000Z", check=1)
        # --into a new name, then again into the same (now BackupBuddy's) name.
        other = "pick_me_other_name"
        self.pg.drop_db(other)
        proc = self.restore(cfg, db, "--backup", ids[0], "--into", other)
        self.assertEqual(last_line(proc.stdout), other)
        self.assertEqual(self.pg.query_value(other, "select v from marker"), "A")
        self.restore(cfg, db, "--backup", ids[2], "--into", other)
        self.assertEqual(self.pg.query_value(other, "select v from marker"), "C")

    def test_backup_all_skips_templates_and_honours_exclude(self):
        for name in ("all_a", "all_b", "all_skip"):
            self.make_db(name)
        cfg = self.config(backup={"state_dir": self.state, "exclude": ["all_skip"]})
        expected = self.pg.databases() - TEMPLATES - {"all_skip"}
        proc = run_bb(["backup", "--all", "--json"], cfg, check=0)
        got = {r["database"] for r in parse_json_output(proc)["results"]}
        self.assertEqual(got, expected, describe(proc))
        self.assertFalse(os.path.exists(self.db_dir("all_skip")))
        for t in TEMPLATES:
            self.assertFalse(os.path.exists(self.db_dir(t)))
        # The same through [backup] all_databases = true.
        shutil.rmtree(self.store)
        os.makedirs(self.store)
        cfg2 = self.config(filename="all.toml",
                           backup={"state_dir": self.state, "exclude": ["all_skip"],
                                   "all_databases": True})
        expected = self.pg.databases() - TEMPLATES - {"all_skip"}
        proc = run_bb(["backup", "--json"], cfg2, check=0)
        got = {r["database"] for r in parse_json_output(proc)["results"]}
        self.assertEqual(got, expected, describe(proc))

    # ---- configuration -------------------------------------------------------------

    def _config_error(self, body, bad_line, key):
        self._broken = getattr(self, "_broken", 0) + 1
        path = os.path.join(self.dir, "broken-%d.toml" % self._broken)
        base = ('[postgres]\nhost = "127.0.0.1"\nport = %d\nuser = "postgres"\n\n'
                '[storage]\ntype = "local"\npath = %s\n\n[backup]\nstate_dir = %s\n\n'
                % (self.pg.port, bbenv.toml_string(self.store), bbenv.toml_string(self.state)))
        text = base + body
        lineno = text.splitlines().index(bad_line) + 1
        write_config(path, text)
        proc = run_bb(["list"], path, check=2)
        self.assertRegex(proc.stderr, re.escape(os.path.basename(path)) + r":%d\b" % lineno,
                         describe(proc, "no file:line in the message"))
        self.assertIn(key, proc.stderr, describe(proc, "the key is not named"))
        return proc

    def test_config_errors_exit_2_with_file_and_line(self):
        self._config_error('[restore]\ntarget = "{db}_archive"\ntargett = "x"\n',
                           'targett = "x"', "targett")
        self._config_error("[retention]\ndaily = 3\ndily = 3\n", "dily = 3", "dily")
        self._config_error("[retention]\nweekly = -2\n", "weekly = -2", "weekly")
        self._config_error('[[databases]]\nname = "x"\nretention = { DILY = 2 }\n',
                           "retention = { DILY = 2 }", "DILY")
        self._config_error('[restore]\nkeep_archives = "two"\n', 'keep_archives = "two"',
                           "keep_archives")
        self._config_error("[restore]\nkeep_archives = -1\n", "keep_archives = -1", "keep_archives")
        # An unknown section.
        self._config_error('[storrage]\ntype = "local"\n', "[storrage]", "storrage")

    # ---- locking ---------------------------------------------------------------------

    def _blocked_backup(self, cfg, db, lock, global_args=()):
        """Starts a backup of db whose pg_dump waits for `lock`; returns the Popen."""
        proc = start_bb([*global_args, "backup", db], cfg)
        self._background.append(proc)
        wait_for(lambda: lock.waiters() > 0 or proc.poll() is not None, timeout=60,
                 what="pg_dump to wait for the table lock")
        if proc.poll() is not None:
            out, err = proc.communicate()
            self.fail("backup ended before pg_dump blocked: exit %s\n%s\n%s"
                      % (proc.returncode, out, err))
        return proc

    def test_second_concurrent_backup_exits_3(self):
        db = self.make_db("lock_db")
        other = self.make_db("lock_other")
        cfg = self.config([db, other])
        with TableLock(self.pg, db, "t") as lock:
            first = self._blocked_backup(cfg, db, lock)
            second = run_bb(["backup", other], cfg, check=3, timeout=120)
            self.assertRegex(second.stderr.lower(), r"lock|running",
                             describe(second, "no word about the lock"))
            self.assertIn(str(first.pid), second.stderr,
                          describe(second, "the holder (pid %d) is not named" % first.pid))
            self.assertEqual(self.stored_files(other), [])
            lock.release()
            out, err = first.communicate(timeout=300)
        self.assertEqual(first.returncode, 0, "first backup failed:\n%s\n%s" % (out, err))
        self.assertEqual(len(self.stored_files(db)), 2)
        # The lock is gone once its holder ended.
        run_bb(["backup", other], cfg, check=0)

    def test_lock_released_when_holder_is_killed(self):
        db = self.make_db("kill_db")
        other = self.make_db("kill_other")
        cfg = self.config([db, other])
        with TableLock(self.pg, db, "t") as lock:
            first = self._blocked_backup(cfg, db, lock)
            first.kill()  # SIGKILL: no clean-up code runs; the kernel must free the lock
            first.communicate(timeout=30)
            proc = run_bb(["backup", other], cfg, timeout=120)
            self.assertEqual(proc.returncode, 0, describe(
                proc, "lock still held after its holder was killed (inherited by pg_dump?)"))
        # The killed run left no finished backup behind, and no half object under a final
        # name (the local driver writes to a temporary name and renames).
        self.assertFalse([f for f in self.stored_files(db)
                          if f.endswith(".json") or f.endswith(".dump.zst")],
                         self.stored_files(db))
        listing = parse_json_output(run_bb(["list", "--json"], cfg, check=0))
        self.assertNotIn(db, [d["name"] for d in listing["databases"]], listing)

    # ---- dumps that end badly ----------------------------------------------------------

    def _children(self, pid, name=None):
        """pids whose parent is pid (optionally: whose program ends with name)."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/status" % entry) as f:
                    ppid = [l for l in f if l.startswith("PPid:")][0].split()[1]
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    prog = f.read().split(b"\0")[0].decode("utf-8", "replace")
            except (OSError, IndexError):
                continue
            if int(ppid) == pid and (name is None or prog.endswith(name)):
                found.append(int(entry))
        return found

    def assert_nothing_stored(self, db, why):
        files = self.stored_files(db)
        self.assertEqual(files, [], "%s: files left in the store: %s" % (why, files))

    def test_pg_dump_killed_midway_fails_and_stores_nothing(self):
        db = self.make_db("dump_dies")
        cfg = self.config([db])
        with TableLock(self.pg, db, "t") as lock:
            proc = self._blocked_backup(cfg, db, lock)
            dumps = wait_for(lambda: self._children(proc.pid, "pg_dump"), timeout=10,
                             what="the pg_dump child")
            for pid in dumps:
                os.kill(pid, 9)
            out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 1, "backup after pg_dump died:\n%s\n%s" % (out, err))
        self.assertIn("pg_dump", err)
        self.assert_nothing_stored(db, "pg_dump was killed")

    def test_sigterm_during_backup_undoes_the_upload(self):
        db = self.make_db("term_me")
        cfg = self.config([db])
        with TableLock(self.pg, db, "t") as lock:
            proc = self._blocked_backup(cfg, db, lock)
            dumps = wait_for(lambda: self._children(proc.pid, "pg_dump"), timeout=10,
                             what="the pg_dump child")
            proc.send_signal(15)
            try:
                out, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                lock.release()
                try:
                    out, err = proc.communicate(timeout=60)
                    after = "once pg_dump got its table lock it ended with exit %s, stored %s\n%s" % (
                        proc.returncode, self.stored_files(db), err)
                except subprocess.TimeoutExpired:
                    after = "and not even after pg_dump got its table lock"
                self.fail("backupbuddy did not stop within 30 s of SIGTERM while pg_dump "
                          "was waiting for a lock; " + after)
            self.assertNotEqual(proc.returncode, 0, "SIGTERM'ed backup reported success")
            # Its pg_dump must not outlive it, still queued for the table lock.
            wait_for(lambda: not any(os.path.exists("/proc/%d" % p) for p in dumps)
                     and lock.waiters() == 0, timeout=30,
                     what="the pg_dump child to go away after SIGTERM")
        self.assert_nothing_stored(db, "the backup was interrupted")
        # And the lock is free for the next run.
        run_bb(["backup", db], cfg, check=0)

    def test_unreadable_table_fails_that_database_only(self):
        role = "bb_weak_user"
        self.pg.psql("postgres", "do $$ begin if not exists (select from pg_roles where rolname = "
                     "'%s') then create role %s login; end if; end $$" % (role, role))
        weak = self.make_db("weak_denied")
        self.pg.psql(weak, "create table secret (x int); insert into secret values (1);")
        readable = self.make_db("weak_readable")
        self.pg.psql(readable, "alter table t owner to %s" % role)
        cfg = self.config([weak, readable], postgres={"user": role})
        proc = run_bb(["backup", "--json"], cfg, check=1)
        results = {r["database"]: r for r in parse_json_output(proc)["results"]}
        self.assertIs(results[weak]["ok"], False, describe(proc))
        self.assertIn("permission denied", (results[weak]["error"] or "") + proc.stderr,
                      describe(proc, "pg_dump's reason is not passed on"))
        self.assertIs(results[readable]["ok"], True, describe(proc))
        self.assert_nothing_stored(weak, "pg_dump failed")

    def test_store_path_not_a_directory(self):
        db = self.make_db("bad_store")
        path = os.path.join(self.dir, "plainfile")
        with open(path, "w") as f:
            f.write("x")
        cfg = self.config([db], storage={"type": "local", "path": path})
        proc = run_bb(["backup"], cfg, check=1)
        self.assertIn(path, proc.stderr, describe(proc, "the store path is not named"))

    # ---- secrets ------------------------------------------------------------------------

    def _proc_cmdlines(self):
        cmdlines = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmdlines[int(pid)] = f.read()
            except OSError:
                pass
        return cmdlines

    def test_password_never_in_output_or_argv(self):
        role = "bb_pw_user"
        password = "Pw-" + secrets.token_hex(12)
        self.pg.psql("postgres", "drop role if exists %s; create role %s login superuser password %s"
                     % (role, role, quote_literal(password)))
        self.pg.allow_password_role(role)
        db = self.make_db("secret_db")
        # Sanity: this role really needs the password now.
        probe = self.pg.run_client("psql", ["-w", "-X", "-c", "select 1"], db=db, user=role,
                                   check=False)
        self.assertNotEqual(probe.returncode, 0, "cluster does not ask bb_pw_user for a password")

        pwfile = os.path.join(self.dir, "pgpassword")
        with open(pwfile, "w") as f:
            f.write(password + "\n")
        os.chmod(pwfile, 0o600)
        cfg = self.config([db], postgres={"user": role, "password_file": pwfile})
        seen_pg_dump = []
        leaks = []
        with TableLock(self.pg, db, "t") as lock:
            proc = self._blocked_backup(cfg, db, lock, global_args=["-v"])
            for _ in range(5):
                for pid, cmd in self._proc_cmdlines().items():
                    if password.encode() in cmd:
                        leaks.append((pid, cmd.replace(b"\0", b" ")))
                    if cmd.split(b"\0")[0].endswith(b"pg_dump"):
                        seen_pg_dump.append(cmd.replace(b"\0", b" "))
                time.sleep(0.1)
            lock.release()
            out, err = proc.communicate(timeout=300)
        self.assertEqual(leaks, [], "password visible in /proc/*/cmdline")
        self.assertTrue(seen_pg_dump, "no pg_dump child seen while the backup was blocked")
        self.assertEqual(proc.returncode, 0, "backup with password_file failed:\n%s\n%s" % (out, err))
        self.assertNotIn(password, out + err)
        # Password from PGPASSWORD instead of a file.
        cfg_env = self.config([db], filename="env.toml", postgres={"user": role})
        sleep_to_next_second()
        proc = run_bb(["-v", "backup", db], cfg_env, env={"PGPASSWORD": password})
        self.assertEqual(proc.returncode, 0, describe(proc))
        self.assertNotIn(password, proc.stdout + proc.stderr)
        # A wrong password fails without echoing it.
        wrong = "Wrong-" + secrets.token_hex(8)
        with open(pwfile, "w") as f:
            f.write(wrong + "\n")
        proc = run_bb(["-v", "backup", db], cfg)
        self.assertEqual(proc.returncode, 1, describe(proc))
        self.assertNotIn(wrong, proc.stdout + proc.stderr)
        # A restore with the password works and does not leak it either.
        with open(pwfile, "w") as f:
            f.write(password + "\n")
        proc = run_bb(["-v", "restore", db], cfg, check=0)
        self.assertNotIn(password, proc.stdout + proc.stderr)


if __name__ == "__main__":
    unittest.main()
