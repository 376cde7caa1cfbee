"""Restore anywhere, and prove it (issue 18).

Every restore counts the rows of every table of the new database and compares them with
the manifest's counts before the database gets its final name: a tampered count fails the
restore, names the table and both counts, and leaves no database behind. Real PostgreSQL,
s3rver behind the SigV4-verifying proxy, manifests edited with the aws CLI.
"""

import json
import os
import subprocess
import time
import unittest

from bbenv import bb_argv, clean_env, local_config, parse_json_output, run_bb, write_config, last_line
from fixtures import ServersTestCase, class_cluster, class_workdir

DB = "shop"


class RowCheckTest(ServersTestCase):
    @classmethod
    def fill(cls):
        cls.pg.create_db(DB)
        cls.pg.psql(DB, "create table orders(id int primary key, what text); "
                    "insert into orders select g, 'order ' || g from generate_series(1, 250) g; "
                    "create schema stock; create table stock.items(id int primary key, qty int); "
                    "insert into stock.items select g, g from generate_series(1, 40) g; "
                    "create table notes(id int); create index orders_what on orders(what);")
        # ~0.2 MB stored: random hex.
        cls.pg.create_db("bulky")
        cls.pg.psql("bulky", "create table noise as select g as id, md5(random()::text) || md5(random()::text) as t "
                    "from generate_series(1, 6000) g;")

    def config(self, name, extra=""):
        text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                '[backup]\nstate_dir = "%s/state-%s"\ntimezone = "UTC"\n\n%s\n'
                '[[databases]]\nname = "%s"\n'
                % (self.pg.host, self.pg.port, self.s3.storage_toml(prefix=name + "/"), self.tmp, name, extra, DB))
        return write_config("%s/%s.toml" % (self.tmp, name), text), self.s3.env()

    def backup(self, cfg, env):
        out = parse_json_output(run_bb(["backup", DB, "--json"], cfg, env=env, check=True))
        (result,) = out["results"]
        self.assertTrue(result["ok"], result)
        return result["id"]

    def manifest_key(self, prefix, backup_id):
        return "%s/%s/%s.json" % (prefix, DB, backup_id)

    def get_json(self, key):
        return json.loads(self.s3.aws("s3", "cp", "s3://%s/%s" % (self.s3.bucket, key), "-").stdout)

    def put_json(self, key, doc):
        self.s3.aws("s3", "cp", "-", "s3://%s/%s" % (self.s3.bucket, key), input=json.dumps(doc))

    def leftovers(self):
        return [d for d in self.pg.databases() if d.startswith("bb_restore")]

    def test_restore_counts_every_table_and_says_so(self):
        cfg, env = self.config("counted")
        backup_id = self.backup(cfg, env)
        out = parse_json_output(run_bb(["restore", DB, "--backup", backup_id, "--into", "shop_counted", "--json"],
                                       cfg, env=env, check=True))
        self.assertGreaterEqual(out["row_check"].pop("seconds"), 0)
        self.assertEqual(out["row_check"], {"checked": True, "tables": 3, "rows": 290, "mismatched": []})
        proc = run_bb(["restore", DB, "--backup", backup_id, "--into", "shop_counted_text"], cfg, env=env, check=True)
        self.assertIn("3 tables, 290 rows, all as in the backup", proc.stderr)
        self.assertEqual(last_line(proc.stdout), "shop_counted_text")

    def test_a_tampered_count_fails_the_restore_and_leaves_nothing(self):
        cfg, env = self.config("tampered")
        backup_id = self.backup(cfg, env)
        key = self.manifest_key("tampered", backup_id)
        manifest = self.get_json(key)
        for entry in manifest["row_counts"]:
            if entry["table"] == "orders":
                self.assertEqual(entry["rows"], 250)
                entry["rows"] = 251
        self.put_json(key, manifest)
        proc = run_bb(["restore", DB, "--backup", backup_id, "--into", "shop_tampered"], cfg, env=env, check=1)
        self.assertIn('"public"."orders": 251 rows in the backup, 250 restored', proc.stderr)
        self.assertFalse(self.pg.db_exists("shop_tampered"), proc.stderr)
        self.assertEqual(self.leftovers(), [])
        # --json: one JSON document with the error and the tables that differ.
        out = parse_json_output(run_bb(["restore", DB, "--backup", backup_id, "--into", "shop_tampered", "--json"],
                                       cfg, env=env, check=1))
        self.assertIn("251 rows in the backup, 250 restored", out["error"]["message"])
        self.assertEqual(out["row_check"]["mismatched"],
                         [{"schema": "public", "table": "orders", "expected": 251, "found": 250}])
        self.assertFalse(self.pg.db_exists("shop_tampered"))
        self.assertEqual(self.leftovers(), [])

    def test_table_brings_exactly_one_table_with_its_index(self):
        cfg, env = self.config("partial")
        backup_id = self.backup(cfg, env)
        out = parse_json_output(run_bb(["restore", DB, "--backup", backup_id, "--table", "public.orders",
                                        "--into", "shop_one", "--json"], cfg, env=env, check=True))
        out["row_check"].pop("seconds")
        self.assertEqual(out["row_check"], {"checked": True, "tables": 1, "rows": 250, "mismatched": []})
        self.assertEqual(self.pg.psql("shop_one", "select schemaname || '.' || tablename from pg_tables "
                                      "where schemaname not in ('pg_catalog', 'information_schema')").split(),
                         ["public.orders"])
        self.assertEqual(sorted(self.pg.psql("shop_one", "select indexname from pg_indexes "
                                             "where tablename = 'orders'").split()), ["orders_pkey", "orders_what"])
        out = parse_json_output(run_bb(["restore", DB, "--backup", backup_id, "--schema", "stock",
                                        "--into", "shop_stock", "--json"], cfg, env=env, check=True))
        self.assertEqual(out["row_check"]["rows"], 40)
        self.assertEqual(self.pg.psql("shop_stock", "select schemaname || '.' || tablename from pg_tables "
                                      "where schemaname not in ('pg_catalog', 'information_schema')").split(),
                         ["stock.items"])
        proc = run_bb(["restore", DB, "--backup", backup_id, "--table", "public.nope", "--into", "shop_none"],
                      cfg, env=env, check=1)
        self.assertIn('no table "public"."nope"', proc.stderr)
        self.assertFalse(self.pg.db_exists("shop_none"))

    def test_a_backup_without_row_counts_restores_unchecked_and_says_so(self):
        cfg, env = self.config("uncounted")
        backup_id = self.backup(cfg, env)
        key = self.manifest_key("uncounted", backup_id)
        manifest = self.get_json(key)
        del manifest["row_counts"]
        self.put_json(key, manifest)
        proc = run_bb(["restore", DB, "--backup", backup_id, "--into", "shop_uncounted"], cfg, env=env, check=True)
        self.assertIn("not checked: the backup has no row counts", proc.stderr)
        out = parse_json_output(run_bb(["restore", DB, "--backup", backup_id, "--into", "shop_uncounted", "--json"],
                                       cfg, env=env, check=True))
        self.assertEqual(out["row_check"], {"checked": False, "reason": "the backup has no row counts"})


    # `export` writes the plain pg_dump archive of an encrypted backup; plain pg_restore
    # reads it; a failed export leaves no file.
    def test_an_exported_encrypted_backup_restores_with_plain_pg_restore(self):
        key = os.path.join(self.tmp, "age.key")
        pub = last_line(run_bb(["keygen", "-o", key], None, check=True).stdout)
        cfg, env = self.config("export", '[encryption]\nrecipients = ["%s"]\nidentity_file = "%s"\n' % (pub, key))
        backup_id = self.backup(cfg, env)
        (data_key,) = [k for k in self.s3.list_keys("export/%s/" % DB) if k.endswith(".age")]
        # The server's roles are stored encrypted too, in the standard age format.
        (roles_key,) = self.s3.list_keys("export/_globals/")
        self.assertTrue(roles_key.endswith(".sql.age"), roles_key)
        sealed = self.s3.aws("s3", "cp", "s3://%s/%s" % (self.s3.bucket, roles_key), "-", text=False).stdout
        self.assertNotIn(b"CREATE ROLE", sealed)
        opened = subprocess.run(["age", "-d", "-i", key], input=sealed, stdout=subprocess.PIPE, check=True).stdout
        self.assertIn(b"CREATE ROLE", opened)
        out = os.path.join(self.tmp, "shop.dump")
        proc = run_bb(["export", DB, "--backup", backup_id, "-o", out], cfg, env=env, check=True)
        self.assertEqual(last_line(proc.stdout), out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(5), b"PGDMP")
        self.pg.create_db("shop_exported")
        self.pg.run_client("pg_restore", ["--no-owner", "-d", "shop_exported", out])
        self.assertEqual(self.pg.query_value("shop_exported", "select count(*) from orders"), "250")
        # An existing file is refused; -o - writes the same archive to standard output.
        run_bb(["export", DB, "-o", out], cfg, env=env, check=1)
        piped = subprocess.run(bb_argv(["export", DB, "-o", "-"], cfg), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=clean_env(env), check=True).stdout
        with open(out, "rb") as f:
            self.assertEqual(piped, f.read())
        # A damaged object: the export fails and leaves nothing under the name, nor a temporary file.
        self.s3.aws("s3", "cp", "-", "s3://%s/%s" % (self.s3.bucket, data_key), input="garbage")
        damaged = os.path.join(self.tmp, "damaged.dump")
        run_bb(["export", DB, "--backup", backup_id, "-o", damaged], cfg, env=env, check=1)
        self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith("damaged")], [])


    # Bandwidth caps: one limiter per direction over all parts in flight, S3 and local alike.
    def test_a_capped_backup_takes_at_least_its_size_over_the_cap(self):
        cap = 100 * 1024
        rates = 'max_upload_rate = "100KB/s"\nmax_download_rate = "100KB/s"\n'
        stores = {"s3": self.s3.storage_toml(prefix="capped/", extra=rates),
                  "local": '[storage]\ntype = "local"\npath = "%s/capped-store"\n%s' % (self.tmp, rates)}
        for kind, storage in stores.items():
            with self.subTest(kind):
                text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                        '[backup]\nstate_dir = "%s/state-capped-%s"\n\n[[databases]]\nname = "bulky"\n'
                        % (self.pg.host, self.pg.port, storage, self.tmp, kind))
                cfg = write_config("%s/capped-%s.toml" % (self.tmp, kind), text)
                start = time.monotonic()
                proc = run_bb(["backup", "bulky", "--json"], cfg, env=self.s3.env(), check=True)
                took = time.monotonic() - start
                (result,) = parse_json_output(proc)["results"]
                self.assertGreater(result["stored_bytes"], 200 * 1024)
                self.assertGreaterEqual(took, result["stored_bytes"] / cap, proc.stderr)
                self.assertIn("capped at 100", proc.stderr)
                start = time.monotonic()
                proc = run_bb(["restore", "bulky", "--into", "bulky_capped_" + kind], cfg, env=self.s3.env(),
                              check=True)
                self.assertGreaterEqual(time.monotonic() - start, result["stored_bytes"] / cap, proc.stderr)
                self.assertIn("capped at 100", proc.stderr)


class FreshServerRolesTest(ServersTestCase):
    """A backup restores with its owners on a fresh server (a second cluster without the
    roles): each run stores the server's globals, `restore --create-roles` creates the
    missing owners NOLOGIN with their memberships."""

    @classmethod
    def fill(cls):
        cls.fresh = class_cluster(cls)
        cls.pg.psql("postgres", "create role accounting nologin; create role clerk login password 'secret-pw'; "
                    "grant accounting to clerk;")
        cls.pg.create_db("books")
        cls.pg.psql("books", "create schema ledger authorization accounting; "
                    "create table ledger.entries(id int primary key, amount numeric); "
                    "insert into ledger.entries select g, g * 1.5 from generate_series(1, 30) g; "
                    "alter table ledger.entries owner to clerk;")

    def config(self, cluster, name):
        text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                '[backup]\nstate_dir = "%s/state-%s"\ntimezone = "UTC"\n\n'
                '[[databases]]\nname = "books"\n'
                % (cluster.host, cluster.port, self.s3.storage_toml(prefix="roles/"), self.tmp, name))
        return write_config("%s/%s.toml" % (self.tmp, name), text), self.s3.env()

    def test_a_fresh_server_gets_the_owners_back(self):
        cfg, env = self.config(self.pg, "origin")
        run_bb(["backup", "books"], cfg, env=env, check=True)
        (globals_key,) = [k for k in self.s3.list_keys("roles/_globals/")]
        stored = self.s3.aws("s3", "cp", "s3://%s/%s" % (self.s3.bucket, globals_key), "-").stdout
        self.assertIn("CREATE ROLE clerk", stored)
        self.assertNotIn("secret-pw", stored)
        self.assertNotIn("SCRAM-SHA-256", stored)

        fresh, env = self.config(self.fresh, "fresh")
        proc = run_bb(["restore", "books", "--into", "books_here"], fresh, env=env, check=1)
        self.assertIn("--create-roles", proc.stderr)
        self.assertFalse(self.fresh.db_exists("books_here"))

        out = parse_json_output(run_bb(["restore", "books", "--into", "books_here", "--create-roles", "--json"],
                                       fresh, env=env, check=True))
        self.assertEqual(sorted(out["created_roles"]), ["accounting", "clerk"])
        self.assertEqual(out["row_check"]["rows"], 30)
        self.assertEqual(self.fresh.query_value("books_here",
                                                "select tableowner from pg_tables where tablename = 'entries'"), "clerk")
        self.assertEqual(self.fresh.query_value("books_here",
                                                "select nspowner::regrole::text from pg_namespace "
                                                "where nspname = 'ledger'"), "accounting")
        self.assertEqual(self.fresh.query_value("postgres", "select rolcanlogin from pg_roles where rolname = 'clerk'"),
                         "f")
        self.assertEqual(self.fresh.query_value(
            "postgres", "select count(*) from pg_auth_members m join pg_roles r on r.oid = m.roleid "
                        "join pg_roles u on u.oid = m.member where r.rolname = 'accounting' and u.rolname = 'clerk'"),
            "1")



class NewAndVanishedTest(unittest.TestCase):
    """With all_databases = true, the run names a database backed up for the first time and
    one gone from the server (whose backups are kept). Local store, its own cluster."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = class_workdir(cls, "bb-newvanished-")
        cls.pg = class_cluster(cls)
        for db in ("db1", "db2"):
            cls.pg.create_db(db)

    def test_new_and_vanished_databases_are_named(self):
        cfg = write_config(os.path.join(self.tmp, "all.toml"), local_config(
            self.pg, os.path.join(self.tmp, "store"), os.path.join(self.tmp, "state"),
            backup={"all_databases": True, "exclude": ["postgres"]}))
        first = parse_json_output(run_bb(["backup", "--json"], cfg, check=True))
        self.assertEqual(sorted(first["new"]), ["db1", "db2"])
        self.assertEqual(first["vanished"], [])
        self.pg.create_db("db3")
        proc = run_bb(["backup"], cfg, check=True)
        self.assertIn("new: db3 (backed up for the first time)", proc.stdout)
        self.assertNotIn("db1 (", proc.stdout.split("new:")[1])
        self.pg.drop_db("db3")
        proc = run_bb(["backup"], cfg, check=True)
        self.assertIn("gone from the server: db3 (its backups are kept)", proc.stdout)
        self.assertIn("all 2 database(s) backed up", proc.stdout)
        out = parse_json_output(run_bb(["list", "db3", "--json"], cfg, check=True))
        self.assertEqual(len(out["backups"]), 1, "db3's backups are kept")
