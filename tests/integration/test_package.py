"""The Debian package: `cpack -G DEB` builds it, `apt-get install ./backupbuddy_*.deb`
installs it with the expected files, owners and modes, systemd accepts the unit, and the
installed binary runs `--version` and `check` against the test servers. Needs root (it
installs a package); removes the package again at the end.
"""

import glob
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from bbenv import write_config
from pgenv import PgCluster
from s3env import S3Env


@unittest.skipUnless(os.geteuid() == 0, "installing a .deb needs root")
class PackageTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="bb-pkg-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        build = os.environ["BB_BUILD_DIR"]
        out = os.path.join(self.tmp, "deb")
        subprocess.run(["cpack", "-G", "DEB", "--config", os.path.join(build, "CPackConfig.cmake"), "-B", out],
                       check=True, capture_output=True, cwd=self.tmp)
        debs = glob.glob(os.path.join(out, "backupbuddy_*.deb"))
        self.assertEqual(len(debs), 1, debs)
        self.deb = debs[0]

    def test_package_installs_and_runs(self):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        proc = subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", self.deb],
                              capture_output=True, text=True, env=env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.addCleanup(subprocess.run, ["dpkg", "--purge", "backupbuddy"], capture_output=True)
        files = subprocess.run(["dpkg", "-L", "backupbuddy"], capture_output=True, text=True, check=True).stdout
        for path in ("/usr/bin/backupbuddy", "/etc/backupbuddy/backupbuddy.toml",
                     "/lib/systemd/system/backupbuddy.service"):
            self.assertIn(path, files)
        conffiles = subprocess.run(["dpkg-query", "-W", "-f=${Conffiles}", "backupbuddy"], capture_output=True,
                                   text=True, check=True).stdout
        self.assertIn("/etc/backupbuddy/backupbuddy.toml", conffiles)
        st = os.stat("/etc/backupbuddy/backupbuddy.toml")
        self.assertEqual(oct(st.st_mode & 0o777), "0o640")
        import grp, pwd
        self.assertEqual(grp.getgrgid(st.st_gid).gr_name, "postgres")
        self.assertEqual(pwd.getpwuid(os.stat("/var/lib/backupbuddy").st_uid).pw_name, "postgres")
        with open("/lib/systemd/system/backupbuddy.service") as f:
            unit = f.read()
        for line in ("User=postgres", "ExecStart=/usr/bin/backupbuddy", "serve", "Restart=on-failure",
                     "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "ReadWritePaths="):
            self.assertIn(line, unit)
        if shutil.which("systemd-analyze"):
            v = subprocess.run(["systemd-analyze", "verify", "/lib/systemd/system/backupbuddy.service"],
                               capture_output=True, text=True)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        version = subprocess.run(["/usr/bin/backupbuddy", "--version"], capture_output=True, text=True, check=True)
        self.assertIn("backupbuddy", version.stdout)
        # The installed binary checks a real PostgreSQL and the S3 test server.
        with PgCluster() as pg, S3Env(os.path.join(self.tmp, "s3")) as s3:
            pg.create_db("pkgdb")
            cfg = os.path.join(self.tmp, "bb.toml")
            write_config(cfg, '[postgres]\nhost = "%s"\nport = %d\nuser = "postgres"\n\n%s\n'
                              '[backup]\nstate_dir = "%s"\n\n[[databases]]\nname = "pkgdb"\n'
                         % (pg.host, pg.port, s3.storage_toml(prefix="pkg/"), os.path.join(self.tmp, "state")))
            check = subprocess.run(["/usr/bin/backupbuddy", "-c", cfg, "check", "--json"], capture_output=True,
                                   text=True, env=dict(os.environ, AWS_ACCESS_KEY_ID=s3.access_key,
                                                       AWS_SECRET_ACCESS_KEY=s3.secret_key))
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            self.assertTrue(json.loads(check.stdout)["ok"])
            s3.assert_clean(self)


if __name__ == "__main__":
    unittest.main()
