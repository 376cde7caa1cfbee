"""Where backups land must be where list and restore look, against a real PostgreSQL and
s3rver behind the SigV4-verifying fault proxy (tests/tools/s3_proxy.py).

Proves: a [storage] prefix with "." / ".." / empty segments or a leading "/" is a config
error (exit 2, file:line, storage.prefix) that sends nothing to the bucket, for S3 and the
local store, while "pg" and "a/b/" still work; a backup whose manifest a listing does not
show fails (exit 1, no prune) instead of reporting success, and a listing that only lags
is waited for; `check` removes its probe objects also when one of its steps fails.

Run: cd tests/integration && BB_BINARY=.../backupbuddy /usr/bin/python3 -m unittest -v test_prefix_and_listing
"""

import os
import unittest

from bbenv import describe, encode_db_name, parse_json_output, run_bb, write_config
from fixtures import ServersTestCase

DB = "ledger"
BAD_PREFIXES = ("a/../b/", "../a/", "./pg/", "pg/..", "a//b/", "/pg/")


class PrefixAndListingTest(ServersTestCase):
    @classmethod
    def fill(cls):
        cls.pg.create_db(DB)
        cls.pg.psql(DB, "create table t(id int primary key, v text); "
                        "insert into t select g, md5(g::text) from generate_series(1, 2000) g;")

    def setUp(self):
        self.s3.clear_faults()

    def tearDown(self):
        self.s3.clear_faults()

    def config(self, name, prefix, storage_extra="", retention=""):
        text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                '[backup]\nstate_dir = "%s"\n\n%s\n[[databases]]\nname = "%s"\n'
                % (self.pg.host, self.pg.port, self.s3.storage_toml(prefix=prefix, extra=storage_extra),
                   os.path.join(self.tmp, "state-" + name), retention, DB))
        return write_config(os.path.join(self.tmp, name + ".toml"), text)

    def run_s3(self, args, cfg, check=None):
        return run_bb(args, cfg, env=self.s3_credentials(), check=check)

    # ---- the prefix ----------------------------------------------------------------

    def test_prefix_with_dot_or_empty_segments_is_a_config_error_and_writes_nothing(self):
        before = self.s3.list_objects()
        for i, prefix in enumerate(BAD_PREFIXES):
            with self.subTest(prefix=prefix):
                cfg = self.config("bad-%d" % i, prefix)
                self.s3.proxy_reset()
                for command in (["backup"], ["check"], ["list"]):
                    proc = self.run_s3(command, cfg)
                    self.assertEqual(proc.returncode, 2, describe(proc, "%s with prefix %r" % (command, prefix)))
                    # file:line of the prefix key (line 11 of the config), the key and a plain example.
                    self.assertIn("%s:11: storage.prefix:" % cfg, proc.stderr, describe(proc))
                    self.assertIn('"pg/"', proc.stderr, describe(proc))
                self.assertEqual(self.s3.proxy_state()["requests"], 0, "a refused config reached S3")
        self.assertEqual(self.s3.list_objects(), before)

    def test_prefix_of_the_local_store_is_checked_the_same_way(self):
        store = os.path.join(self.tmp, "local-store")
        os.makedirs(store, exist_ok=True)
        for i, prefix in enumerate(("../escaped/", "a/../b/", "/abs/")):
            with self.subTest(prefix=prefix):
                cfg = write_config(os.path.join(self.tmp, "local-%d.toml" % i),
                                   '[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n'
                                   '[storage]\ntype = "local"\npath = "%s"\nprefix = "%s"\n'
                                   '[backup]\nstate_dir = "%s"\n[[databases]]\nname = "%s"\n'
                                   % (self.pg.host, self.pg.port, store, prefix,
                                      os.path.join(self.tmp, "state-local"), DB))
                proc = run_bb(["backup"], cfg)
                self.assertEqual(proc.returncode, 2, describe(proc))
                self.assertIn("%s:8: storage.prefix:" % cfg, proc.stderr, describe(proc))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "escaped")))
        self.assertEqual(os.listdir(store), [])

    def test_plain_prefix_without_trailing_slash_still_works(self):
        cfg = self.config("plain", "plain/sub")
        result = parse_json_output(self.run_s3(["backup", "--json"], cfg, check=True))["results"][0]
        self.assertTrue(result["ok"], result)
        folder = "plain/sub/" + encode_db_name(DB) + "/"
        self.assertEqual(self.s3.list_keys(folder),
                         [folder + result["id"] + ".dump.zst", folder + result["id"] + ".json"])
        listing = parse_json_output(self.run_s3(["list", DB, "--json"], cfg, check=True))
        self.assertEqual([b["id"] for b in listing["backups"]], [result["id"]])

    # ---- a backup must be listable -------------------------------------------------------

    def test_backup_whose_manifest_is_not_listed_fails_and_does_not_prune(self):
        # daily = 1: a second successful backup today would prune the first one.
        cfg = self.config("lying", "lying/", retention="[retention]\ndaily = 1\nweekly = 0\nmonthly = 0\nyearly = 0\n")
        first = parse_json_output(self.run_s3(["backup", "--json"], cfg, check=True))["results"][0]
        folder = "lying/" + encode_db_name(DB) + "/"
        first_keys = [folder + first["id"] + ".dump.zst", folder + first["id"] + ".json"]
        self.assertEqual(self.s3.list_keys(folder), first_keys)

        # The provider stores the manifest but its listings never show manifests.
        self.s3.proxy_reset()
        self.s3.inject_faults([{"kind": "list_objects", "action": "omit", "omit_suffix": ".json", "times": 1000}])
        proc = self.run_s3(["backup", "--json"], cfg)
        self.assertEqual(proc.returncode, 1, describe(proc, "a backup nobody can list must fail"))
        result = parse_json_output(proc)["results"][0]
        self.assertFalse(result["ok"], result)
        self.assertIn("does not show it", result["error"])
        self.assertIn("list, prune and restore cannot find it", result["error"])
        state = self.s3.proxy_state()
        self.assertEqual(state["by_kind"].get("delete_objects", 0) + state["by_kind"].get("delete_object", 0), 0,
                         "a failed backup must not prune (or delete) anything: %s" % state["by_kind"])
        status = parse_json_output(self.run_s3(["status", "--json"], cfg, check=True))
        self.assertFalse(status["databases"][0]["backup_ok"], status)

        # Nothing was deleted: the first backup is intact, and the new objects were left in
        # place, so a listing that catches up later shows them as an ordinary backup.
        self.s3.clear_faults()
        keys = self.s3.list_keys(folder)
        for key in first_keys:
            self.assertIn(key, keys)
        self.assertEqual(len(keys), 4, keys)
        self.s3.assert_clean(self)

    def test_backup_waits_for_a_listing_that_lags_behind(self):
        # legacy = false: one listing per look at the folder. The first two listings miss the
        # manifest (the backup's look for a previous one, then its first confirmation).
        cfg = self.config("lagging", "lagging/", storage_extra="legacy = false\n")
        self.s3.inject_faults([{"kind": "list_objects", "action": "omit", "omit_suffix": ".json", "times": 2}])
        result = parse_json_output(self.run_s3(["backup", "--json"], cfg, check=True))["results"][0]
        self.assertTrue(result["ok"], result)
        self.assertEqual(self.s3.proxy_state()["faults"][0]["times"], 0, "the lagging listing was not consulted")

    # ---- check cleans up after a failed step -----------------------------------------------

    def assert_check_fails_and_leaves_no_probe(self, name, faults, failed_step):
        cfg = self.config(name, name + "/")
        self.s3.inject_faults(faults)
        proc = self.run_s3(["check"], cfg)
        self.assertEqual(proc.returncode, 1, describe(proc))
        self.assertIn("[FAIL] storage: " + failed_step, proc.stdout, describe(proc))
        self.s3.clear_faults()
        self.assertEqual(self.s3.list_keys(name + "/"), [], describe(proc, "probe objects were left behind"))
        self.s3.assert_clean(self)

    def test_check_removes_its_probe_when_the_listing_omits_it(self):
        self.assert_check_fails_and_leaves_no_probe(
            "chk-list", [{"kind": "list_objects", "action": "omit", "omit_contains": "probe", "times": 1000}],
            "list with a prefix (ListObjectsV2): the probe object was written but is not listed")

    def test_check_removes_its_probe_when_reading_it_back_fails(self):
        self.assert_check_fails_and_leaves_no_probe(
            "chk-get", [{"kind": "get_object", "action": "status", "status": 403, "code": "AccessDenied",
                         "key_suffix": "probe.txt", "times": 1000}],
            "get (GetObject)")

    def test_check_removes_its_probe_when_multipart_upload_is_refused(self):
        self.assert_check_fails_and_leaves_no_probe(
            "chk-multipart", [{"kind": "complete_upload", "action": "status", "status": 501,
                               "code": "NotImplemented", "times": 1000}],
            "multipart upload")


if __name__ == "__main__":
    unittest.main()
