"""Encryption (age) and verification against s3rver behind the SigV4-verifying proxy.

Proves: an encrypted backup is decrypted by the standard `age` CLI and restores with
plain zstd + pg_restore; the manifest records public keys only; a wrong or missing key is
refused before any database is created; passphrase mode round-trips; `verify` passes good
backups (with a restore test whose row counts match) and fails a damaged object and a
dump that is truncated yet carries a matching checksum; verify_after_backup runs.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from bbenv import encode_db_name, parse_json_output, run_bb, write_config, last_line
from pgenv import fill_fidelity_db
from fixtures import ServersTestCase

DB = "счета encrypted"


class EncryptionVerifyTest(ServersTestCase):
    @classmethod
    def fill(cls):
        cls.pg.create_db(DB)
        fill_fidelity_db(cls.pg, DB, rows=2000)
        cls.key = os.path.join(cls.tmp, "main.key")
        cls.pub = last_line(run_bb(["keygen", "-o", cls.key], None, check=True).stdout)
        cls.other_key = os.path.join(cls.tmp, "other.key")
        run_bb(["keygen", "-o", cls.other_key], None, check=True)
        cls.passfile = os.path.join(cls.tmp, "pass.txt")
        with open(cls.passfile, "w") as f:
            f.write("correct horse battery staple\n")
        cls.wrong_passfile = os.path.join(cls.tmp, "wrong-pass.txt")
        with open(cls.wrong_passfile, "w") as f:
            f.write("incorrect\n")

    def config(self, name, prefix, encryption="", backup_extra=""):
        text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                '[backup]\nstate_dir = "%s"\n%s\n[[databases]]\nname = %s\n\n%s\n'
                % (self.pg.host, self.pg.port, self.s3.storage_toml(prefix=prefix),
                   os.path.join(self.tmp, "state-" + name), backup_extra, json.dumps(DB, ensure_ascii=False),
                   encryption))
        path = os.path.join(self.tmp, name + ".toml")
        write_config(path, text)
        return path, {"AWS_ACCESS_KEY_ID": self.s3.access_key, "AWS_SECRET_ACCESS_KEY": self.s3.secret_key}

    def state(self, path):
        with open(path) as f:
            return json.load(f)

    def x25519(self, identity):
        return '[encryption]\nrecipients = ["%s"]\nidentity_file = "%s"\n' % (self.pub, identity)

    def fetch(self, key):
        path = os.path.join(tempfile.mkdtemp(dir=self.tmp), "obj")
        self.s3.aws("s3", "cp", "s3://%s/%s" % (self.s3.bucket, key), path)
        return path

    def backup(self, cfg, env):
        result = parse_json_output(run_bb(["backup", "--json"], cfg, env=env, check=True))["results"][0]
        self.assertTrue(result["ok"], result)
        return result

    def test_encrypted_backup_is_read_by_the_age_cli_and_restores(self):
        cfg, env = self.config("x25519", "x/", self.x25519(self.key))
        r = self.backup(cfg, env)
        base = "x/%s/%s" % (encode_db_name(DB), r["id"])
        manifest_text = self.s3.aws("s3", "cp", "s3://%s/%s.json" % (self.s3.bucket, base), "-").stdout
        manifest = json.loads(manifest_text)
        self.assertEqual(manifest["encryption"], {"type": "age", "recipients": [self.pub]})
        self.assertNotIn("AGE-SECRET-KEY", manifest_text)
        obj = self.fetch(base + ".dump.zst.age")
        with open(obj, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"age-encryption.org/v1\n"))
        self.assertEqual(hashlib.sha256(data).hexdigest(), manifest["sha256"])
        # Standard tools only: age -d | zstd -d | pg_restore.
        plain = subprocess.run(["/usr/bin/age", "-d", "-i", self.key, obj], capture_output=True, check=True).stdout
        dump = subprocess.run(["zstd", "-dc"], input=plain, capture_output=True, check=True).stdout
        self.assertEqual(len(dump), manifest["dump_bytes"])
        self.pg.create_db("by_hand_enc")
        self.pg.run_client("pg_restore", ["--exit-on-error", "-d", "by_hand_enc"], input=dump, binary=True)
        self.assertEqual(self.pg.table_checksums(DB), self.pg.table_checksums("by_hand_enc"))
        # And BackupBuddy's own restore.
        out = run_bb(["restore", DB, "--into", "enc_archive"], cfg, env=env, check=True)
        self.assertEqual(last_line(out.stdout), "enc_archive")
        self.assertEqual(self.pg.table_checksums(DB), self.pg.table_checksums("enc_archive"))
        self.assertEqual(self.pg.large_objects_checksum(DB), self.pg.large_objects_checksum("enc_archive"))
        self.s3.assert_clean(self)

    def test_wrong_or_missing_key_is_refused_before_any_database_exists(self):
        cfg, env = self.config("keys", "k/", self.x25519(self.key))
        self.backup(cfg, env)
        before = self.pg.databases()
        wrong, _ = self.config("keys-wrong", "k/", self.x25519(self.other_key))
        proc = run_bb(["restore", DB, "--into", "must_not_exist"], wrong, env=env, check=1)
        self.assertIn("no identity matches", proc.stderr)
        self.assertEqual(self.pg.databases(), before)
        none, _ = self.config("keys-none", "k/", "")
        proc = run_bb(["restore", DB, "--into", "must_not_exist"], none, env=env, check=1)
        self.assertIn("identity_file", proc.stderr)
        self.assertEqual(self.pg.databases(), before)
        with open(self.other_key) as f:
            secret = [l for l in f if l.startswith("AGE-SECRET-KEY")][0].strip()
        self.assertNotIn(secret, proc.stdout + proc.stderr)

    def test_passphrase_mode_round_trip_and_wrong_passphrase(self):
        cfg, env = self.config("pass", "p/", '[encryption]\npassphrase_file = "%s"\n' % self.passfile)
        r = self.backup(cfg, env)
        out = run_bb(["restore", DB, "--into", "pass_archive"], cfg, env=env, check=True)
        self.assertEqual(self.pg.table_checksums(DB), self.pg.table_checksums("pass_archive"))
        before = self.pg.databases()
        wrong, _ = self.config("pass-wrong", "p/", '[encryption]\npassphrase_file = "%s"\n' % self.wrong_passfile)
        proc = run_bb(["restore", DB, "--into", "pass_wrong"], wrong, env=env, check=1)
        self.assertIn("passphrase", proc.stderr)
        self.assertNotIn("incorrect", proc.stderr)
        self.assertEqual(self.pg.databases(), before)

    def test_verify_passes_good_backups_and_restore_test_counts_rows(self):
        cfg, env = self.config("verify", "v/", self.x25519(self.key))
        self.backup(cfg, env)
        before = self.pg.databases()
        v = parse_json_output(run_bb(["verify", "--restore-test", "--json"], cfg, env=env, check=True))["results"]
        self.assertEqual(len(v), 1)
        self.assertTrue(v[0]["ok"], v[0])
        self.assertTrue(v[0]["restore_tested"])
        tables = self.pg.user_tables(DB, kinds="r")
        expected_rows = sum(int(self.pg.query_value(DB, 'select count(*) from "%s"."%s"' % (
            s.replace('"', '""'), t.replace('"', '""')))) for s, t in tables)
        self.assertEqual(v[0]["rows"], expected_rows)
        self.assertEqual(v[0]["tables"], len(tables))
        self.assertGreater(v[0]["tables"], 3)
        self.assertEqual(self.pg.databases(), before, "the scratch database must be dropped")
        state = self.state(os.path.join(self.tmp, "state-verify", "state.json"))
        self.assertTrue(state["databases"][DB]["verify_ok"])
        self.assertTrue(state["databases"][DB]["restore_tested"])

    def test_verify_fails_a_damaged_object_and_records_it(self):
        cfg, env = self.config("damage", "d/", self.x25519(self.key))
        r = self.backup(cfg, env)
        key = "d/%s/%s.dump.zst.age" % (encode_db_name(DB), r["id"])
        obj = self.fetch(key)
        with open(obj, "r+b") as f:
            f.seek(os.path.getsize(obj) - 100)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 0x40]))
        self.s3.aws("s3", "cp", obj, "s3://%s/%s" % (self.s3.bucket, key))
        proc = run_bb(["verify", "--json"], cfg, env=env, check=1)
        result = parse_json_output(proc)["results"][0]
        self.assertFalse(result["ok"])
        self.assertRegex(result["error"], "damaged|authentication|SHA-256")
        state = self.state(os.path.join(self.tmp, "state-damage", "state.json"))
        self.assertFalse(state["databases"][DB]["verify_ok"])

    def test_verify_fails_a_truncated_dump_even_with_a_matching_checksum(self):
        # Someone (or a buggy tool) stored a dump cut short and wrote a manifest for it:
        # checksums agree, only reading the whole archive shows it is incomplete.
        cfg, env = self.config("trunc", "t/")
        r = self.backup(cfg, env)
        base = "t/%s/%s" % (encode_db_name(DB), r["id"])
        obj = self.fetch(base + ".dump.zst")
        dump = subprocess.run(["zstd", "-dc", obj], capture_output=True, check=True).stdout
        cut = dump[: int(len(dump) * 0.8)]
        packed = subprocess.run(["zstd", "-q", "-c"], input=cut, capture_output=True, check=True).stdout
        manifest = json.loads(self.s3.aws("s3", "cp", "s3://%s/%s.json" % (self.s3.bucket, base), "-").stdout)
        manifest.update(sha256=hashlib.sha256(packed).hexdigest(), stored_bytes=len(packed), dump_bytes=len(cut))
        work = tempfile.mkdtemp(dir=self.tmp)
        with open(os.path.join(work, "obj"), "wb") as f:
            f.write(packed)
        with open(os.path.join(work, "man"), "w") as f:
            json.dump(manifest, f)
        self.s3.aws("s3", "cp", os.path.join(work, "obj"), "s3://%s/%s.dump.zst" % (self.s3.bucket, base))
        self.s3.aws("s3", "cp", os.path.join(work, "man"), "s3://%s/%s.json" % (self.s3.bucket, base))
        result = parse_json_output(run_bb(["verify", "--json"], cfg, env=env, check=1))["results"][0]
        self.assertFalse(result["ok"])
        self.assertRegex(result["error"], "incomplete|truncated|damaged")

    def test_verify_after_backup_restore_mode(self):
        cfg, env = self.config("after", "a/", self.x25519(self.key), backup_extra='verify_after_backup = "restore"\n')
        before = self.pg.databases()
        r = self.backup(cfg, env)
        self.assertTrue(r["verified"])
        self.assertEqual(self.pg.databases(), before)
        state = self.state(os.path.join(self.tmp, "state-after", "state.json"))
        self.assertTrue(state["databases"][DB]["restore_tested"])
        self.assertEqual(state["databases"][DB]["verified_id"], r["id"])


    def test_object_replaced_by_another_databases_valid_backup_fails_verify(self):
        cfg, env = self.config("swap", "s/", "")
        r = self.backup(cfg, env)
        self.pg.create_db("other_db")
        self.pg.psql("other_db", "create table t(x int); insert into t select generate_series(1, 10);")
        other = parse_json_output(run_bb(["backup", "other_db", "--json"], cfg, env=env, check=True))["results"][0]
        mine = "s/%s/%s.dump.zst" % (encode_db_name(DB), r["id"])
        theirs = "s/other_db/%s.dump.zst" % other["id"]
        self.s3.aws("s3", "cp", "s3://%s/%s" % (self.s3.bucket, theirs), "s3://%s/%s" % (self.s3.bucket, mine))
        result = parse_json_output(run_bb(["verify", DB, "--json"], cfg, env=env, check=1))["results"][0]
        self.assertFalse(result["ok"])
        self.assertRegex(result["error"], "damaged|bytes but its manifest says")

    def test_manifest_whose_row_counts_disagree_fails(self):
        cfg, env = self.config("counts", "c/", "")
        r = self.backup(cfg, env)
        key = "c/%s/%s.json" % (encode_db_name(DB), r["id"])
        manifest = json.loads(self.s3.aws("s3", "cp", "s3://%s/%s" % (self.s3.bucket, key), "-").stdout)
        self.assertTrue(manifest["row_counts"], "the backup records the rows of every table")
        self.assertEqual(sum(t["rows"] for t in manifest["row_counts"]),
                         parse_json_output(run_bb(["verify", "--json"], cfg, env=env, check=True))["results"][0]["rows"])
        manifest["row_counts"][0]["rows"] += 1
        path = os.path.join(tempfile.mkdtemp(dir=self.tmp), "m.json")
        with open(path, "w") as f:
            json.dump(manifest, f)
        self.s3.aws("s3", "cp", path, "s3://%s/%s" % (self.s3.bucket, key))
        before = self.pg.databases()
        result = parse_json_output(run_bb(["verify", "--restore-test", "--json"], cfg, env=env, check=1))["results"][0]
        self.assertFalse(result["ok"])
        self.assertIn("the manifest recorded", result["error"])
        self.assertEqual(self.pg.databases(), before)

    def test_verify_all_of_fifty_backups(self):
        cfg, env = self.config("fifty", "f/", "")
        self.pg.create_db("fifty_db")
        self.pg.psql("fifty_db", "create table t(x int, y text); "
                                 "insert into t select g, md5(g::text) from generate_series(1, 20000) g;")
        with open(cfg) as f:
            text = f.read().replace(json.dumps(DB, ensure_ascii=False), '"fifty_db"')
        write_config(cfg, text)
        r = self.backup(cfg, env)
        base = "f/fifty_db/%s" % r["id"]
        manifest = json.loads(self.s3.aws("s3", "cp", "s3://%s/%s.json" % (self.s3.bucket, base), "-").stdout)
        # 49 more backups: the same object under other ids, each with its own manifest.
        work = tempfile.mkdtemp(dir=self.tmp)
        obj = self.fetch(base + ".dump.zst")
        tree = os.path.join(work, "tree")
        os.makedirs(os.path.join(tree, "fifty_db"))
        for day in range(1, 50):
            bid = "2020%02d%02dT040000Z" % (1 + day // 28, 1 + day % 28)
            shutil.copy(obj, os.path.join(tree, "fifty_db", bid + ".dump.zst"))
            m = dict(manifest, id=bid, data_key="fifty_db/%s.dump.zst" % bid)
            with open(os.path.join(tree, "fifty_db", bid + ".json"), "w") as f:
                json.dump(m, f)
        self.s3.aws("s3", "sync", tree, "s3://%s/f/" % self.s3.bucket)
        def peak_rss_kib(args):
            timing = os.path.join(work, "time.txt")
            proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", timing, os.environ["BB_BINARY"], "-c", cfg,
                                   "verify", "fifty_db", "--json"] + args, capture_output=True, text=True,
                                  env=dict(os.environ, **env))
            self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
            with open(timing) as f:
                return json.loads(proc.stdout)["results"], int(f.read().strip().splitlines()[-1])

        one, rss_one = peak_rss_kib([])
        self.assertEqual(len(one), 1)
        results, rss_all = peak_rss_kib(["--all"])
        self.assertEqual(len(results), 50)
        self.assertTrue(all(x["ok"] and x["rows"] == 20000 for x in results))
        print("verify: peak RSS %.1f MiB for 1 backup, %.1f MiB for 50" % (rss_one / 1024, rss_all / 1024))
        # Streaming: memory does not grow with the number of backups verified. Not under a
        # sanitizer: AddressSanitizer keeps freed memory in quarantine (up to 256 MiB) on purpose.
        if os.environ.get("BB_SANITIZER"):
            print("verify: memory bound not checked under the %s sanitizer" % os.environ["BB_SANITIZER"])
            return
        self.assertLess(rss_all, rss_one * 1.5 + 16 * 1024)


if __name__ == "__main__":
    unittest.main()
