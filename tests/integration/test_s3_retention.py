"""Retention against s3rver: exactly the right objects survive `prune`, `--dry-run` changes
nothing, legacy objects of the old Python tool share the timeline and restore, and
`backup` prunes only a database whose own backup succeeded.

Histories are crafted as objects (data + manifest per backup) so that years of backups
exist in seconds; the expected survivors are worked out by hand from the policy
(daily 4, weekly 4, monthly 4, yearly 999 in UTC), not computed by the code under test.
"""

import datetime as dt
import hashlib
import json
import os
import tempfile
import unittest

from bbenv import encode_db_name, parse_json_output, run_bb, write_config, last_line
from fixtures import ServersTestCase

SHOP = "my-shop"          # a '-' in the name, like the old tool's keys
BUH = "бухгалтерия"       # Cyrillic
SOLO = "solo"

# my-shop: daily 2026-11-01..20 plus older monthly/yearly ones, all at 04:00Z.
SHOP_DAYS = ["2026-11-%02d" % d for d in range(1, 21)] + [
    "2026-10-15", "2026-09-30", "2026-08-01", "2026-07-01", "2025-12-31"]
SHOP_LEGACY = [("2024_06_01", "MONTHLY"), ("2023_01_01", "YEARLY")]
SHOP_KEEP = {"2026-11-20", "2026-11-19", "2026-11-18", "2026-11-17",   # daily
             "2026-11-15", "2026-11-08", "2026-11-01",                 # weekly (ISO weeks 46, 45, 44)
             "2026-10-15", "2026-09-30", "2026-08-01",                 # monthly
             "2025-12-31"}                                             # yearly
SHOP_LEGACY_KEEP = {"2024_06_01", "2023_01_01"}                        # yearly (2024, 2023)
# бухгалтерия: daily 2026-11-10..20.
BUH_DAYS = ["2026-11-%02d" % d for d in range(10, 21)]
BUH_KEEP = {"2026-11-20", "2026-11-19", "2026-11-18", "2026-11-17", "2026-11-15"}


def backup_id(day):
    return dt.date.fromisoformat(day).strftime("%Y%m%d") + "T040000Z"


def manifest(db, bid, data_key, body):
    start = dt.datetime.strptime(bid, "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({
        "format": "backupbuddy-manifest", "format_version": 1, "database": db, "id": bid,
        "data_key": data_key, "started_at": start, "finished_at": start,
        "dump_bytes": len(body) * 3, "stored_bytes": len(body),
        "sha256": hashlib.sha256(body).hexdigest(), "compression": "zstd"})


class RetentionS3Test(ServersTestCase):
    @classmethod
    def fill(cls):
        # A real pg_dump -Fc file (the old tool's format) for the legacy restore.
        cls.pg.create_db("legacy_src")
        cls.pg.psql("legacy_src", "create table invoices(id int primary key, total numeric, who text); "
                    "insert into invoices select g, g * 1.5, 'клиент ' || g from generate_series(1, 500) g;")
        cls.legacy_dump = cls.pg.run_client("pg_dump", ["-Fc"], db="legacy_src", binary=True).stdout

    # ---- helpers ----------------------------------------------------------------------

    def write_tree(self, prefix, files):
        """Uploads {relative key: bytes} under prefix with one `aws s3 sync`."""
        root = tempfile.mkdtemp(dir=self.tmp)
        for key, body in files.items():
            path = os.path.join(root, key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(body)
        self.s3.aws("s3", "sync", root, "s3://%s/%s" % (self.s3.bucket, prefix))

    def history(self, db, days):
        files = {}
        for i, day in enumerate(days):
            bid = backup_id(day)
            data_key = "%s/%s.dump.zst" % (encode_db_name(db), bid)
            body = ("%s %s %d" % (db, day, i)).encode() * 10
            files[data_key] = body
            files["%s/%s.json" % (encode_db_name(db), bid)] = manifest(db, bid, data_key, body).encode()
        return files

    def listing(self, prefix):
        out = self.s3.aws("s3api", "list-objects-v2", "--bucket", self.s3.bucket, "--prefix", prefix).stdout
        return {o["Key"]: (o["Size"], o["ETag"]) for o in json.loads(out or "{}").get("Contents", [])}

    def config(self, name, prefix, databases=()):
        text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                '[backup]\nstate_dir = "%s"\ntimezone = "UTC"\n\n'
                % (self.pg.host, self.pg.port, self.s3.storage_toml(prefix=prefix),
                   os.path.join(self.tmp, "state-" + name)))
        for db in databases:
            text += '[[databases]]\nname = %s\n\n' % json.dumps(db, ensure_ascii=False)
        path = os.path.join(self.tmp, name + ".toml")
        write_config(path, text)
        return path, {"AWS_ACCESS_KEY_ID": self.s3.access_key, "AWS_SECRET_ACCESS_KEY": self.s3.secret_key}

    def mixed_bucket(self, prefix):
        files = {}
        files.update(self.history(SHOP, SHOP_DAYS))
        files.update(self.history(BUH, BUH_DAYS))
        files.update(self.history(SOLO, ["2026-11-19"]))
        for date, kind in SHOP_LEGACY:
            files["%s-%s-%s.dump" % (SHOP, date, kind)] = self.legacy_dump
        strangers = {
            "notes.txt": b"not a backup",
            "my-shop/README.md": b"hands off",
            "my-shop/20261101T040000Z.dump": b"wrong suffix",
            "my-shop-2024_13_01-DAILY.dump": b"no 13th month",
            "solo/20261120T040000Z.dump.zst": b"orphan of a run that is still going (fresh)",
        }
        files.update(strangers)
        self.write_tree(prefix, files)
        return files, strangers

    # ---- tests --------------------------------------------------------------------------

    def test_dry_run_changes_nothing_and_prune_keeps_exactly_the_policy(self):
        prefix = "ret/"
        files, strangers = self.mixed_bucket(prefix)
        cfg, env = self.config("prune", prefix)
        before = self.listing(prefix)
        self.assertEqual(len(before), len(files))

        dry = parse_json_output(run_bb(["prune", "--dry-run", "--json"], cfg, env=env, check=True))
        self.assertEqual(self.listing(prefix), before, "--dry-run must not change the bucket")
        shop_plan = next(d for d in dry["databases"] if d["database"] == SHOP)
        self.assertEqual(len(shop_plan["delete"]), len(SHOP_DAYS) - len(SHOP_KEEP))
        self.assertEqual(dry["unrecognized_objects"], 4)  # the strangers except the fresh orphan

        run_bb(["prune"], cfg, env=env, check=True)
        expected = set(strangers)
        for db, days, keep in ((SHOP, SHOP_DAYS, SHOP_KEEP), (BUH, BUH_DAYS, BUH_KEEP), (SOLO, ["2026-11-19"], {"2026-11-19"})):
            for day in days:
                if day in keep:
                    expected.add("%s/%s.dump.zst" % (encode_db_name(db), backup_id(day)))
                    expected.add("%s/%s.json" % (encode_db_name(db), backup_id(day)))
        for date, kind in SHOP_LEGACY:
            if date in SHOP_LEGACY_KEEP:
                expected.add("%s-%s-%s.dump" % (SHOP, date, kind))
        after = {k[len(prefix):] for k in self.listing(prefix)}
        self.assertEqual(sorted(after - expected), [], "objects that should have been deleted")
        self.assertEqual(sorted(expected - after), [], "objects that were lost")
        # A second prune has nothing left to do.
        again = parse_json_output(run_bb(["prune", "--json"], cfg, env=env, check=True))
        self.assertEqual(sum(len(d["delete"]) for d in again["databases"]), 0)
        self.s3.assert_clean(self)

    def test_list_shows_legacy_backups_and_the_rules_that_keep_them(self):
        prefix = "lst/"
        self.mixed_bucket(prefix)
        cfg, env = self.config("list", prefix)
        listed = parse_json_output(run_bb(["list", SHOP, "--json"], cfg, env=env, check=True))
        ids = [b["id"] for b in listed["backups"]]
        self.assertEqual(ids[0], backup_id("2026-11-20"))
        self.assertEqual(ids[-2:], ["2024_06_01", "2023_01_01"])
        legacy = [b for b in listed["backups"] if b["legacy"]]
        self.assertEqual(len(legacy), 2)
        by_id = {b["id"]: b["kept_by"] for b in listed["backups"]}
        self.assertEqual(by_id[backup_id("2026-11-20")], ["daily", "weekly", "monthly", "yearly"])
        self.assertEqual(by_id[backup_id("2026-11-15")], ["weekly"])
        self.assertEqual(by_id[backup_id("2026-11-16")], [])
        self.assertEqual(by_id["2024_06_01"], ["yearly"])
        overview = parse_json_output(run_bb(["list", "--json"], cfg, env=env, check=True))
        counts = {d["name"]: d["count"] for d in overview["databases"]}
        self.assertEqual(counts, {SHOP: len(SHOP_DAYS) + 2, BUH: len(BUH_DAYS), SOLO: 1})

    def test_legacy_object_restores_into_an_archive(self):
        prefix = "leg/"
        self.write_tree(prefix, {"%s-2024_06_01-MONTHLY.dump" % SHOP: self.legacy_dump,
                                 "%s-2024_05_01-MONTHLY.dump" % SHOP: b"older and broken"})
        cfg, env = self.config("legacy", prefix)
        proc = run_bb(["restore", SHOP, "--at", "2024-06-15", "--into", "legacy_restored"], cfg, env=env, check=True)
        self.assertEqual(last_line(proc.stdout), "legacy_restored")
        self.assertEqual(self.pg.table_checksums("legacy_src"), self.pg.table_checksums("legacy_restored"))
        proc = run_bb(["restore", SHOP, "--backup", "2024_06_01", "--into", "legacy_restored2"], cfg, env=env, check=True)
        self.assertEqual(self.pg.table_checksums("legacy_src"), self.pg.table_checksums("legacy_restored2"))

    def test_backup_prunes_only_databases_whose_backup_succeeded(self):
        prefix = "run/"
        self.pg.create_db("alive")
        self.pg.psql("alive", "create table t(x int); insert into t values (1);")
        # Far in the past, so today's new backup is in another day, week, month and year
        # whenever the test runs. 2020-11-01 is a Sunday (ISO week 44); 11-02..08 is week 45.
        days = ["2020-11-%02d" % d for d in range(1, 11)]
        files = {}
        files.update(self.history("alive", days))
        files.update(self.history("gone", days))  # its database no longer exists: its backup fails
        self.write_tree(prefix, files)
        cfg, env = self.config("run", prefix, databases=["alive", "gone"])
        result = parse_json_output(run_bb(["backup", "--json"], cfg, env=env, check=1))
        ok = {r["database"]: r["ok"] for r in result["results"]}
        self.assertEqual(ok, {"alive": True, "gone": False})
        after = self.listing(prefix)
        gone = sorted(k for k in after if k.startswith(prefix + "gone/"))
        self.assertEqual(len(gone), 2 * len(days), "a failed database must keep every backup")
        new_id = next(r["id"] for r in result["results"] if r["database"] == "alive")
        # daily: new, 11-10, 11-09, 11-08; weekly: new, 11-10 (w46), 11-08 (w45), 11-01 (w44);
        # monthly and yearly: new, 11-10.
        kept = {new_id} | {backup_id("2020-11-%02d" % d) for d in (10, 9, 8, 1)}
        alive = {k for k in after if k.startswith(prefix + "alive/")}
        self.assertEqual(alive, {prefix + "alive/%s.%s" % (i, ext) for i in kept for ext in ("dump.zst", "json")})
        # --no-prune keeps everything.
        before = self.listing(prefix)
        run_bb(["backup", "alive", "--no-prune"], cfg, env=env, check=True)
        self.assertTrue(set(before) <= set(self.listing(prefix)))


if __name__ == "__main__":
    unittest.main()
