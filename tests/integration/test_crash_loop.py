"""Crash loop: `backupbuddy backup` and `restore` killed at random moments, over and over.

What it proves (the real binary, a real PostgreSQL 15 cluster, s3rver behind the
SigV4-verifying fault proxy, all on loopback):

* S3: at least BB_CRASH_KILLS (default 20) SIGKILLs of `backup` of a ~60 MB database, at
  random moments spread over the whole run (connect, dump, upload) plus kills aimed at the
  phases a random moment rarely hits: CompleteMultipartUpload in flight, the manifest PUT in
  flight, and prune's deletes (before the first DeleteObjects and between the data and the
  manifest DeleteObjects). After each kill the next `backup` succeeds; `list --json` never
  shows a backup whose two objects are not both there. At the end every listed backup's
  manifest SHA-256 and size equal those of the object fetched with `aws`, the newest
  restores to the source's table checksums, and once the proxy reports every listing 25 h
  old, `prune` leaves no open multipart upload and no orphan object (a data object without
  manifest, or a manifest without data object).
* Local store: a few SIGKILLs the same way; no ".partial-" file is ever listed as a
  backup; once every file is 25 h old (os.utime), `prune` leaves no temporary file and no
  orphan; every listed backup's manifest SHA-256 equals the file's.
* Restore: SIGKILL mid-stream (a few times) leaves no database under the target name; the
  temporary `bb_restore_*` databases left behind are counted and reported; the next restore
  into the same name succeeds and matches the source. SIGTERM mid-stream: exit non-zero
  within 10 s, no target database, no temporary database left.

The kill schedule is random but seeded: the seed is printed; BB_CRASH_SEED=N reproduces it.
Run: cd tests/integration && BB_BINARY=.../backupbuddy /usr/bin/python3 -m unittest -v test_crash_loop
Knobs: BB_CRASH_KILLS (S3 kills, default 20), BB_CRASH_MB (dump size, default 60).
Long soak (scripts/soak.sh, BB_SOAK=1): 200 S3 kills of a ~250 MB dump, 40 local, 30 restore
SIGKILLs and 10 SIGTERMs.
"""

import json
import os
import random
import signal
import sys
import time
import unittest

import bbenv
from bbenv import bookkeeping_key, describe, encode_db_name, parse_json_output, run_bb, start_bb, write_config
from fixtures import class_cluster, class_s3, class_workdir
from bbenv import sha256_file, wait_for

DB = "crash"
DAY = 24 * 3600
KILLS = max(20, int(os.environ.get("BB_CRASH_KILLS", bbenv.soak(20, 200))))
DUMP_MB = int(os.environ.get("BB_CRASH_MB", bbenv.soak(60, 250)))
LOCAL_KILLS = bbenv.soak(4, 40)
RESTORE_KILLS = bbenv.soak(3, 30)
RESTORE_TERMS = bbenv.soak(2, 10)


def log(message):
    print("  [crash-loop] " + message, file=sys.stderr, flush=True)





def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def pg_children_of_cluster(port, programs=(b"pg_dump", b"pg_restore")):
    """Pids of pg_dump / pg_restore processes aimed at the cluster on `port` (matched by the
    PGPORT in their environment, so other tests' children are not counted)."""
    found = []
    needle = b"PGPORT=%d\0" % port
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
            if not any(argv0.endswith(p) for p in programs):
                continue
            with open("/proc/%s/environ" % entry, "rb") as f:
                env = f.read()
        except OSError:
            continue
        if needle in env or (b"--port=%d" % port) in argv0:
            found.append(int(entry))
    return found


def fill_random_rows(cluster, db, megabytes):
    """Rows of random hex (zstd gets them to about half): a dump of about `megabytes` MB."""
    rows = megabytes * 1024 * 1024 // 110
    cluster.psql(db, "create table r(id int primary key, a text, b text, c text); "
                     "insert into r select g, md5(random()::text), md5(random()::text), "
                     "md5(random()::text) from generate_series(1, %d) g; "
                     "create table small(id int primary key, v text); "
                     "insert into small select g, 'row ' || g from generate_series(1, 1000) g;" % rows)


class CrashLoop(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.seed = int(os.environ.get("BB_CRASH_SEED") or random.randrange(1 << 30))
        log("seed %d (BB_CRASH_SEED=%d reproduces the kill schedule)" % (cls.seed, cls.seed))
        cls.tmp = class_workdir(cls, "bb-crash-")
        cls.pg = class_cluster(cls)
        cls.s3 = class_s3(cls, cls.tmp)
        started = time.monotonic()
        cls.pg.create_db(DB)
        fill_random_rows(cls.pg, DB, DUMP_MB)
        cls.source_checksums = cls.pg.table_checksums(DB)
        log("filled %r (~%d MB dump) in %.1f s" % (DB, DUMP_MB, time.monotonic() - started))

    def setUp(self):
        name = self.id().rsplit(".", 1)[-1]
        self.rng = random.Random("%d/%s" % (self.seed, name))
        self.dir = os.path.join(self.tmp, name)
        os.makedirs(self.dir)
        self.prefix = name.replace("_", "-") + "/"
        self.state_dir = os.path.join(self.dir, "state")
        self._background = []
        self.s3.proxy_reset()
        self.s3.set_age(0)

    def tearDown(self):
        self.s3.clear_faults()
        self.s3.set_age(0)
        for proc in self._background:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)

    # ---- configuration and runs ------------------------------------------------------

    def s3_config(self):
        storage = self.s3.storage_toml(prefix=self.prefix, part_size="5MiB", upload_concurrency=2,
                                       extra='timeout = "5s"\nmax_retries = 3\n')
        text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                '[backup]\nstate_dir = "%s"\n\n[restore]\ntarget = "{db}_archive"\n\n'
                '[[databases]]\nname = "%s"\n'
                % (self.pg.host, self.pg.port, storage, self.state_dir, DB))
        return write_config(os.path.join(self.dir, "s3.toml"), text)

    def local_config(self, store):
        return write_config(os.path.join(self.dir, "local.toml"),
                            bbenv.local_config(self.pg, store, self.state_dir, [DB]))

    def env(self):
        return {"AWS_ACCESS_KEY_ID": self.s3.access_key, "AWS_SECRET_ACCESS_KEY": self.s3.secret_key}

    def bb(self, args, cfg, check=None, timeout=300):
        return run_bb(args, cfg, env=self.env(), check=check, timeout=timeout)

    def start(self, args, cfg):
        proc = start_bb(args, cfg, env=self.env())
        self._background.append(proc)
        return proc

    def listed(self, cfg):
        proc = self.bb(["list", DB, "--json"], cfg, check=0)
        data = parse_json_output(proc)
        backups = data.get("backups", data) if isinstance(data, dict) else data
        return {b["id"]: b for b in backups}

    def backup_ok(self, cfg, *extra, why=""):
        """A full `backup` run that must succeed (e.g. right after a kill)."""
        proc = self.bb(["backup", DB, "--json", *extra], cfg)
        self.assertEqual(proc.returncode, 0, describe(proc, why or "backup must succeed"))
        result = parse_json_output(proc)["results"][0]
        self.assertTrue(result["ok"], describe(proc, why))
        return result

    def kill_and_reap(self, proc, sig=signal.SIGKILL):
        """SIGKILL the binary (only it: its children are left as a crash leaves them) and wait
        until the orphaned pg_dump / pg_restore went away (SIGPIPE / EOF)."""
        if proc.poll() is not None:
            self.last_output = proc.communicate(timeout=30)
            return False
        os.kill(proc.pid, sig)
        self.last_output = proc.communicate(timeout=60)
        wait_for(lambda: not [p for p in pg_children_of_cluster(self.pg.port) if alive(p)], timeout=60,
                 what="orphaned pg_dump/pg_restore to exit")
        return proc.returncode == -sig

    # ---- storage audits -----------------------------------------------------------

    def s3_folder(self):
        return self.prefix + encode_db_name(DB) + "/"

    def s3_inventory(self):
        """(data ids, manifest ids, other keys) under the database's folder."""
        data, manifests, other = set(), set(), []
        for key in self.s3.list_keys(self.prefix):
            if bookkeeping_key(key[len(self.prefix):]):  # the roles and the record of each run
                continue
            name = key[len(self.s3_folder()):] if key.startswith(self.s3_folder()) else None
            if name and name.endswith(".dump.zst") and "/" not in name:
                data.add(name[:-len(".dump.zst")])
            elif name and name.endswith(".json") and "/" not in name:
                manifests.add(name[:-len(".json")])
            else:
                other.append(key)
        return data, manifests, other

    def open_uploads(self):
        return [u for u in self.s3.proxy_state()["open_uploads"] if u["key"].startswith(self.prefix)]

    def assert_listing_sound_s3(self, cfg, when):
        """list shows exactly the ids with both a data object and a manifest."""
        listed = self.listed(cfg)
        data, manifests, other = self.s3_inventory()
        self.assertEqual(other, [], "%s: unexpected keys" % when)
        for backup_id, entry in listed.items():
            self.assertNotIn(".partial-", backup_id + entry.get("key", ""), when)
        self.assertEqual(sorted(listed), sorted(data & manifests),
                         "%s: list must show exactly the complete backups (data %s, manifests %s)"
                         % (when, sorted(data), sorted(manifests)))
        return listed

    def assert_s3_backup_intact(self, backup_id):
        folder = self.s3_folder()
        manifest = json.loads(self.s3.aws("s3", "cp", "s3://%s/%s%s.json" % (self.s3.bucket, folder, backup_id),
                                          "-").stdout)
        path = self.s3.fetch(folder + backup_id + ".dump.zst", os.path.join(self.dir, backup_id + ".dump.zst"))
        try:
            self.assertEqual(os.path.getsize(path), manifest["stored_bytes"], backup_id)
            self.assertEqual(sha256_file(path), manifest["sha256"], "backup %s: SHA-256 mismatch" % backup_id)
        finally:
            os.remove(path)
        return manifest

    def local_inventory(self, store):
        folder = os.path.join(store, encode_db_name(DB))
        data, manifests, partial, other = set(), set(), [], []
        for name in (os.listdir(folder) if os.path.isdir(folder) else []):
            if ".partial-" in name:
                partial.append(name)
            elif name.endswith(".dump.zst"):
                data.add(name[:-len(".dump.zst")])
            elif name.endswith(".json"):
                manifests.add(name[:-len(".json")])
            else:
                other.append(name)
        return folder, data, manifests, partial, other

    def assert_listing_sound_local(self, cfg, store, when):
        listed = self.listed(cfg)
        _folder, data, manifests, _partial, other = self.local_inventory(store)
        self.assertEqual(other, [], when)
        for backup_id, entry in listed.items():
            self.assertNotIn(".partial-", backup_id + entry.get("key", ""), "%s: a temporary file is listed" % when)
        self.assertEqual(sorted(listed), sorted(data & manifests), when)
        return listed

    # ---- the kill schedule ------------------------------------------------------------

    def kill_at_random_moment(self, cfg, full_seconds, slot, slots, args):
        """Starts `backup`, kills it at a moment drawn from the slot-th of `slots` equal
        stretches of a whole run (stratified, so the moments cover the run). Returns a label
        (or None when the run ended first)."""
        moment = full_seconds * 1.05 * (slot + self.rng.random()) / slots
        proc = self.start(args, cfg)
        time.sleep(moment)
        killed = self.kill_and_reap(proc)
        return ("random t=%.2fs" % moment) if killed else None

    def kill_in_fault(self, cfg, rules, fired, label, args, extra_wait=(0.0, 0.4)):
        """Injects rules that hold a request in the proxy (delay or stall); kills `backup`
        once `fired` of them (not counting zero-second delays) fired, after a random extra wait."""
        self.s3.proxy_reset()
        self.s3.inject_faults(rules)
        proc = self.start(args, cfg)

        def holding():
            state = self.s3.proxy_state()
            zero = sum(r.get("fired", 0) for r in state["faults"] if r.get("action") == "delay" and not r.get("seconds"))
            return state["faults_fired"] - zero >= fired
        try:
            wait_for(lambda: holding() or proc.poll() is not None,
                     timeout=120, what="the fault for " + label)
            if proc.poll() is None:
                time.sleep(self.rng.uniform(*extra_wait))
            killed = self.kill_and_reap(proc)
        finally:
            self.s3.clear_faults()
        return label if killed else None

    # ---- tests ------------------------------------------------------------------------

    def test_1_s3_backup_sigkill_loop(self):
        cfg = self.s3_config()
        started = time.monotonic()
        first = self.backup_ok(cfg, why="first backup")
        full = time.monotonic() - started
        log("S3: a whole backup run takes %.2f s" % full)
        stall = {"action": "stall", "phase": "request", "after_bytes": 0, "seconds": 8, "times": 1}
        aimed = [
            # CompleteMultipartUpload held, then forwarded after the client died: data, no manifest.
            ("complete_upload delayed (forwarded later)",
             [{"kind": "complete_upload", "action": "delay", "seconds": 2, "times": 1}], 1),
            # ... or never forwarded: the upload stays open.
            ("complete_upload stalled (never forwarded)", [dict(stall, kind="complete_upload")], 1),
            # The manifest PUT held and forwarded after the client died: a whole backup appears.
            ("manifest PUT delayed (forwarded later)",
             [{"kind": "put_object", "key_suffix": ".json", "action": "delay", "seconds": 2, "times": 1}], 1),
            # ... or never forwarded: a data object without manifest.
            ("manifest PUT stalled (never forwarded)", [dict(stall, kind="put_object", key_suffix=".json")], 1),
            # prune: killed before its first delete reached S3 (one key: DELETE, more: DeleteObjects),
            ("prune: first delete stalled",
             [dict(stall, kind="delete_object"), dict(stall, kind="delete_objects")], 1),
            # and between deleting the data objects and deleting their manifests.
            ("prune: between data and manifest deletes",
             [dict(stall, kind="delete_object", key_suffix=".json"),
              {"kind": "delete_objects", "action": "delay", "seconds": 0, "times": 1},
              dict(stall, kind="delete_objects")], 1),
        ]
        kills, misses, attempts = [], [], 0
        random_slots = KILLS - len(aimed)
        slot_order = list(range(random_slots))
        self.rng.shuffle(slot_order)
        plan = [("aimed", a) for a in aimed] + [("random", s) for s in slot_order]
        self.rng.shuffle(plan)
        extra = 0
        durations = [full]
        while plan or (len(kills) < KILLS and extra < 15):
            full = sorted(durations[-5:])[len(durations[-5:]) // 2]  # the recent median run
            if plan:
                kind, what = plan.pop(0)
            else:  # a random moment fell after the run's end: again, in the first 70 % of a run
                kind, what = "random", self.rng.randrange(max(1, int(random_slots * 0.7)))
                extra += 1
            attempts += 1
            # Every other attempt runs with --no-prune, so that backups pile up for the audit;
            # prune-aimed kills need prune.
            args = ["backup", DB, "--json"]
            if kind == "random" and attempts % 2 == 0:
                args.append("--no-prune")
            time.sleep(1.05)  # a fresh backup id for the attempt
            if kind == "aimed":
                label = self.kill_in_fault(cfg, what[1], what[2], what[0], args)
            else:
                label = self.kill_at_random_moment(cfg, full, what, random_slots, args)
            if label:
                kills.append(label)
            else:
                misses.append(what[0] if kind == "aimed" else "random slot %d" % what)
                if kind == "aimed":
                    log("aimed kill missed (%s): the run ended first:\n%s" % (what[0], self.last_output[1][-1500:]))
            when = "after attempt %d (%s)" % (attempts, label or "ended before the kill")
            self.assert_listing_sound_s3(cfg, when)
            # The next run must succeed (stale lock, advisory lock, open uploads, orphans).
            time.sleep(1.05)
            t0 = time.monotonic()
            self.backup_ok(cfg, *([] if attempts % 3 else ["--no-prune"]), why="backup right " + when)
            durations.append(time.monotonic() - t0)
            self.assert_listing_sound_s3(cfg, when + " and a good run")
        log("S3: %d SIGKILLs in %d attempts: %s" % (len(kills), attempts, "; ".join(kills)))
        if misses:
            log("S3: ended before the kill: %s" % "; ".join(misses))

        time.sleep(1.05)
        self.backup_ok(cfg, "--no-prune", why="a last backup, kept with the one before it")
        # Every listed backup is whole: manifest SHA-256/size = the object fetched with aws.
        listed = self.assert_listing_sound_s3(cfg, "after the loop")
        self.assertGreaterEqual(len(listed), 2)
        for backup_id in sorted(listed):
            self.assert_s3_backup_intact(backup_id)
        newest = max(listed)
        proc = self.bb(["restore", DB, "--backup", newest, "--into", "crash_s3_newest"], cfg, check=0)
        self.assertEqual(bbenv.last_line(proc.stdout), "crash_s3_newest", describe(proc))
        self.assertEqual(self.pg.table_checksums("crash_s3_newest"), self.source_checksums)
        self.pg.drop_db("crash_s3_newest")

        # A day later (as the listings tell it), prune cleans every leftover of the dead runs.
        data, manifests, _other = self.s3_inventory()
        leftovers = {"open uploads": len(self.open_uploads()), "data without manifest": sorted(data - manifests),
                     "manifest without data": sorted(manifests - data)}
        log("S3: leftovers of the killed runs before prune: %s" % json.dumps(leftovers))
        self.s3.set_age(DAY + 3600)
        proc = self.bb(["prune", "--json"], cfg)
        self.s3.set_age(0)
        self.assertEqual(proc.returncode, 0, describe(proc))
        self.assertEqual(self.open_uploads(), [], describe(proc, "prune must abort every day-old upload"))
        data, manifests, other = self.s3_inventory()
        self.assertEqual(sorted(data - manifests), [], describe(proc, "prune must remove day-old data objects "
                                                                      "without manifest"))
        self.assertEqual(sorted(manifests - data), [], describe(
            proc, "prune must remove day-old manifests whose data object is gone (left by a prune killed "
                  "between its two DeleteObjects calls); before prune: %s" % json.dumps(leftovers)))
        self.assertEqual(other, [])
        after = self.assert_listing_sound_s3(cfg, "after the aged prune")
        self.assertIn(newest, after, "the newest backup is never deleted")
        state = self.s3.proxy_state()
        self.assertEqual(state["signature_failures"], 0, json.dumps(state["failures"], indent=1))
        self.assertGreaterEqual(len(kills), KILLS, "only %d kills landed: %s" % (len(kills), kills))

    def test_2_local_backup_sigkill_loop(self):
        store = os.path.join(self.dir, "store")
        cfg = self.local_config(store)
        started = time.monotonic()
        self.backup_ok(cfg, why="first local backup")
        full = time.monotonic() - started
        log("local: a whole backup run takes %.2f s" % full)
        kills, attempts = [], 0
        slots = list(range(LOCAL_KILLS))
        self.rng.shuffle(slots)
        while (slots or len(kills) < LOCAL_KILLS) and attempts < LOCAL_KILLS + 6:
            slot = slots.pop(0) if slots else self.rng.randrange(LOCAL_KILLS)
            attempts += 1
            time.sleep(1.05)
            args = ["backup", DB, "--json"] + (["--no-prune"] if attempts % 2 else [])
            label = self.kill_at_random_moment(cfg, full, slot, LOCAL_KILLS, args)
            if label:
                kills.append(label)
            when = "local attempt %d (%s)" % (attempts, label or "ended before the kill")
            self.assert_listing_sound_local(cfg, store, when)
            time.sleep(1.05)
            self.backup_ok(cfg, "--no-prune", why="local backup right after " + when)
            self.assert_listing_sound_local(cfg, store, when + " and a good run")
        log("local: %d SIGKILLs in %d attempts: %s" % (len(kills), attempts, "; ".join(kills)))
        self.assertGreaterEqual(len(kills), LOCAL_KILLS - 1)
        listed = self.assert_listing_sound_local(cfg, store, "after the local loop")
        folder = os.path.join(store, encode_db_name(DB))
        for backup_id in listed:
            with open(os.path.join(folder, backup_id + ".json")) as f:
                manifest = json.load(f)
            path = os.path.join(folder, backup_id + ".dump.zst")
            self.assertEqual(os.path.getsize(path), manifest["stored_bytes"], backup_id)
            self.assertEqual(sha256_file(path), manifest["sha256"], backup_id)
        newest = max(listed)
        proc = run_bb(["restore", DB, "--backup", newest, "--into", "crash_local_newest"], cfg, check=0)
        self.assertEqual(bbenv.last_line(proc.stdout), "crash_local_newest", describe(proc))
        self.assertEqual(self.pg.table_checksums("crash_local_newest"), self.source_checksums)
        self.pg.drop_db("crash_local_newest")
        # Pretend a day passed (touch -d '25 hours ago' on every file); prune cleans up.
        _f, data, manifests, partial, _o = self.local_inventory(store)
        log("local: leftovers before prune: %d temporary file(s), %d data file(s) without manifest"
            % (len(partial), len(data - manifests)))
        old = time.time() - DAY - 3600
        for name in os.listdir(folder):
            os.utime(os.path.join(folder, name), (old, old))
        proc = run_bb(["prune", "--json"], cfg)
        self.assertEqual(proc.returncode, 0, describe(proc))
        _f, data, manifests, partial, other = self.local_inventory(store)
        self.assertEqual(partial, [], describe(proc, "prune must remove day-old temporary files"))
        self.assertEqual(sorted(data ^ manifests), [], describe(proc, "no orphan may survive an aged prune"))
        self.assertEqual(other, [])
        self.assertIn(newest, self.assert_listing_sound_local(cfg, store, "after the aged local prune"))

    # ---- restore -----------------------------------------------------------------------

    def temp_databases(self):
        return {d for d in self.pg.databases() if d.startswith("bb_restore")}

    def start_restore_and_wait_for_temp(self, cfg, target, before_temps):
        proc = self.start(["restore", DB, "--into", target], cfg)
        wait_for(lambda: (self.temp_databases() - before_temps) or proc.poll() is not None, timeout=120,
                 interval=0.02, what="the temporary database of the restore")
        return proc

    def restore_running_at(self, cfg, target, moment):
        """A restore still running `moment` s after its temporary database appeared. When the
        restore finishes first (a quick machine), its complete result is dropped and the
        moment halved; returns (process, moment)."""
        for _ in range(6):
            proc = self.start_restore_and_wait_for_temp(cfg, target, self.temp_databases())
            time.sleep(moment)
            if proc.poll() is None:
                return proc, moment
            self.pg.drop_db(target)
            moment /= 2
        self.fail("the restore always ended within %.3f s; cannot interrupt it" % moment)

    def test_3_restore_sigkill_and_sigterm(self):
        cfg = self.s3_config()
        self.backup_ok(cfg, why="the backup to restore")
        temps_at_start = self.temp_databases()
        started = time.monotonic()
        proc = self.bb(["restore", DB, "--into", "crash_clean_restore"], cfg, check=0)
        full = time.monotonic() - started
        self.assertEqual(bbenv.last_line(proc.stdout), "crash_clean_restore", describe(proc))
        self.assertEqual(self.pg.table_checksums("crash_clean_restore"), self.source_checksums)
        self.pg.drop_db("crash_clean_restore")
        log("restore: a whole restore takes %.2f s" % full)

        # SIGKILL mid-stream: never a database under the final name.
        target = "crash_killed_target"
        kills = []
        for i in range(RESTORE_KILLS):
            moment = self.rng.uniform(0.1, max(0.2, full * 0.7))
            for attempt in range(6):
                before = self.temp_databases()
                proc = self.start_restore_and_wait_for_temp(cfg, target, before)
                time.sleep(moment)
                if self.kill_and_reap(proc):
                    break
                # The restore finished before the kill (the machine was quick): that is a
                # complete archive, not a failure; drop it and aim earlier.
                self.pg.drop_db(target)
                moment /= 2
            else:
                self.fail("restore %d always ended before the kill (last moment %.3f s)" % (i, moment))
            kills.append("t=%.2fs after the temporary database appeared" % moment)
            self.assertFalse(self.pg.db_exists(target),
                             "a killed restore must never leave a database under the target name")
        leftovers = sorted(self.temp_databases() - temps_at_start)
        log("restore: %d SIGKILLs (%s); temporary databases left behind: %d %s"
            % (len(kills), "; ".join(kills), len(leftovers), leftovers))
        # The next restore into the same name succeeds anyway.
        proc = self.bb(["restore", DB, "--into", target], cfg, check=0)
        self.assertEqual(bbenv.last_line(proc.stdout), target, describe(proc, "restore after killed ones"))
        self.assertEqual(self.pg.table_checksums(target), self.source_checksums)
        still = sorted(self.temp_databases() - temps_at_start)
        log("restore: temporary databases still there after the next successful restore: %d %s"
            % (len(still), still))
        proc = self.bb(["archives", "--json"], cfg)
        log("restore: `archives --json` exit %d, mentions leftovers: %s"
            % (proc.returncode, [d for d in still if d in proc.stdout]))

        # SIGTERM mid-stream: a clean, quick stop.
        for i in range(RESTORE_TERMS):
            term_target = "crash_term_target_%d" % i
            proc, moment = self.restore_running_at(cfg, term_target, self.rng.uniform(0.1, max(0.2, full * 0.6)))
            sent = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            try:
                _out, err = proc.communicate(timeout=10)
            except Exception:
                proc.kill()
                _out, err = proc.communicate(timeout=30)
                self.fail("restore did not exit within 10 s of SIGTERM (sent %.2f s after the temporary "
                          "database appeared):\n%s" % (moment, err[-3000:]))
            took = time.monotonic() - sent
            self.assertNotEqual(proc.returncode, 0, "a restore stopped by SIGTERM must not exit 0:\n" + err[-3000:])
            self.assertFalse(self.pg.db_exists(term_target), "no target database after SIGTERM")
            wait_for(lambda: not [p for p in pg_children_of_cluster(self.pg.port) if alive(p)], timeout=30,
                     what="pg_restore to exit after SIGTERM")
            self.assertEqual(sorted(self.temp_databases() - before), [],
                             "SIGTERM at %.2f s: the temporary database must be dropped\n%s" % (moment, err[-3000:]))
            log("restore: SIGTERM at t=%.2fs: exit %d after %.2f s, nothing left" % (moment, proc.returncode, took))

    def test_4_next_restore_or_archives_cleans_a_killed_restores_temporary_database(self):
        # Issue 7: "a killed restore leaves no database under the final name, and the next
        # restore or `archives` cleans the temporary one". The temporary database carries a
        # comment `backupbuddy-restoring {"source", "backup", "target", "pid"}` and the restore
        # holds an advisory lock on the target, so a later run can tell it is abandoned.
        cfg = self.s3_config()
        self.backup_ok(cfg, why="the backup to restore")
        before = self.temp_databases()
        proc, _ = self.restore_running_at(cfg, "crash_abandoned", self.rng.uniform(0.05, 0.3))
        self.assertTrue(self.kill_and_reap(proc), "the restore ended before the kill")
        abandoned = sorted(self.temp_databases() - before)
        self.assertEqual(len(abandoned), 1, abandoned)
        comment = self.pg.db_comment(abandoned[0])
        self.assertIn("backupbuddy-restoring", comment)
        proc = self.bb(["archives"], cfg)
        self.assertEqual(proc.returncode, 0, describe(proc))
        proc = self.bb(["restore", DB, "--into", "crash_abandoned"], cfg, check=0)
        self.assertEqual(bbenv.last_line(proc.stdout), "crash_abandoned", describe(proc))
        left = sorted(set(abandoned) & self.temp_databases())
        self.assertEqual(left, [], "the temporary database of a SIGKILLed restore (comment %r) is still there "
                                   "after `archives` and a successful restore into the same target" % comment)

    def test_5_killed_restore_test_is_cleaned_and_a_running_one_is_left_alone(self):
        # `verify --restore-test` restores into a scratch database bb_verify_*; a SIGKILLed
        # verify must not leave it behind for good: the next restore test, restore or
        # `archives` drops it — but never the scratch database of a restore test still running.
        cfg = self.s3_config()
        self.backup_ok(cfg, why="the backup to verify")

        def scratches():
            return {d for d in self.pg.databases() if d.startswith("bb_verify")}

        def running_restore_test(before):
            proc = self.start(["verify", DB, "--restore-test"], cfg)
            wait_for(lambda: (scratches() - before) or proc.poll() is not None, timeout=120, interval=0.02,
                     what="the scratch database of the restore test")
            return proc

        before = scratches()

        def killed_restore_test():
            # SIGKILL while its scratch database exists; returns the database it left.
            for moment in (0.3, 0.15, 0.05, 0.0):
                proc = running_restore_test(before)
                time.sleep(moment)
                if self.kill_and_reap(proc):
                    break
            else:
                self.fail("the restore test always ended before the kill")
            left = sorted(scratches() - before)
            self.assertEqual(len(left), 1, left)
            return left

        abandoned = killed_restore_test()
        self.assertIn("backupbuddy-verifying", self.pg.db_comment(abandoned[0]))

        # A restore test still running keeps its scratch database while `archives` cleans.
        proc = running_restore_test(scratches())
        running = sorted(scratches() - set(abandoned) - before)
        self.assertTrue(running, "the restore test ended before its scratch database was seen:\n%s"
                        % (proc.communicate(timeout=60),))
        proc_archives = self.bb(["archives"], cfg)
        self.assertEqual(proc_archives.returncode, 0, describe(proc_archives))
        self.assertNotIn(abandoned[0], scratches(), "`archives` must drop the scratch database of a killed verify")
        out, err = proc.communicate(timeout=300)
        self.assertEqual(proc.returncode, 0, "the running restore test must not be disturbed by `archives` "
                                             "(its scratch database %s was there while it ran):\n%s%s"
                         % (running, out[-2000:], err[-3000:]))
        self.assertEqual(scratches() - before, set(), "a finished restore test leaves no scratch database")

        # The next restore test cleans up after a killed one as well.
        abandoned = killed_restore_test()
        proc = self.bb(["verify", DB, "--restore-test"], cfg, check=0)
        self.assertEqual(proc.returncode, 0, describe(proc))
        self.assertEqual(scratches() - before, set(),
                         "the next restore test must drop the scratch database of a killed one")


if __name__ == "__main__":
    unittest.main()
