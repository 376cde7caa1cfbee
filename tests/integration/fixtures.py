"""A test case with class-wide real servers: a throwaway PostgreSQL cluster and s3rver
behind the SigV4-verifying proxy, started once per test class and always stopped (also
when set-up fails half-way). Subclasses fill the cluster in fill().
"""

import os
import shutil
import tempfile
import unittest

from pgenv import PgCluster
from s3env import S3Env


class ServersTestCase(unittest.TestCase):
    extra_buckets = ()  # more buckets to create (e.g. one whose name is not DNS-safe)

    @classmethod
    def setUpClass(cls):
        cls.pg = cls.s3 = None
        cls.tmp = tempfile.mkdtemp(prefix="bb-%s-" % cls.__name__.lower())
        try:
            cls.pg = PgCluster().__enter__()
            cls.s3 = S3Env(os.path.join(cls.tmp, "s3"), extra_buckets=cls.extra_buckets)
            os.makedirs(cls.s3.tmpdir)
            cls.s3.start()
            cls.fill()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def fill(cls):
        """Creates the class's databases and files (override)."""

    @classmethod
    def tearDownClass(cls):
        if cls.s3:
            cls.s3.close()
        if cls.pg:
            cls.pg.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def s3_credentials(self):
        """Environment with the S3 credentials, for run_bb(env=...)."""
        return {"AWS_ACCESS_KEY_ID": self.s3.access_key, "AWS_SECRET_ACCESS_KEY": self.s3.secret_key}
