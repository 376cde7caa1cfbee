"""Backup and restore through the S3 driver, against s3rver behind the SigV4-verifying proxy.

Proves: the round trip is faithful; what BackupBuddy stores is read by standard tools
(aws, zstd, pg_restore, sha256); bad credentials, an unreachable endpoint and a damaged
object fail cleanly with clear messages and leave nothing behind.
"""

import hashlib
import json
import os
import subprocess
import tempfile
import unittest

from bbenv import encode_db_name, parse_json_output, run_bb, write_config, last_line
from pgenv import fill_fidelity_db
from fixtures import ServersTestCase
from s3env import UNDERSCORE_BUCKET, free_port

PG_BIN = "/usr/lib/postgresql/15/bin"


class S3BackupTest(ServersTestCase):
    extra_buckets = (UNDERSCORE_BUCKET,)

    @classmethod
    def fill(cls):
        cls.fidelity_db = 'Бухгалтерия "main" - 2024'
        cls.pg.create_db(cls.fidelity_db)
        fill_fidelity_db(cls.pg, cls.fidelity_db)
        cls.pg.create_db("bulk")
        # ~40 MB of poorly compressible rows: several 5 MiB parts after zstd.
        cls.pg.psql("bulk", "create table r(id int primary key, a text, b text, c text); "
                    "insert into r select g, md5(random()::text), md5(random()::text), "
                    "md5(random()::text) from generate_series(1, 350000) g;")
        for i in (1, 2):
            cls.pg.create_db("small_%d" % i)
            cls.pg.psql("small_%d" % i, "create table t(id int primary key, v text); "
                        "insert into t select g, repeat('x', g %% 50) || %d from generate_series(1, 5000) g;" % i)

    def config(self, name, prefix, bucket=None, databases=(), secret=None, endpoint=None, extra_storage="",
               extra_backup=""):
        storage = self.s3.storage_toml(bucket=bucket, prefix=prefix, extra=extra_storage)
        if endpoint:
            storage = storage.replace(self.s3.endpoint, endpoint)
        text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                '[backup]\nstate_dir = "%s"\n%s\n' % (self.pg.host, self.pg.port, storage,
                                                      os.path.join(self.tmp, "state-" + name), extra_backup))
        for db in databases:
            text += '[[databases]]\nname = %s\n\n' % json.dumps(db, ensure_ascii=False)
        path = os.path.join(self.tmp, name + ".toml")
        write_config(path, text)
        env = {"AWS_ACCESS_KEY_ID": self.s3.access_key,
               "AWS_SECRET_ACCESS_KEY": secret if secret is not None else self.s3.secret_key}
        return path, env

    def keys(self, bucket, prefix):
        out = self.s3.aws("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix).stdout
        return sorted(o["Key"] for o in json.loads(out or "{}").get("Contents", []))

    def test_fidelity_round_trip_through_s3_with_underscore_bucket(self):
        cfg, env = self.config("fidelity", "pg/", bucket=UNDERSCORE_BUCKET, databases=[self.fidelity_db])
        result = parse_json_output(run_bb(["backup", "--json"], cfg, env=env, check=True))
        self.assertTrue(result["results"][0]["ok"], result)
        backup_id = result["results"][0]["id"]
        prefix = "pg/" + encode_db_name(self.fidelity_db) + "/"
        self.assertEqual(self.keys(UNDERSCORE_BUCKET, prefix),
                         [prefix + backup_id + ".dump.zst", prefix + backup_id + ".json"])
        target = "restored fidelity"
        proc = run_bb(["restore", self.fidelity_db, "--into", target], cfg, env=env, check=True)
        self.assertEqual(last_line(proc.stdout), target)
        self.assertEqual(self.pg.schema_dump(self.fidelity_db), self.pg.schema_dump(target))
        self.assertEqual(self.pg.table_checksums(self.fidelity_db), self.pg.table_checksums(target))
        self.assertEqual(self.pg.large_objects_checksum(self.fidelity_db), self.pg.large_objects_checksum(target))
        self.assertEqual(self.pg.sequence_values(self.fidelity_db), self.pg.sequence_values(target))
        self.s3.assert_clean(self)

    def test_parallel_backup_of_several_databases_restores_each_identically(self):
        # [backup] parallel = 3: three databases at once, each its own pg_dump, zstd and
        # multipart upload (the threads the ThreadSanitizer run of this test watches).
        dbs = [self.fidelity_db, "bulk", "small_1", "small_2"]
        cfg, env = self.config("parallel", "par/", databases=dbs, extra_backup="parallel = 3\n")
        result = parse_json_output(run_bb(["backup", "--json"], cfg, env=env, check=True))
        self.assertEqual(sorted(r["database"] for r in result["results"]), sorted(dbs))
        self.assertTrue(all(r["ok"] for r in result["results"]), result)
        for db in dbs:
            target = "par restored " + db
            proc = run_bb(["restore", db, "--into", target], cfg, env=env, check=True)
            self.assertEqual(last_line(proc.stdout), target)
            self.assertEqual(self.pg.table_checksums(db), self.pg.table_checksums(target), db)
        self.s3.assert_clean(self)

    def test_multipart_object_is_read_by_standard_tools(self):
        cfg, env = self.config("standard", "std/", databases=["bulk"])
        result = parse_json_output(run_bb(["backup", "--json"], cfg, env=env, check=True))["results"][0]
        self.assertGreater(result["stored_bytes"], 10 * 1024 * 1024, "must span several 5 MiB parts")
        key = "std/bulk/%s.dump.zst" % result["id"]
        state = self.s3.proxy_state()
        self.assertGreaterEqual(state["by_kind"].get("upload_part", 0), 2, state["by_kind"])
        work = tempfile.mkdtemp(dir=self.tmp)
        obj = os.path.join(work, "obj.zst")
        self.s3.aws("s3", "cp", "s3://%s/%s" % (self.s3.bucket, key), obj)
        manifest = json.loads(self.s3.aws("s3", "cp", "s3://%s/std/bulk/%s.json" % (self.s3.bucket, result["id"]),
                                          "-").stdout)
        with open(obj, "rb") as f:
            data = f.read()
        self.assertEqual(hashlib.sha256(data).hexdigest(), manifest["sha256"])
        self.assertEqual(len(data), manifest["stored_bytes"])
        # zstd CLI | plain pg_restore into a fresh database.
        self.pg.create_db("bulk_by_hand")
        dump = subprocess.run(["zstd", "-dc", obj], capture_output=True, check=True).stdout
        self.assertEqual(len(dump), manifest["dump_bytes"])
        self.assertEqual(dump[:5], b"PGDMP")
        self.pg.run_client("pg_restore", ["--exit-on-error", "-d", "bulk_by_hand"],
                           input=dump, binary=True)
        self.assertEqual(self.pg.table_checksums("bulk"), self.pg.table_checksums("bulk_by_hand"))
        self.s3.assert_clean(self)

    def test_wrong_secret_fails_clearly_and_stores_nothing(self):
        wrong = "definitely-not-the-secret-42"
        cfg, env = self.config("badcreds", "bad/", databases=["bulk"], secret=wrong)
        proc = run_bb(["backup"], cfg, env=env, check=1)
        self.assertIn("secret_access_key", proc.stderr)
        self.assertIn("403", proc.stderr)
        self.assertNotIn(wrong, proc.stdout + proc.stderr)
        self.assertEqual(self.keys(self.s3.bucket, "bad/"), [])
        self.assertEqual(self.s3.proxy_state()["open_uploads"], [])

    def test_unreachable_endpoint_fails_every_database_quickly(self):
        port = free_port()
        cfg, env = self.config("down", "down/", databases=["bulk", self.fidelity_db],
                               endpoint="http://127.0.0.1:%d" % port,
                               extra_storage='max_retries = 1\ntimeout = "2s"\n')
        proc = run_bb(["backup", "--json"], cfg, env=env, check=1, timeout=120)
        results = parse_json_output(proc)["results"]
        self.assertEqual([r["ok"] for r in results], [False, False])
        for r in results:
            self.assertIn("127.0.0.1:%d" % port, r["error"])

    def test_damaged_object_is_refused_and_no_database_is_created(self):
        cfg, env = self.config("damaged", "dmg/", databases=[self.fidelity_db])
        backup_id = parse_json_output(run_bb(["backup", "--json"], cfg, env=env, check=True))["results"][0]["id"]
        key = "dmg/%s/%s.dump.zst" % (encode_db_name(self.fidelity_db), backup_id)
        work = tempfile.mkdtemp(dir=self.tmp)
        obj = os.path.join(work, "obj")
        self.s3.aws("s3", "cp", "s3://%s/%s" % (self.s3.bucket, key), obj)
        with open(obj, "r+b") as f:
            f.seek(os.path.getsize(obj) // 2)
            byte = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([byte[0] ^ 0x01]))
        self.s3.aws("s3", "cp", obj, "s3://%s/%s" % (self.s3.bucket, key))
        before = set(self.pg.databases())
        proc = run_bb(["restore", self.fidelity_db, "--into", "should_not_exist"], cfg, env=env, check=1)
        self.assertRegex(proc.stderr, "damaged|SHA-256|corrupt|checksum")
        self.assertEqual(set(self.pg.databases()), before, "no database may be left behind")


if __name__ == "__main__":
    unittest.main()
