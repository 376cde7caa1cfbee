"""Hostile input: odd database names end to end, SQL-injection-shaped target names, crafted
manifests and keys in the store, broken config files. Each must work exactly, or be
refused with a clear message; nothing may crash, reach SQL unquoted or escape the store.

Run: cd tests/integration && BB_BINARY=.../backupbuddy /usr/bin/python3 -m unittest -v test_hostile_input
"""

import json
import os
import shutil
import unittest

import bbenv
from bbenv import bookkeeping_key, describe, encode_db_name, parse_json_output, run_bb, toml_string, write_config
from s3env import S3Env
from fixtures import class_cluster, class_workdir

# Names PostgreSQL accepts; each is backed up, listed and restored end to end.
ODD_NAMES = [
    'q"uote',
    "it's",
    "sp ace",
    "semi;colon",
    "dash -- comment",
    "dollar $$ sign $x$",
    "line\nbreak",
    "tab\there",
    "Кириллица 🦔",
    "back\\slash",
    "per%cent",
    "slash/name",
    "-h",
    "dbname=postgres host=203.0.113.1",
    "я" * 31 + "x",  # exactly 63 bytes of UTF-8
]
DOT_NAMES = ["..", "."]  # would become the store folders ".." and "."
SIXTY_THREE = "я" * 31 + "x"


def crashed(proc):
    """True when the binary died of a signal or an abort rather than exiting."""
    return proc.returncode < 0 or proc.returncode >= 128


class HostileBase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = class_workdir(cls, "bb-hostile-")
        cls.pg = class_cluster(cls)

    def setUp(self):
        name = self.id().rsplit(".", 1)[-1]
        self.dir = os.path.join(self.tmp, name)
        os.makedirs(self.dir)
        self.store = os.path.join(self.dir, "store")
        self.state = os.path.join(self.dir, "state")

    def make_db(self, name, rows=50):
        self.pg.drop_db(name)
        self.pg.create_db(name)
        self.pg.psql(name, "create table t(id int primary key, v text); "
                           "insert into t select g, 'row ' || g from generate_series(1, %d) g;" % rows)

    def local_cfg(self, databases, filename="bb.toml", **sections):
        return write_config(os.path.join(self.dir, filename),
                            bbenv.local_config(self.pg, self.store, self.state, databases, **sections))

    def assert_clean_exit(self, proc, allowed=(0, 1)):
        self.assertFalse(crashed(proc), describe(proc, "crashed"))
        self.assertIn(proc.returncode, allowed, describe(proc))


class OddNames(HostileBase):
    def round_trip(self, cfg, names, env=None):
        proc = run_bb(["backup", "--json"], cfg, env=env)
        self.assert_clean_exit(proc)
        results = {r["database"]: r for r in parse_json_output(proc)["results"]}
        self.assertEqual(set(results), set(names), describe(proc))
        for name in names:
            self.assertTrue(results[name]["ok"], "%r: %s" % (name, results[name]))
        listed = parse_json_output(run_bb(["list", "--json"], cfg, env=env, check=0))
        listed_names = {d["name"] for d in listed["databases"]}
        self.assertTrue(set(names) <= listed_names, "not listed: %r" % (set(names) - listed_names))
        for i, name in enumerate(names):
            # "--" ends the options: a database may be called "-h".
            one = parse_json_output(run_bb(["list", "--json", "--", name], cfg, env=env, check=0))
            self.assertEqual([b["id"] for b in one["backups"]], [results[name]["id"]], name)
            target = "restored %d %s" % (i, name[:20])
            proc = run_bb(["restore", "--into", target, "--json", "--", name], cfg, env=env, check=0)
            self.assertEqual(parse_json_output(proc)["database"], target, describe(proc))
            self.assertEqual(self.pg.table_checksums(name), self.pg.table_checksums(target), name)

    def test_odd_names_local(self):
        for name in ODD_NAMES:
            self.make_db(name)
        cfg = self.local_cfg(ODD_NAMES)
        self.round_trip(cfg, ODD_NAMES)
        # Each database has its own folder, percent-encoded, inside the store.
        # (and the server's roles and the run records, stored by each run, in _globals/ and !runs/).
        self.assertEqual(sorted(os.listdir(self.store)),
                         sorted([encode_db_name(n) for n in ODD_NAMES] + ["_globals", "!runs"]))

    def test_odd_names_s3(self):
        with S3Env(os.path.join(self.dir, "s3")) as s3:
            names = ODD_NAMES[:8] + ["Кириллица 🦔", SIXTY_THREE, "slash/name", "per%cent"]
            names = list(dict.fromkeys(names))
            for name in names:
                if not self.pg.db_exists(name):
                    self.make_db(name)
            text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n[backup]\nstate_dir = %s\n\n'
                    % (self.pg.host, self.pg.port, s3.storage_toml(prefix="odd/"), toml_string(self.state)))
            for name in names:
                text += "[[databases]]\nname = %s\n\n" % toml_string(name)
            cfg = write_config(os.path.join(self.dir, "s3.toml"), text)
            env = {"AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key}
            self.round_trip(cfg, names, env=env)
            keys = [k for k in s3.list_keys("odd/") if not bookkeeping_key(k)]  # roles and record of each run
            self.assertEqual(len(keys), 2 * len(names), keys)
            s3.assert_clean(self)

    def test_dot_names_never_escape_the_store(self):
        # "." and ".." are valid database names; as store folders they would mean "here"
        # and "the parent". A backup must either work inside the store or be refused.
        for name in DOT_NAMES:
            self.make_db(name)
        cfg = self.local_cfg(DOT_NAMES)
        proc = run_bb(["backup", "--json"], cfg)
        self.assert_clean_exit(proc)
        outside = [n for n in os.listdir(self.dir) if n not in ("store", "state", "bb.toml")]
        self.assertEqual(outside, [], "files written outside the store: %s" % outside)
        results = parse_json_output(proc)["results"]
        for r in results:
            self.assertTrue(r["ok"], describe(proc, "a database named %r must be backed up like any "
                                                    "other (encode '.' and '..' as a key segment)" % r["database"]))


class InjectionTargets(HostileBase):
    def test_restore_into_injection_shaped_names_creates_exactly_that_name(self):
        self.make_db("inj_src")
        cfg = self.local_cfg(["inj_src"])
        run_bb(["backup"], cfg, check=0)
        for target in ('x"; drop database postgres; --', "x'; drop database postgres; --",
                       "$$; drop database postgres; $$", "x\\\"; select pg_sleep(30); --"):
            with self.subTest(target=target):
                proc = run_bb(["restore", "inj_src", "--into", target], cfg, timeout=60)
                self.assert_clean_exit(proc)
                self.assertTrue(self.pg.db_exists("postgres"))
                if proc.returncode == 0:
                    self.assertTrue(self.pg.db_exists(target), describe(proc))
                    self.assertEqual(self.pg.table_checksums("inj_src"), self.pg.table_checksums(target))
                    self.assertTrue(self.pg.db_comment(target).startswith("backupbuddy-archive"))
                else:
                    self.assertFalse(self.pg.db_exists(target))
        before = self.pg.databases()
        proc = run_bb(["restore", "inj_src", "--into", "я" * 32], cfg)
        self.assert_clean_exit(proc, allowed=(1, 2))
        self.assertIn("63", proc.stderr)
        self.assertEqual(self.pg.databases(), before)

    def test_target_template_and_config_values_with_quotes_and_newlines(self):
        self.make_db("tmpl_src")
        odd_store = os.path.join(self.dir, 'store "quoted"\nline')
        cfg = write_config(os.path.join(self.dir, "bb.toml"), bbenv.local_config(
            self.pg, odd_store, self.state, ["tmpl_src"],
            restore={"target": '{db} "arch"\';--'}))
        proc = run_bb(["backup", "--json"], cfg, check=0)
        self.assertTrue(parse_json_output(proc)["results"][0]["ok"])
        self.assertTrue(os.path.isdir(os.path.join(odd_store, "tmpl_src")))
        proc = run_bb(["restore", "tmpl_src"], cfg, check=0)
        target = 'tmpl_src "arch"\';--'
        self.assertEqual(bbenv.last_line(proc.stdout), target)
        self.assertTrue(self.pg.db_exists(target))


class CraftedStore(HostileBase):
    """Manifests and files in the store that lie, are broken or point elsewhere."""

    BAD_ID = "20200102T030405Z"

    def setUp(self):
        super().setUp()
        self.make_db("crafted")
        self.make_db("other_db")
        self.cfg = self.local_cfg(["crafted", "other_db"])
        results = parse_json_output(run_bb(["backup", "--json"], self.cfg, check=0))["results"]
        self.good = {r["database"]: r["id"] for r in results}
        self.folder = os.path.join(self.store, "crafted")
        with open(os.path.join(self.folder, self.good["crafted"] + ".json")) as f:
            self.manifest = json.load(f)

    def plant(self, manifest_text, data_from="crafted"):
        """A backup BAD_ID of "crafted": a copy of a real data object and the given manifest."""
        src = os.path.join(self.store, data_from, self.good[data_from] + ".dump.zst")
        shutil.copyfile(src, os.path.join(self.folder, self.BAD_ID + ".dump.zst"))
        with open(os.path.join(self.folder, self.BAD_ID + ".json"), "wb") as f:
            f.write(manifest_text if isinstance(manifest_text, bytes) else manifest_text.encode())

    def manifest_of(self, db):
        with open(os.path.join(self.store, db, self.good[db] + ".json")) as f:
            return json.load(f)

    def variant(self, **changes):
        m = dict(self.manifest, id=self.BAD_ID, data_key="crafted/%s.dump.zst" % self.BAD_ID)
        m.update(changes)
        return json.dumps(m)

    def check_refused(self, why):
        """list flags the planted backup, restore and verify refuse it, nothing crashes, and
        the good backup still restores. Each part is its own subtest, so one report shows all."""
        before = self.pg.databases()
        listing = run_bb(["list", "crafted", "--json"], self.cfg)
        with self.subTest(why=why, command="list"):
            self.assert_clean_exit(listing)
            entries = [b for b in parse_json_output(listing)["backups"] if b["id"] == self.BAD_ID]
            self.assertTrue(all(b.get("problem") for b in entries),
                            describe(listing, why + ": list must flag the backup (\"problem\") or leave it out"))
        with self.subTest(why=why, command="restore"):
            proc = run_bb(["restore", "crafted", "--backup", self.BAD_ID, "--into", "crafted_bad"], self.cfg)
            self.pg.drop_db("crafted_bad")
            self.assert_clean_exit(proc, allowed=(1,))
            self.assertIn(self.BAD_ID, proc.stderr, describe(proc, why + ": the message must name the backup"))
            self.assertEqual(self.pg.databases(), before, why)
        with self.subTest(why=why, command="verify"):
            verify = run_bb(["verify", "crafted", "--all"], self.cfg)
            self.assert_clean_exit(verify, allowed=(1,))
        with self.subTest(why=why, command="restore the good one"):
            proc = run_bb(["restore", "crafted", "--backup", self.good["crafted"], "--into", "crafted_good"], self.cfg)
            self.assertEqual(proc.returncode, 0, describe(proc, why + ": the good backup must still restore"))
            self.pg.drop_db("crafted_good")
        return listing

    def test_malformed_manifest(self):
        self.plant('{"format_version": 1, "database": "crafted", ')
        self.check_refused("malformed JSON")

    def test_manifest_with_invalid_utf8(self):
        self.plant(self.variant(server_version="15").replace('"15"', '"\xff\xfe"').encode("latin-1"))
        self.check_refused("invalid UTF-8")
        # Recording the failed verification must not fail on the bytes either.
        proc = run_bb(["verify", "crafted", "--all"], self.cfg)
        self.assertNotIn("could not record", proc.stderr,
                         describe(proc, "the state file must take an error message quoting invalid UTF-8"))

    def test_manifest_claiming_another_database(self):
        self.plant(self.variant(database="other_db"))
        self.check_refused("claims another database")

    def test_manifest_pointing_at_another_databases_data(self):
        self.plant(self.variant(data_key="other_db/%s.dump.zst" % self.good["other_db"],
                                sha256=self.manifest_of("other_db")["sha256"]))
        self.check_refused("data key of another database")

    def test_manifest_with_path_traversal_data_key(self):
        for key in ("../other_db/%s.dump.zst" % self.good["other_db"], "/etc/passwd",
                    "crafted/../../../../etc/passwd"):
            with self.subTest(key=key):
                self.plant(self.variant(data_key=key))
                self.check_refused("data_key " + key)

    def test_manifest_with_huge_or_wrong_numbers(self):
        for changes in ({"dump_bytes": 10 ** 30}, {"dump_bytes": 2 ** 64}, {"stored_bytes": -1},
                        {"dump_bytes": "many"}, {"stored_bytes": 1.5e308}, {"format_version": 999},
                        {"sha256": None}, {"id": ["x"]}):
            with self.subTest(changes=changes):
                self.plant(self.variant(**changes))
                self.check_refused(str(changes))

    def test_backup_id_argument_with_path_traversal(self):
        before = self.pg.databases()
        for bad in ("../other_db/" + self.good["other_db"], "/etc/passwd", "../../../etc/passwd", ""):
            with self.subTest(bad=bad):
                proc = run_bb(["restore", "crafted", "--backup", bad, "--into", "crafted_trav"], self.cfg)
                self.assert_clean_exit(proc, allowed=(1, 2))
                self.assertTrue(proc.stderr.strip())
                self.assertEqual(self.pg.databases(), before)


class BrokenConfigs(HostileBase):
    def run_cfg(self, path, args=("list",)):
        return run_bb(list(args), path, timeout=60)

    def test_config_path_is_a_directory(self):
        proc = self.run_cfg(self.dir)
        self.assertEqual(proc.returncode, 2, describe(proc))
        self.assertIn(self.dir, proc.stderr)
        self.assertRegex(proc.stderr, r"(?i)director")

    def test_broken_config_files_exit_2_with_file_and_line(self):
        cases = {
            "binary": bytes(range(256)) * 4,
            "duplicate_key": b'[storage]\ntype = "local"\ntype = "s3"\n',
            "duplicate_table": b'[storage]\ntype = "local"\n[storage]\npath = "/x"\n',
            "unterminated": b'[storage]\npath = "/x\n',
            "nul_byte": b'[storage]\npath = "/x\x00y"\n',
            "bad_utf8": b'[storage]\npath = "\xff\xfe"\n',
        }
        for name, data in cases.items():
            with self.subTest(name):
                path = os.path.join(self.dir, name + ".toml")
                with open(path, "wb") as f:
                    f.write(data)
                proc = self.run_cfg(path)
                self.assertEqual(proc.returncode, 2, describe(proc))
                self.assertIn(path, proc.stderr)

    def test_huge_and_empty_config_files(self):
        store = os.path.join(self.dir, "store")
        body = bbenv.toml_dumps(bbenv.local_config(self.pg, store, self.state))
        huge = os.path.join(self.dir, "huge.toml")
        with open(huge, "w") as f:
            f.write(("# padding " + "x" * 100 + "\n") * 100000 + body)  # ~11 MB
        proc = self.run_cfg(huge)
        self.assert_clean_exit(proc, allowed=(0, 2))
        empty = os.path.join(self.dir, "empty.toml")
        open(empty, "w").close()
        proc = run_bb(["list"], empty, timeout=60, cwd=self.dir)
        self.assert_clean_exit(proc, allowed=(0, 1))


if __name__ == "__main__":
    unittest.main()
