"""The bad day, caused on purpose: S3 faults, stalls, truncated and corrupt answers, kills,
a full disk. Each test uses the real binary, a real PostgreSQL cluster and s3rver behind
the SigV4-verifying fault proxy (tests/tools/s3_proxy.py), all on loopback.

What every test proves: a backup either exists whole (manifest + an object whose SHA-256
and size match it, restorable to identical table checksums) or not at all (no manifest,
no object under a final name, no open multipart upload), and earlier backups are untouched.

Run: cd tests/integration && BB_BINARY=.../backupbuddy /usr/bin/python3 -m unittest -v test_faults
Size of the big database: BB_FAULTS_BIG_MB (dump size in MB of poorly compressible rows;
default 300 in CI, 500 — the size issue 7 names — in the long soak, BB_SOAK=1 / scripts/soak.sh); the random seed of the flaky-S3 test: BB_FAULTS_SEED.
"""

import json
import os
import random
import signal
import subprocess
import tempfile
import time
import unittest

import bbenv
from bbenv import bookkeeping_key, describe, encode_db_name, parse_json_output, run_bb, start_bb, write_config
from fixtures import class_cluster, class_s3, class_workdir
from bbenv import process_table, sha256_file, wait_for

BIG_MB = int(os.environ.get("BB_FAULTS_BIG_MB", bbenv.soak(300, 500)))
DAY = 24 * 3600




def children(pid, name=None):
    """Pids of the direct children of pid (optionally only those whose comm is name)."""
    return [p for p, (ppid, comm) in process_table().items() if ppid == pid and (name is None or comm == name)]


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False



def tree_digest(root):
    """{relative path: sha256} of every file under root."""
    out = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            out[os.path.relpath(path, root)] = sha256_file(path)
    return out


def fill_random_rows(cluster, db, megabytes):
    """Rows of random hex (zstd gets them to about half): a dump of about `megabytes` MB."""
    rows = megabytes * 1024 * 1024 // 110
    cluster.psql(db, "create table r(id int primary key, a text, b text, c text); "
                     "insert into r select g, md5(random()::text), md5(random()::text), "
                     "md5(random()::text) from generate_series(1, %d) g;" % rows)


class FaultsBase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = class_workdir(cls, "bb-faults-")
        cls.pg = class_cluster(cls)
        cls.s3 = class_s3(cls, cls.tmp)
        cls.pg.create_db("medium")
        fill_random_rows(cls.pg, "medium", 40)  # ~20 MB stored: 4-5 parts of 5 MiB
        for small in ("small_a", "small_b"):
            cls.pg.create_db(small)
            cls.pg.psql(small, "create table t(id int primary key, v text); "
                               "insert into t select g, 'row ' || g from generate_series(1, 500) g;")

    def setUp(self):
        name = self.id().rsplit(".", 1)[-1]
        self.dir = os.path.join(self.tmp, name)
        os.makedirs(self.dir)
        self.prefix = name.replace("_", "-") + "/"
        self._background = []
        self.s3.proxy_reset()  # counters and rules; open uploads stay
        self.s3.set_age(0)

    def tearDown(self):
        self.s3.clear_faults()
        self.s3.set_age(0)
        for proc in self._background:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)

    def config(self, databases, storage_extra="", name="bb.toml", part_size="5MiB",
               upload_concurrency=2):
        storage = self.s3.storage_toml(prefix=self.prefix, part_size=part_size,
                                       upload_concurrency=upload_concurrency, extra=storage_extra)
        text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                '[backup]\nstate_dir = "%s"\n\n[restore]\ntarget = "{db}_archive"\n\n'
                % (self.pg.host, self.pg.port, storage, os.path.join(self.dir, "state")))
        for db in databases:
            text += "[[databases]]\nname = %s\n\n" % json.dumps(db, ensure_ascii=False)
        return write_config(os.path.join(self.dir, name), text)

    def env(self):
        return {"AWS_ACCESS_KEY_ID": self.s3.access_key,
                "AWS_SECRET_ACCESS_KEY": self.s3.secret_key}

    def bb(self, args, cfg, check=None, timeout=600):
        return run_bb(args, cfg, env=self.env(), check=check, timeout=timeout)

    def backup_json(self, cfg, *dbs, check=None, timeout=600):
        proc = self.bb(["backup", *dbs, "--json"], cfg, check=check, timeout=timeout)
        return proc, parse_json_output(proc)["results"]

    def list_ids(self, cfg, db):
        proc = self.bb(["list", db, "--json"], cfg, check=0)
        data = parse_json_output(proc)
        backups = data.get("backups", data) if isinstance(data, dict) else data
        return sorted(b["id"] for b in backups)

    def assert_stored_backup_intact(self, db, backup_id):
        """The manifest's SHA-256 and size equal those of the object fetched with aws."""
        folder = self.prefix + encode_db_name(db) + "/"
        manifest = json.loads(self.s3.aws("s3", "cp", "s3://%s/%s%s.json"
                                          % (self.s3.bucket, folder, backup_id), "-").stdout)
        path = self.s3.fetch(folder + backup_id + ".dump.zst",
                             os.path.join(self.dir, backup_id + ".dump.zst"))
        self.assertEqual(os.path.getsize(path), manifest["stored_bytes"])
        self.assertEqual(sha256_file(path), manifest["sha256"])
        return manifest, path

    def assert_clean(self):
        """No bad signature anywhere, no open multipart upload under this test's prefix
        (other tests' leftovers are theirs to report)."""
        state = self.s3.proxy_state()
        self.assertEqual(state["signature_failures"], 0, json.dumps(state["failures"], indent=1))
        self.assertEqual(self.open_uploads(), [], "open multipart uploads left")

    def open_uploads(self):
        """The proxy's open multipart uploads under this test's prefix."""
        return [u for u in self.s3.proxy_state()["open_uploads"] if u["key"].startswith(self.prefix)]

    def throttle_uploads(self, seconds=2, times=10):
        """Slows the first parts down, so pg_dump is blocked mid-stream for a while."""
        self.s3.inject_faults([{"kind": "upload_part", "action": "delay", "seconds": seconds, "times": times}])

    def assert_nothing_stored(self, db):
        folder = self.prefix + encode_db_name(db) + "/"
        self.assertEqual(self.s3.list_keys(folder), [], "nothing may be stored for %r" % db)

    def assert_no_temp_databases(self, before):
        after = self.pg.databases()
        self.assertEqual(after, before, "databases changed: +%s -%s" % (after - before, before - after))


class FlakyS3(FaultsBase):
    """Many parts under random 5xx, SlowDown and connection resets."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        started = time.monotonic()
        cls.pg.create_db("big")
        fill_random_rows(cls.pg, "big", BIG_MB)
        cls.big_fill_seconds = time.monotonic() - started

    def test_flaky_s3_backup_and_restore_lose_nothing(self):
        seed = int(os.environ.get("BB_FAULTS_SEED") or random.randrange(1 << 30))
        note = " (seed %d; BB_FAULTS_SEED=%d reproduces it)" % (seed, seed)
        cfg = self.config(["big"], 'timeout = "10s"\nmax_retries = 8\n')
        rules = [
            # ~5% of every request: 500 / 503 SlowDown / a reset once the request arrived
            {"kind": "*", "action": "status", "status": 503, "code": "SlowDown", "probability": 0.02,
             "seed": seed},
            {"kind": "*", "action": "status", "status": 500, "code": "InternalError",
             "probability": 0.015, "seed": seed + 1},
            {"kind": "*", "action": "reset", "probability": 0.015, "seed": seed + 2},
            # ~5% of the parts: a reset half-way through the part's body
            {"kind": "upload_part", "action": "reset", "after_bytes": 2 << 20, "probability": 0.05,
             "seed": seed + 3},
            # and for certain at least once each, whatever the draw
            {"kind": "create_upload", "action": "status", "status": 503, "code": "SlowDown", "times": 1},
            {"kind": "upload_part", "action": "reset", "after_bytes": 1 << 20, "times": 1},
            {"kind": "complete_upload", "action": "status", "status": 500, "code": "InternalError",
             "times": 1},
            {"kind": "put_object", "action": "reset", "times": 1},
        ]
        self.s3.proxy_reset()
        self.s3.inject_faults(rules)
        started = time.monotonic()
        proc, results = self.backup_json(cfg, check=0)
        backup_seconds = time.monotonic() - started
        state = self.s3.proxy_state()
        self.assertTrue(results[0]["ok"], describe(proc, "backup under faults failed" + note))
        self.assertGreaterEqual(state["by_kind"].get("upload_part", 0), 10,
                                "the dump must span many parts: %s" % state["by_kind"])
        self.assertGreaterEqual(state["faults_fired"], 4, state["fired_by_action"])
        backup_id = results[0]["id"]
        manifest, _path = self.assert_stored_backup_intact("big", backup_id)
        self.assertGreater(manifest["stored_bytes"], 10 * 5 << 20)
        self.assert_clean()

        # Restore under the same weather: resets and 5xx on the GETs resume by Range.
        self.s3.inject_faults([
            {"kind": "get_object", "key_suffix": ".dump.zst", "action": "truncate", "after_bytes": 7 << 20, "times": 1},
            {"kind": "get_object", "key_suffix": ".dump.zst", "action": "reset", "times": 1},
            {"kind": "*", "action": "status", "status": 503, "code": "SlowDown", "probability": 0.05,
             "seed": seed + 4},
        ])
        proc = self.bb(["restore", "big", "--into", "big_restored"], cfg, check=0)
        self.assertEqual(bbenv.last_line(proc.stdout), "big_restored", describe(proc, note))
        self.assertEqual(self.pg.table_checksums("big"), self.pg.table_checksums("big_restored"))
        self.s3.clear_faults()
        self.assertEqual(self.list_ids(cfg, "big"), [backup_id])
        self.assert_clean()
        print("\n  flaky S3: %d MB dump (filled in %.0f s), backup %.1f s, %d requests, "
              "faults fired %s%s" % (manifest["dump_bytes"] >> 20, self.big_fill_seconds, backup_seconds,
                                    state["requests"], state["fired_by_action"], note))


class S3Down(FaultsBase):
    def test_s3_down_for_the_whole_run_fails_every_database_cleanly(self):
        cfg = self.config(["small_a", "medium"], 'timeout = "2s"\nmax_retries = 1\n')
        _proc, results = self.backup_json(cfg, check=0)
        self.assertTrue(all(r["ok"] for r in results), results)
        before = self.s3.list_objects(self.prefix)
        # Two backups (data + manifest each), the server's roles and the record of the run.
        self.assertEqual(len([k for k in before if not bookkeeping_key(k[len(self.prefix):])]), 4, before)
        self.assertEqual(len(before), 6, before)
        for rule, why in (({"kind": "*", "action": "reset", "times": 10 ** 6}, "connection reset"),
                          ({"kind": "*", "action": "status", "status": 503, "code": "ServiceUnavailable",
                            "times": 10 ** 6}, "503")):
            with self.subTest(why):
                self.s3.inject_faults([rule])
                started = time.monotonic()
                proc, results = self.backup_json(cfg, check=1, timeout=300)
                self.assertLess(time.monotonic() - started, 120, "failing must not take long")
                self.assertEqual([r["ok"] for r in results], [False, False], describe(proc))
                for r in results:
                    self.assertIn(self.s3.endpoint, r["error"], describe(proc, "the reason must name the endpoint"))
                self.assertIn(self.s3.endpoint, proc.stderr)
                self.s3.clear_faults()
                self.assertEqual(self.s3.list_objects(self.prefix), before,
                                 "earlier backups must be untouched and nothing added")
                self.assert_clean()


class Stalls(FaultsBase):
    def test_stalled_upload_is_cut_by_timeout_and_retried(self):
        cfg = self.config(["medium"], 'timeout = "2s"\nmax_retries = 4\n')
        self.s3.inject_faults([
            {"kind": "upload_part", "action": "stall", "phase": "request", "after_bytes": 1 << 20,
             "seconds": 60, "times": 1},
            {"kind": "upload_part", "action": "stall", "phase": "response", "seconds": 60, "times": 1},
            {"kind": "create_upload", "action": "stall", "phase": "response", "seconds": 60, "times": 1},
        ])
        started = time.monotonic()
        proc, results = self.backup_json(cfg, check=0, timeout=300)
        elapsed = time.monotonic() - started
        self.assertTrue(results[0]["ok"], describe(proc))
        self.assertLess(elapsed, 45, "a 2 s timeout must cut each 60 s stall")
        self.assertEqual(self.s3.proxy_state()["fired_by_action"].get("stall"), 3)
        self.assert_stored_backup_intact("medium", results[0]["id"])
        self.s3.clear_faults()
        # The stalled CreateMultipartUpload did start an upload whose id never reached the
        # client: nobody can abort it now (real S3 behaves the same). It is the one upload
        # left, and prune aborts it once it is a day old.
        leftovers = self.open_uploads()
        self.assertLessEqual(len(leftovers), 1, leftovers)
        self.s3.set_age(DAY + 3600)
        self.bb(["prune"], cfg, check=0)
        self.s3.set_age(0)
        self.assert_clean()

    def test_stalled_complete_answer_is_retried(self):
        # CompleteMultipartUpload reached S3 (the object exists) but its answer never came:
        # the retry must not turn a stored backup into a failure or a lost object.
        cfg = self.config(["medium"], 'timeout = "2s"\nmax_retries = 4\n')
        self.s3.inject_faults([{"kind": "complete_upload", "action": "stall", "seconds": 60, "times": 1}])
        proc, results = self.backup_json(cfg, check=0, timeout=300)
        self.assertTrue(results[0]["ok"], describe(proc, "a stalled (but done) complete must not fail the backup"))
        self.assert_stored_backup_intact("medium", results[0]["id"])
        self.assert_clean()

    def test_stalled_get_during_restore_is_cut_and_resumed(self):
        cfg = self.config(["medium"], 'timeout = "2s"\nmax_retries = 4\n')
        backup_id = self.backup_json(cfg, check=0)[1][0]["id"]
        self.s3.inject_faults([{"kind": "get_object", "key_suffix": ".dump.zst", "action": "stall", "phase": "response",
                                "after_bytes": 3 << 20, "seconds": 60, "times": 2}])
        started = time.monotonic()
        proc = self.bb(["restore", "medium", "--backup", backup_id, "--into", "medium_stalled"], cfg,
                       check=0, timeout=300)
        self.assertLess(time.monotonic() - started, 45)
        self.assertEqual(self.s3.proxy_state()["fired_by_action"].get("stall"), 2)
        self.assertEqual(self.pg.table_checksums("medium"), self.pg.table_checksums("medium_stalled"),
                         describe(proc))
        self.assert_clean()


class BadReads(FaultsBase):
    def test_truncated_get_is_resumed(self):
        cfg = self.config(["medium"], 'max_retries = 3\n')
        self.backup_json(cfg, check=0)
        self.s3.inject_faults([{"kind": "get_object", "key_suffix": ".dump.zst", "action": "truncate", "after_bytes": n << 20,
                                "times": 1} for n in (1, 4, 9)])
        proc = self.bb(["restore", "medium", "--into", "medium_resumed"], cfg, check=0)
        self.assertEqual(self.s3.proxy_state()["fired_by_action"].get("truncate"), 3, describe(proc))
        self.assertEqual(self.pg.table_checksums("medium"), self.pg.table_checksums("medium_resumed"))

    def test_always_truncated_get_creates_no_database(self):
        cfg = self.config(["medium"], 'max_retries = 2\n')
        self.backup_json(cfg, check=0)
        before = self.pg.databases()
        for jobs in ("1", "2"):
            with self.subTest(jobs=jobs):
                # Every GET of the dump is cut short: from the start, or at the same offset.
                self.s3.inject_faults([{"kind": "get_object", "key_suffix": ".dump.zst", "action": "truncate", "after_bytes": 0,
                                        "times": 10 ** 6}])
                proc = self.bb(["restore", "medium", "--into", "never_there", "--jobs", jobs], cfg, check=1)
                self.s3.clear_faults()
                self.assertRegex(proc.stderr, r"(?i)ended after|truncat|incomplete|short")
                self.assertIn(self.s3.endpoint, proc.stderr)
                self.assert_no_temp_databases(before)

    def test_get_with_a_body_that_does_not_match_is_refused(self):
        cfg = self.config(["medium"])
        self.backup_json(cfg, check=0)
        before = self.pg.databases()
        for jobs in ("1", "2"):
            with self.subTest(jobs=jobs):
                # 200, the right length, one byte flipped deep inside: only SHA-256 can tell.
                self.s3.inject_faults([{"kind": "get_object", "key_suffix": ".dump.zst", "action": "corrupt", "at_byte": 5 << 20,
                                        "times": 10 ** 6}])
                proc = self.bb(["restore", "medium", "--into", "never_there", "--jobs", jobs], cfg, check=1)
                self.s3.clear_faults()
                self.assertRegex(proc.stderr, r"SHA-256|checksum|damaged|corrupt")
                self.assert_no_temp_databases(before)
        # verify says the same, and the stored object itself is fine.
        self.s3.inject_faults([{"kind": "get_object", "key_suffix": ".dump.zst", "action": "corrupt", "at_byte": 100, "times": 10 ** 6}])
        proc = self.bb(["verify", "medium"], cfg, check=1)
        self.assertRegex(proc.stdout + proc.stderr, r"SHA-256|checksum|damaged|corrupt")
        self.s3.clear_faults()
        self.bb(["verify", "medium"], cfg, check=0)

    def test_listing_answered_with_garbage_fails_clearly(self):
        cfg = self.config(["small_a"])
        self.backup_json(cfg, check=0)
        self.s3.inject_faults([{"kind": "list_objects", "action": "garbage", "times": 10 ** 6}])
        for args in (["list", "--json"], ["list", "small_a"], ["restore", "small_a", "--into", "x_garbage"],
                     ["prune"]):
            with self.subTest(args=args):
                proc = self.bb(args, cfg)
                self.assertIn(proc.returncode, (1,), describe(proc, "garbage listing must fail cleanly"))
                self.assertTrue(proc.stderr.strip(), describe(proc))
        self.assertFalse(self.pg.db_exists("x_garbage"))


class Kills(FaultsBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pg.create_db("large")
        fill_random_rows(cls.pg, "large", 150)  # more than zstd and two parts can swallow

    def start_backup(self, cfg, *dbs):
        proc = start_bb(["backup", *dbs, "--json"], cfg, env=self.env())
        self._background.append(proc)
        return proc

    def kill_and_reap(self, proc):
        proc.kill()
        proc.communicate(timeout=30)
        # pg_dump, orphaned, dies on its next write (SIGPIPE); nothing may outlive that.
        wait_for(lambda: not [p for p in self.dumps_of(proc.pid) if alive(p)], timeout=30, what="pg_dump to exit")

    def dumps_of(self, pid):
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open("/proc/%s/cmdline" % entry, "rb") as f:
                        argv = f.read().split(b"\0")
                except OSError:
                    continue
                if argv and argv[0].endswith(b"pg_dump") and any(b"--lock-wait-timeout" in a for a in argv):
                    found.append(int(entry))
        return found

    def test_sigkill_mid_upload_leaves_no_backup_and_prune_cleans_later(self):
        cfg = self.config(["medium"], 'timeout = "5s"\n')
        first = self.backup_json(cfg, check=0)[1][0]
        self.assertTrue(first["ok"])
        time.sleep(1.1)  # a new backup id
        self.s3.proxy_reset()
        proc = self.start_backup(cfg)
        wait_for(lambda: self.s3.proxy_state()["by_kind"].get("upload_part", 0) >= 2 or proc.poll() is not None,
                 timeout=60, what="two parts uploading")
        self.assertIsNone(proc.poll(), "the backup ended before it could be killed")
        self.kill_and_reap(proc)
        folder = encode_db_name("medium") + "/"
        open_uploads = self.open_uploads()
        self.assertEqual(len(open_uploads), 1, "the killed run's upload stays open (nobody aborted it)")
        # An orphan data object (a run killed after the data, before the manifest): made by hand.
        orphan_id = "20200101T000000Z"
        copy = self.s3.fetch(self.prefix + folder + first["id"] + ".dump.zst", os.path.join(self.dir, "orphan"))
        self.s3.aws("s3", "cp", copy, "s3://%s/%s%s%s.dump.zst" % (self.s3.bucket, self.prefix, folder, orphan_id))
        self.assertEqual(self.list_ids(cfg, "medium"), [first["id"]], "no backup of the killed run is listed")
        # The next run works; fresh leftovers may be a run in progress elsewhere: kept.
        time.sleep(1.1)
        second = self.backup_json(cfg, "--no-prune", check=0)[1][0]
        self.assertTrue(second["ok"])
        self.assertEqual(self.list_ids(cfg, "medium"), sorted([first["id"], second["id"]]))
        self.assertEqual(len(self.open_uploads()), 1)
        self.assertIn(self.prefix + folder + orphan_id + ".dump.zst", self.s3.list_keys(self.prefix))
        # A day later (as the listings tell it), prune aborts the upload and removes the orphan.
        self.s3.set_age(DAY + 3600)
        proc = self.bb(["prune", "--json"], cfg, check=0)
        report = parse_json_output(proc)["databases"]
        self.assertEqual([(r["database"], r["orphans_removed"], r["uploads_aborted"]) for r in report],
                         [("medium", 1, 1)], describe(proc))
        self.s3.set_age(0)
        self.assertNotIn(self.prefix + folder + orphan_id + ".dump.zst", self.s3.list_keys(self.prefix))
        # Retention (daily: the newest of the day) keeps the second; the newest is never deleted.
        self.assertEqual(self.list_ids(cfg, "medium"), [second["id"]])
        self.assert_clean()
        self.assert_stored_backup_intact("medium", second["id"])

    def test_prune_without_names_aborts_stale_upload_of_a_database_without_backups(self):
        # The killed run was the database's first: no backup, no orphan object, only an upload.
        cfg = self.config(["medium"], 'timeout = "5s"\n')
        self.s3.proxy_reset()
        proc = self.start_backup(cfg)
        wait_for(lambda: self.s3.proxy_state()["by_kind"].get("upload_part", 0) >= 1 or proc.poll() is not None,
                 timeout=60, what="a part uploading")
        self.assertIsNone(proc.poll())
        self.kill_and_reap(proc)
        self.assertEqual(len(self.open_uploads()), 1)
        self.s3.set_age(DAY + 3600)
        proc = self.bb(["prune"], cfg, check=0)
        self.s3.set_age(0)
        self.assertEqual(self.open_uploads(), [],
                         describe(proc, "`prune` must abort the stale upload even though the database "
                                        "has no backup yet"))

    def test_sigkill_mid_write_local_leaves_only_a_hidden_temp_file(self):
        store = os.path.join(self.dir, "store")
        os.makedirs(store)
        cfg = write_config(os.path.join(self.dir, "local.toml"), bbenv.local_config(
            self.pg, store, os.path.join(self.dir, "state"), ["medium"]))
        first = parse_json_output(run_bb(["backup", "--json"], cfg, check=0))["results"][0]
        folder = os.path.join(store, "medium")
        before = {n: sha256_file(os.path.join(folder, n)) for n in os.listdir(folder)}
        time.sleep(1.1)
        proc = start_bb(["backup", "--json"], cfg)
        self._background.append(proc)
        partial = lambda: [n for n in os.listdir(folder) if n not in before]
        wait_for(lambda: (partial() and os.path.getsize(os.path.join(folder, partial()[0])) > (2 << 20))
                 or proc.poll() is not None, timeout=60, what="a partial file")
        self.assertIsNone(proc.poll())
        self.kill_and_reap(proc)
        leftovers = partial()
        self.assertEqual(len(leftovers), 1, leftovers)
        self.assertIn(".partial-", leftovers[0], "only a temporary name, never a final one")
        listed = parse_json_output(run_bb(["list", "medium", "--json"], cfg, check=0))
        listed = listed.get("backups", listed)
        self.assertEqual([b["id"] for b in listed], [first["id"]])
        # A day old: the next backup (which prunes) or prune removes it.
        old = time.time() - DAY - 3600
        os.utime(os.path.join(folder, leftovers[0]), (old, old))
        run_bb(["prune"], cfg, check=0)
        self.assertEqual(partial(), [], "prune must remove a day-old temporary file")
        self.assertEqual({n: sha256_file(os.path.join(folder, n)) for n in before}, before)

    def test_pg_dump_killed_fails_that_database_only(self):
        cfg = self.config(["small_a", "medium", "small_b"], 'timeout = "5s"\n', upload_concurrency=1)
        before = self.pg.databases()
        self.throttle_uploads()
        proc = self.start_backup(cfg)

        def dump_of_medium():
            for pid in self.dumps_of(proc.pid):
                try:
                    with open("/proc/%d/environ" % pid, "rb") as f:
                        if b"PGDATABASE=medium\0" in f.read():
                            return pid
                except OSError:
                    pass
            return proc.poll() is not None and -1
        pid = wait_for(dump_of_medium, timeout=60, what="pg_dump of medium")
        self.assertGreater(pid, 0, "the backup ended before pg_dump could be killed")
        self.assertIn(pid, children(proc.pid), "pg_dump must be a child of backupbuddy")
        wait_for(lambda: self.s3.proxy_state()["by_kind"].get("upload_part", 0) >= 1 or proc.poll() is not None,
                 timeout=60, what="the first part")
        os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
        self.assertEqual(proc.returncode, 1, err)
        results = {r["database"]: r for r in json.loads(out)["results"]}
        self.assertTrue(results["small_a"]["ok"] and results["small_b"]["ok"], results)
        self.assertFalse(results["medium"]["ok"])
        self.assertRegex(results["medium"]["error"], r"pg_dump.*(signal|killed|9)", results["medium"])
        self.assert_nothing_stored("medium")
        self.assert_clean()
        self.assertEqual(self.pg.databases(), before)

    def test_pg_dump_backend_terminated_fails_that_database_only(self):
        # One part in flight and one filling: pg_dump (40 MB, ~20 MB stored) is blocked mid-COPY.
        cfg = self.config(["small_a", "large"], 'timeout = "5s"\n', upload_concurrency=1)
        self.throttle_uploads(seconds=3)
        proc = self.start_backup(cfg)
        copying = ("from pg_stat_activity where datname = 'large' and query ilike 'copy %' "
                   "and state = 'active' and pid <> pg_backend_pid()")
        wait_for(lambda: (self.s3.proxy_state()["by_kind"].get("upload_part", 0) >= 1
                          and self.pg.query_value("postgres", "select count(*) " + copying) == "1")
                 or proc.poll() is not None, timeout=60, what="pg_dump of large in the middle of COPY")
        self.assertIsNone(proc.poll(), "the backup ended before its pg_dump could be cut")
        sessions = self.pg.psql("postgres", "select pid, state, wait_event, left(query, 60) from pg_stat_activity "
                                            "where datname = 'large' and pid <> pg_backend_pid()")
        terminated = self.pg.query_value("postgres", "select count(*) from (select pg_terminate_backend(pid) "
                                         + copying + ") t")
        self.assertEqual(terminated, "1", "pg_dump's COPY must have been running: %s" % sessions)
        out, err = proc.communicate(timeout=300)
        results = {r["database"]: r for r in json.loads(out)["results"]}
        self.assertTrue(results["small_a"]["ok"], results)
        self.assertFalse(results["large"]["ok"], "a dump cut by the server must not be stored as a backup "
                                                 "(sessions were %s)" % sessions)
        self.assertIn("pg_dump", results["large"]["error"])
        self.assert_nothing_stored("large")
        self.assert_clean()


class FullDisk(FaultsBase):
    """The local store on a 20 MB tmpfs; restore --jobs 2 with TMPDIR on a 2 MB tmpfs."""

    def mount_tmpfs(self, size):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root (run the suite as root to test a full disk)")
        path = tempfile.mkdtemp(dir=self.dir, prefix="tmpfs-")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", path],
                              capture_output=True, text=True)
        if done.returncode != 0:
            self.skipTest("cannot mount a tmpfs here (%s)" % done.stderr.strip())
        self.addCleanup(subprocess.run, ["umount", "-l", path], capture_output=True)
        return path

    def test_full_local_store_fails_cleanly_and_keeps_earlier_backups(self):
        disk = self.mount_tmpfs("20m")
        store = os.path.join(disk, "store")
        state = os.path.join(self.dir, "state")
        cfg = write_config(os.path.join(self.dir, "local.toml"),
                           bbenv.local_config(self.pg, store, state, ["small_a", "medium"]))
        proc = run_bb(["backup", "small_a", "--json"], cfg, check=0)
        earlier = tree_digest(store)
        # small_a's backup and manifest, and the server's roles and run record stored by the run.
        self.assertEqual(len([p for p in earlier if not bookkeeping_key(p)]), 2, describe(proc))
        proc = run_bb(["backup", "medium", "--json"], cfg, check=1)
        results = {r["database"]: r for r in parse_json_output(proc)["results"]}
        self.assertFalse(results["medium"]["ok"])
        self.assertRegex(results["medium"]["error"], r"(?i)no space")
        self.assertIn(store, results["medium"]["error"], "the message must name the path")
        self.assertFalse(os.path.exists(os.path.join(store, "medium")) and os.listdir(os.path.join(store, "medium")),
                         "nothing of medium may be left: %s" % (tree_digest(store),))
        now = tree_digest(store)
        for path, digest in earlier.items():
            if bookkeeping_key(path):  # the server's roles, stored anew by every run; run records
                continue
            self.assertEqual(now.get(path), digest, "earlier backup file %s changed" % path)
        # Nothing added but, room permitting, the failed run's record (which names the failure).
        self.assertEqual(sorted(p for p in now if not p.startswith("!runs/")),
                         sorted(p for p in earlier if not p.startswith("!runs/")), "nothing added: %s" % sorted(now))
        # Once there is room again, the same database backs up into the same store.
        subprocess.run(["mount", "-o", "remount,size=200m", disk], check=True)
        proc = run_bb(["backup", "medium", "--json"], cfg, check=0)
        self.assertTrue(parse_json_output(proc)["results"][0]["ok"], describe(proc))

    def test_restore_jobs_with_full_tmpdir_leaves_no_database(self):
        tiny = self.mount_tmpfs("2m")
        cfg = self.config(["medium"])
        self.backup_json(cfg, check=0)
        before = self.pg.databases()
        env = dict(self.env(), TMPDIR=tiny)
        proc = run_bb(["restore", "medium", "--into", "medium_tmpfull", "--jobs", "2"], cfg, env=env, check=1)
        self.assertRegex(proc.stderr, r"(?i)space|room|free")
        self.assertIn(tiny, proc.stderr)
        self.assertEqual(os.listdir(tiny), [], "the temp file must be removed")
        self.assertEqual(self.pg.databases(), before)


if __name__ == "__main__":
    unittest.main()
