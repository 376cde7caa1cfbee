"""The safety net from the field (issue 9): no silent false success, no hangs, restore
anywhere, and a `check` that names the operation a provider refuses.

Real parts: a throwaway PostgreSQL cluster, the real binary, local storage, and s3rver
behind the verifying proxy (with its fault rules) for the provider probe.
"""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

from bbenv import bookkeeping_key, last_line, local_config, parse_json_output, run_bb, write_config
from pgenv import PG_BIN, PgCluster
from s3env import S3Env


class SafetyNetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bb-safety-")
        cls.pg = PgCluster().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def config(self, name, databases, **sections):
        cfg = local_config(self.pg, os.path.join(self.tmp, "store-" + name), os.path.join(self.tmp, "state-" + name),
                           databases, **sections)
        return write_config(os.path.join(self.tmp, name + ".toml"), cfg)

    def hold_lock(self, db, table):
        """A psql session holding ACCESS EXCLUSIVE on table in an open transaction."""
        env = self.pg.env(db)
        proc = subprocess.Popen([os.path.join(PG_BIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=env, text=True)
        proc.stdin.write("begin; lock table %s in access exclusive mode; select pg_sleep(120);\n" % table)
        proc.stdin.flush()
        self.addCleanup(lambda: (proc.kill(), proc.wait()))
        deadline = time.time() + 20
        while time.time() < deadline:
            held = self.pg.query_value(db, "select count(*) from pg_locks where mode = 'AccessExclusiveLock' "
                                           "and relation = '%s'::regclass and granted" % table)
            if held == "1":
                return proc
            time.sleep(0.1)
        self.fail("the test could not take its lock")

    def test_shrink_and_empty_database_warnings(self):
        self.pg.create_db("shrinks")
        self.pg.psql("shrinks", "create table ledger(id int, note text); "
                     "insert into ledger select g, md5(g::text) from generate_series(1, 50000) g;")
        cfg = self.config("shrink", ["shrinks"])
        first = parse_json_output(run_bb(["backup", "--json", "--no-prune"], cfg, check=True))["results"][0]
        self.assertEqual(first["warnings"], [])
        time.sleep(1.1)
        self.pg.psql("shrinks", "delete from ledger where id > 1000;")
        second = parse_json_output(run_bb(["backup", "--json", "--no-prune"], cfg, check=True))["results"][0]
        self.assertTrue(second["ok"])
        self.assertTrue(any("dump is" in w and "previous one was" in w for w in second["warnings"]), second)
        time.sleep(1.1)
        self.pg.psql("shrinks", "drop table ledger;")
        third = parse_json_output(run_bb(["backup", "--json", "--no-prune"], cfg, check=True))["results"][0]
        self.assertTrue(any("has no tables now, but had 1" in w for w in third["warnings"]), third)

    def test_locked_table_fails_that_database_naming_table_and_holder(self):
        for db in ("locked_db", "free_db"):
            self.pg.create_db(db)
            self.pg.psql(db, "create table t(x int); insert into t values (1);")
        holder = self.hold_lock("locked_db", "t")
        cfg = self.config("lock", ["locked_db", "free_db"], backup={"lock_wait_timeout": "2s"})
        start = time.time()
        proc = run_bb(["backup", "--json"], cfg, check=1, timeout=120)
        elapsed = time.time() - start
        results = {r["database"]: r for r in parse_json_output(proc)["results"]}
        self.assertTrue(results["free_db"]["ok"], results)
        self.assertFalse(results["locked_db"]["ok"])
        error = results["locked_db"]["error"]
        self.assertIn("public.t", error)
        self.assertIn("server process %s" % self.pg.query_value(
            "locked_db", "select pid from pg_locks where mode = 'AccessExclusiveLock' and granted "
                         "and relation = 't'::regclass"), error)
        self.assertIn("lock_wait_timeout", error)
        self.assertLess(elapsed, 60)
        stored = [os.path.join(d, f) for d, _, files in os.walk(os.path.join(self.tmp, "store-lock")) for f in files
                  if not bookkeeping_key(os.path.relpath(os.path.join(d, f), self.tmp))]  # roles, run records
        self.assertTrue(stored and all("/free_db/" in f for f in stored), stored)

    def test_silent_pg_dump_is_stopped_by_the_stall_timeout(self):
        self.pg.create_db("stalls")
        self.pg.psql("stalls", "create table t(x int);")
        self.hold_lock("stalls", "t")
        cfg = self.config("stall", ["stalls"], backup={"lock_wait_timeout": "10m", "stall_timeout": "2s"})
        start = time.time()
        proc = run_bb(["backup", "--json"], cfg, check=1, timeout=120)
        self.assertLess(time.time() - start, 60)
        result = parse_json_output(proc)["results"][0]
        self.assertIn("produced no data for 2.0 s", result["error"])
        stored = [f for d, _, files in os.walk(os.path.join(self.tmp, "store-stall")) for f in files
                  if not bookkeeping_key(os.path.relpath(os.path.join(d, f), self.tmp))]  # roles, run records
        self.assertEqual(stored, [], "nothing may be stored for a stopped dump")

    def test_restore_without_the_original_roles(self):
        self.pg.psql("postgres", "create role clerk; create database clerk_db owner clerk;")
        self.pg.psql("clerk_db", "set role clerk; create table ledger(id int primary key, amount numeric); "
                     "insert into ledger select g, g * 2 from generate_series(1, 300) g; "
                     "grant select on ledger to public;")
        cfg = self.config("roles", ["clerk_db"])
        run_bb(["backup"], cfg, check=True)
        expected = self.pg.table_checksums("clerk_db")
        self.pg.psql("postgres", "drop database clerk_db; drop role clerk;")
        before = self.pg.databases()
        refused = run_bb(["restore", "clerk_db"], cfg, check=1)
        self.assertIn('"clerk"', refused.stderr)
        self.assertIn("--no-owner", refused.stderr)
        self.assertEqual(self.pg.databases(), before, "nothing may be created before the role check")
        done = run_bb(["restore", "clerk_db", "--no-owner"], cfg, check=True)
        self.assertEqual(last_line(done.stdout), "clerk_db_archive")
        self.assertEqual(self.pg.table_checksums("clerk_db_archive"), expected)
        owner = self.pg.query_value("clerk_db_archive", "select pg_get_userbyid(relowner) from pg_class "
                                                        "where relname = 'ledger'")
        self.assertEqual(owner, "postgres")

    def test_check_names_the_operation_a_provider_refuses(self):
        with S3Env(os.path.join(self.tmp, "s3")) as s3:
            cfg = os.path.join(self.tmp, "probe.toml")
            write_config(cfg, '[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                              '[backup]\nstate_dir = "%s"\n' % (self.pg.host, self.pg.port,
                                                                s3.storage_toml(prefix="probe/"),
                                                                os.path.join(self.tmp, "state-probe")))
            env = {"AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key}
            ok = parse_json_output(run_bb(["check", "--json"], cfg, env=env, check=True))
            self.assertTrue(ok["ok"])
            s3.inject_faults([{"kind": "create_upload", "action": "status", "status": 501, "code": "NotImplemented",
                               "times": 1000}])
            proc = run_bb(["check", "--json"], cfg, env=env, check=1)
            failed = [c["text"] for c in parse_json_output(proc)["checks"] if not c["ok"]]
            self.assertEqual(len(failed), 1, failed)
            self.assertIn("multipart upload (initiate, upload part, complete)", failed[0])
            self.assertIn("NotImplemented", failed[0])
            s3.clear_faults()
            self.assertEqual(s3.proxy_state()["open_uploads"], [])
            # A provider without batch delete: check says so, and pruning deletes one by one.
            s3.inject_faults([{"kind": "delete_objects", "action": "status", "status": 501,
                               "code": "NotImplemented", "times": 1000}])
            proc = run_bb(["check"], cfg, env=env, check=True)
            self.assertIn("does not support batch delete", proc.stderr)
            self.pg.create_db("pruned_one_by_one")
            pcfg = os.path.join(self.tmp, "probe-prune.toml")
            write_config(pcfg, open(cfg).read() + '[retention]\ndaily = 1\nweekly = 0\nmonthly = 0\nyearly = 0\n'
                                                  '\n[[databases]]\nname = "pruned_one_by_one"\n')
            for _ in range(3):
                run_bb(["backup", "--no-prune"], pcfg, env=env, check=True)
                time.sleep(1.1)
            self.assertEqual(len(parse_json_output(run_bb(["list", "pruned_one_by_one", "--json"], pcfg, env=env,
                                                          check=True))["backups"]), 3)
            run_bb(["prune"], pcfg, env=env, check=True)
            left = parse_json_output(run_bb(["list", "pruned_one_by_one", "--json"], pcfg, env=env, check=True))
            self.assertEqual(len(left["backups"]), 1)
            self.assertGreaterEqual(s3.proxy_state()["by_kind"].get("delete_object", 0), 4)
            s3.clear_faults()


if __name__ == "__main__":
    unittest.main()
