"""Untrusted objects in the store never cost a good backup (issue 14, item 1).

A backup with a later id in the same retention period (a second host whose clock runs
ahead writes into the same prefix, or an object copied in by hand), or a "backup" whose
manifest describes another database, used to win the retention slot: the run deleted the
backup it had just made (exit 0), and a prune could leave zero restorable backups. Now
only a backup whose manifest was read, matches its key and database, and is not dated in
the future fills a slot; the others are kept as evidence, reported, and passed over by
`restore` without --backup. Real PostgreSQL, s3rver behind the SigV4-verifying proxy.
"""

import datetime as dt
import json

from bbenv import parse_json_output, run_bb, write_config, last_line, iso_utc
from fixtures import ServersTestCase

DB = "ledger"
OTHER = "payroll"
ID_FORMAT = "%Y%m%dT%H%M%SZ"


class UntrustedBackupsTest(ServersTestCase):
    @classmethod
    def fill(cls):
        for db in (DB, OTHER):
            cls.pg.create_db(db)
            cls.pg.psql(db, "create table entries(id int primary key, what text); "
                        "insert into entries select g, 'row ' || g from generate_series(1, 200) g;")

    # ---- helpers ----------------------------------------------------------------------

    def config(self, name, prefix):
        # yearly = 1 only: every backup of this year competes for one slot, so the test
        # does not depend on the hour it runs at (a day boundary would split the slots).
        text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                '[backup]\nstate_dir = "%s/state-%s"\ntimezone = "UTC"\n\n'
                '[retention]\ndaily = 0\nweekly = 0\nmonthly = 0\nyearly = 1\n\n'
                '[[databases]]\nname = "%s"\n\n[[databases]]\nname = "%s"\n'
                % (self.pg.host, self.pg.port, self.s3.storage_toml(prefix=prefix), self.tmp, name, DB, OTHER))
        path = write_config("%s/%s.toml" % (self.tmp, name), text)
        return path, self.s3.env()

    def key(self, prefix, db, backup_id, suffix):
        return "%s%s/%s%s" % (prefix, db, backup_id, suffix)

    def get_json(self, key):
        return json.loads(self.s3.aws("s3", "cp", "s3://%s/%s" % (self.s3.bucket, key), "-").stdout)

    def put_json(self, key, doc):
        self.s3.aws("s3", "cp", "-", "s3://%s/%s" % (self.s3.bucket, key), input=json.dumps(doc))

    def copy(self, src, dst):
        self.s3.aws("s3", "cp", "s3://%s/%s" % (self.s3.bucket, src), "s3://%s/%s" % (self.s3.bucket, dst))

    def backup(self, cfg, env, db):
        out = parse_json_output(run_bb(["backup", db, "--json"], cfg, env=env, check=True))
        (result,) = out["results"]
        self.assertTrue(result["ok"], result)
        return result

    def forge_copy(self, prefix, db, source_id, new_time, manifest_of=None):
        """Copies backup source_id of db to the id of new_time, its manifest changed
        consistently (id, data key, times), or replaced by manifest_of's manifest."""
        new_id = new_time.strftime(ID_FORMAT)
        self.copy(self.key(prefix, db, source_id, ".dump.zst"), self.key(prefix, db, new_id, ".dump.zst"))
        if manifest_of:
            m = self.get_json(self.key(prefix, manifest_of[0], manifest_of[1], ".json"))
        else:
            m = self.get_json(self.key(prefix, db, source_id, ".json"))
            m["id"] = new_id
            m["data_key"] = "%s/%s.dump.zst" % (db, new_id)
            m["started_at"] = iso_utc(new_time)
            m["finished_at"] = iso_utc(new_time + dt.timedelta(seconds=5))
        self.put_json(self.key(prefix, db, new_id, ".json"), m)
        return new_id

    def ids(self, prefix, db):
        keys = self.s3.list_keys(prefix + db + "/")
        return sorted({k.rsplit("/", 1)[1].split(".", 1)[0] for k in keys})

    # ---- tests --------------------------------------------------------------------------

    def test_future_dated_copy_never_deletes_the_backup_the_run_made(self):
        prefix = "future/"
        cfg, env = self.config("future", prefix)
        first = self.backup(cfg, env, DB)["id"]
        # A host whose clock runs 3 hours ahead (or a hand copy) wrote a "later" backup.
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        future_id = self.forge_copy(prefix, DB, first, now + dt.timedelta(hours=3))
        self.pg.psql(DB, "insert into entries values (1000, 'written after the copy');")

        result = self.backup(cfg, env, DB)
        made = result["id"]
        ids = self.ids(prefix, DB)
        self.assertIn(made, ids, "the backup the run made was deleted by its own prune")
        self.assertIn(future_id, ids, "the future-dated object is evidence: it must be kept")
        self.assertNotIn(first, ids, "yearly = 1: the older trusted backup of the year goes")
        warnings = " ".join(result["warnings"])
        self.assertIn(future_id, warnings)
        self.assertIn("in the future", warnings)
        self.assertIn("clock skew on the host that wrote it?", warnings)

        # list marks it, and never counts it for retention.
        listed = parse_json_output(run_bb(["list", DB, "--json"], cfg, env=env, check=True))
        by_id = {b["id"]: b for b in listed["backups"]}
        self.assertFalse(by_id[future_id]["trusted"])
        self.assertRegex(by_id[future_id]["problem"], r"^dated (2 h 59|3 h 00) min in the future")
        self.assertEqual(by_id[future_id]["kept_by"], ["untrusted"])
        self.assertTrue(by_id[made]["trusted"])
        self.assertIn("yearly", by_id[made]["kept_by"])
        text = run_bb(["list", DB], cfg, env=env, check=True).stdout
        self.assertIn("clock skew on the host that wrote it?", text)
        overview = parse_json_output(run_bb(["list", "--json"], cfg, env=env, check=True))
        ledger = next(d for d in overview["databases"] if d["name"] == DB)
        self.assertEqual(ledger["newest_id"], made)
        self.assertEqual(ledger["future_dated"], 1)

        # restore without --backup takes the run's backup (it has the new row) and says
        # that it passed over the newer, untrusted one.
        proc = run_bb(["restore", DB, "--into", "ledger_restored", "--json"], cfg, env=env, check=True)
        restored = parse_json_output(proc)
        self.assertEqual(restored["backup"], made)
        self.assertEqual(len(restored["skipped_untrusted"]), 1)
        self.assertTrue(restored["skipped_untrusted"][0].startswith(future_id + ": dated"))
        self.assertIn("skipped the newer backup " + future_id, proc.stderr)
        self.assertEqual(self.pg.query_value("ledger_restored", "select what from entries where id = 1000"),
                         "written after the copy")
        # A second run prunes again: still nothing trusted lost, the evidence still there.
        again = self.backup(cfg, env, DB)["id"]
        ids = self.ids(prefix, DB)
        self.assertEqual(ids, sorted([again, future_id]))
        self.s3.assert_clean(self)

    def test_manifest_of_another_database_keeps_every_good_backup(self):
        prefix = "foreign/"
        cfg, env = self.config("foreign", prefix)
        good = self.backup(cfg, env, DB)["id"]
        other = self.backup(cfg, env, OTHER)["id"]
        # A later object under ledger/ that carries payroll's manifest (not in the future).
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        later = self.forge_copy(prefix, DB, good, now + dt.timedelta(seconds=2), manifest_of=(OTHER, other))
        listed = parse_json_output(run_bb(["list", DB, "--json"], cfg, env=env, check=True))
        by_id = {b["id"]: b for b in listed["backups"]}
        self.assertEqual(by_id[later]["kept_by"], ["untrusted"], "an unreadable manifest kept by the rules")
        self.assertIn("describes another object", by_id[later]["problem"])
        self.assertIn("yearly", by_id[good]["kept_by"])

        pruned = parse_json_output(run_bb(["prune", DB, "--json"], cfg, env=env, check=True))
        (plan,) = pruned["databases"]
        self.assertEqual(plan["delete"], [], "prune deleted a trusted backup")
        self.assertEqual(self.ids(prefix, DB), sorted([good, later]))

        proc = run_bb(["restore", DB, "--into", "ledger_good"], cfg, env=env, check=True)
        self.assertEqual(last_line(proc.stdout), "ledger_good")
        self.assertIn("skipped the newer backup " + later, proc.stderr)
        self.assertEqual(self.pg.table_checksums("ledger_good")["public.entries"],
                         self.pg.table_checksums(DB)["public.entries"])
        # Asked for by id, the forged object is refused before anything is created.
        proc = run_bb(["restore", DB, "--backup", later, "--into", "ledger_forged"], cfg, env=env, check=1)
        self.assertIn("describes another object", proc.stderr)
        self.assertFalse(self.pg.db_exists("ledger_forged"))
        self.s3.assert_clean(self)
