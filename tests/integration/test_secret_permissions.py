"""Secrets that other users of the machine could read or swap, against the real binary and a
real PostgreSQL cluster (local store).

Proves: a config file that holds a secret and is readable by every user (0644), or a
*_file secret at 0644, is named with its mode and the fix by `check` (a [warn] line, and
in --json, which stays valid JSON), by every `backup`, by `serve` at start and by `status`
(on stderr, through the logger); group-readable (0640) files and a 0644 config without
secrets in it give no warning; a secret file that is a symbolic link into a world-writable
place is refused (exit 2, file:line, the fix). The secret itself is never printed.

Run: cd tests/integration && BB_BINARY=.../backupbuddy /usr/bin/python3 -m unittest -v test_secret_permissions
"""

import json
import os
import signal
import time
import unittest

from bbenv import describe, parse_json_output, run_bb, start_bb, write_config
from fixtures import class_cluster, class_workdir

DB = "payroll"
PG_SECRET = "inline-pg-secret-7f3a"      # trust authentication: accepted and ignored
WARNING = "is readable by every user (mode 0644)"


class SecretPermissionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = class_workdir(cls, "bb-secret-permissions-")
        cls.pg = class_cluster(cls)
        cls.pg.create_db(DB)
        cls.pg.psql(DB, "create table t(id int); insert into t select generate_series(1, 100);")

    def path(self, name):
        return os.path.join(self.tmp, self._testMethodName + "-" + name)

    def secret_file(self, name, text, mode):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text + "\n")
        os.chmod(path, mode)
        return path

    def config(self, mode, postgres_secret):
        """A config at `mode`; postgres_secret is the [postgres] line that gives the password."""
        text = ('[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n%s\n'
                '[storage]\ntype = "local"\npath = "%s"\n'
                '[backup]\nstate_dir = "%s"\nschedule = "0 4 1 1 *"\n'
                '[[databases]]\nname = "%s"\n'
                % (self.pg.host, self.pg.port, postgres_secret, self.path("store"), self.path("state"), DB))
        return write_config(self.path("backupbuddy.toml"), text, mode=mode)

    def assert_never_shows_secret(self, *procs):
        for proc in procs:
            self.assertNotIn(PG_SECRET, proc.stdout + proc.stderr, describe(proc))

    def serve_stderr(self, cfg):
        """stderr of `serve` during its first seconds (it is then stopped with SIGTERM)."""
        proc = start_bb(["serve"], cfg)
        time.sleep(1.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        return err

    def test_world_readable_config_holding_a_secret_is_named_by_check_backup_serve_and_status(self):
        cfg = self.config(0o644, 'password = "%s"' % PG_SECRET)
        expected = "config file %s holds secrets (postgres.password) and %s" % (cfg, WARNING)

        check = run_bb(["check"], cfg, check=True)
        warn_lines = [l for l in check.stdout.splitlines() if l.startswith("[warn] ")]
        self.assertEqual(len(warn_lines), 1, describe(check))
        self.assertIn(expected, warn_lines[0])
        self.assertIn("chmod 640 " + cfg, warn_lines[0])
        self.assertIn("chown root:postgres " + cfg, warn_lines[0])
        self.assertIn("1 warning(s) above", check.stdout)

        check_json = run_bb(["check", "--json"], cfg, check=True)
        report = parse_json_output(check_json)
        self.assertTrue(report["ok"], report)
        self.assertEqual(len(report["warnings"]), 1, report)
        self.assertIn(expected, report["warnings"][0])
        flagged = [c for c in report["checks"] if c["warning"]]
        self.assertEqual(len(flagged), 1, report)
        self.assertTrue(flagged[0]["ok"])

        backup = run_bb(["backup"], cfg, check=True)
        self.assertIn(expected, backup.stderr, describe(backup))
        self.assertNotIn(WARNING, backup.stdout)
        backup_json = run_bb(["backup", "--json"], cfg, check=True)
        self.assertTrue(parse_json_output(backup_json)["results"][0]["ok"])
        self.assertIn(expected, backup_json.stderr)

        status = run_bb(["status"], cfg, check=True)
        self.assertIn(expected, status.stderr, describe(status))
        status_json = run_bb(["status", "--json"], cfg, check=True)
        self.assertEqual(parse_json_output(status_json)["databases"][0]["database"], DB)
        self.assertIn(expected, status_json.stderr)

        self.assertIn(expected, self.serve_stderr(cfg))
        self.assert_never_shows_secret(check, check_json, backup, backup_json, status, status_json)

    def test_group_readable_config_and_a_secretless_world_readable_config_give_no_warning(self):
        # root:postgres 0640, as the Debian package installs it: fine with secrets inside.
        cfg = self.config(0o640, 'password = "%s"' % PG_SECRET)
        for args in (["check"], ["backup"], ["status"]):
            proc = run_bb(args, cfg, check=True)
            self.assertNotIn("readable by every user", proc.stdout + proc.stderr, describe(proc))
            self.assertNotIn("[warn]", proc.stdout, describe(proc))
        # 0644 is fine when every secret comes from a private *_file.
        pgpass = self.secret_file("pgpass", PG_SECRET, 0o600)
        cfg = self.config(0o644, 'password_file = "%s"' % pgpass)
        for args in (["check"], ["backup"], ["status"]):
            proc = run_bb(args, cfg, check=True)
            self.assertNotIn("readable by every user", proc.stdout + proc.stderr, describe(proc))

    def test_world_readable_secret_file_is_named_by_check_backup_and_status(self):
        pgpass = self.secret_file("pgpass", PG_SECRET, 0o644)
        cfg = self.config(0o600, 'password_file = "%s"' % pgpass)
        expected = "postgres.password_file %s %s" % (pgpass, WARNING)
        check = run_bb(["check"], cfg, check=True)
        self.assertIn("[warn] config: " + expected, check.stdout, describe(check))
        self.assertIn("chmod 640 " + pgpass, check.stdout)
        report = parse_json_output(run_bb(["check", "--json"], cfg, check=True))
        self.assertIn(expected, report["warnings"][0])
        backup = run_bb(["backup"], cfg, check=True)
        self.assertIn(expected, backup.stderr, describe(backup))
        status = run_bb(["status"], cfg, check=True)
        self.assertIn(expected, status.stderr, describe(status))
        self.assert_never_shows_secret(check, backup, status)

    def test_secret_file_linked_into_a_world_writable_place_is_refused(self):
        open_dir = self.path("open")
        os.mkdir(open_dir)
        os.chmod(open_dir, 0o777)
        target = os.path.join(open_dir, "pgpass")
        with open(target, "w") as f:
            f.write(PG_SECRET + "\n")
        os.chmod(target, 0o600)
        link = self.path("pgpass-link")
        os.symlink(target, link)
        # A link to a world-writable file in a private folder is refused too.
        writable = self.secret_file("writable-pgpass", PG_SECRET, 0o666)
        writable_link = self.path("writable-link")
        os.symlink(writable, writable_link)
        for linked, place in ((link, open_dir), (writable_link, writable)):
            cfg = self.config(0o600, 'password_file = "%s"' % linked)
            for args in (["check"], ["check", "--json"], ["backup"], ["status"]):
                with self.subTest(link=linked, command=args):
                    proc = run_bb(args, cfg)
                    self.assertEqual(proc.returncode, 2, describe(proc))
                    self.assertIn("%s:5: postgres.password_file: %s is a symbolic link to " % (cfg, linked),
                                  proc.stderr, describe(proc))
                    self.assertIn("every user may write " + os.path.realpath(place), proc.stderr)
                    self.assertIn("replace the link by the file itself", proc.stderr)
                    self.assert_never_shows_secret(proc)
        self.assertFalse(os.path.exists(self.path("store")), "a refused config must not back up")


if __name__ == "__main__":
    unittest.main()
