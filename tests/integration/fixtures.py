"""Class-wide real servers for integration tests: a temp folder, a throwaway PostgreSQL
cluster and s3rver behind the SigV4-verifying proxy, each registered with
addClassCleanup so it is always stopped (also when set-up fails half-way).
ServersTestCase bundles the three; other test classes call the helpers directly.
"""

import os
import shutil
import tempfile
import unittest

import bbenv
from pgenv import PgCluster
from s3env import S3Env


def class_workdir(cls, prefix):
    """A temp folder for the class (kept with BB_KEEP_TMP=1); skips without the binary."""
    if not os.path.exists(bbenv.BB_BINARY):
        raise unittest.SkipTest("binary %s not built" % bbenv.BB_BINARY)
    tmp = tempfile.mkdtemp(prefix=prefix)
    os.chmod(tmp, 0o755)
    if not os.environ.get("BB_KEEP_TMP"):
        cls.addClassCleanup(shutil.rmtree, tmp, True)
    return tmp


def class_cluster(cls, **kwargs):
    """A started PgCluster, stopped after the class."""
    pg = PgCluster(**kwargs)
    cls.addClassCleanup(pg.stop)
    pg.start()
    return pg


def class_s3(cls, tmp, **kwargs):
    """A started S3Env (s3rver + verifying proxy) in tmp/s3, stopped after the class."""
    s3 = S3Env(os.path.join(tmp, "s3"), **kwargs)
    os.makedirs(s3.tmpdir)
    cls.addClassCleanup(s3.close)
    s3.start()
    return s3


class ServersTestCase(unittest.TestCase):
    extra_buckets = ()  # more buckets to create (e.g. one whose name is not DNS-safe)

    @classmethod
    def setUpClass(cls):
        cls.tmp = class_workdir(cls, "bb-%s-" % cls.__name__.lower())
        cls.pg = class_cluster(cls)
        cls.s3 = class_s3(cls, cls.tmp, extra_buckets=cls.extra_buckets)
        cls.fill()

    @classmethod
    def fill(cls):
        """Creates the class's databases and files (override)."""

    def s3_credentials(self):
        """Environment with the S3 credentials, for run_bb(env=...)."""
        return {"AWS_ACCESS_KEY_ID": self.s3.access_key, "AWS_SECRET_ACCESS_KEY": self.s3.secret_key}
