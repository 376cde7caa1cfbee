"""Integration test of the S3 driver: runs the s3_integration_tests gtest binary against
s3rver behind the SigV4-verifying proxy, then checks the proxy saw no bad signature and
no multipart upload was left open. Also proves with the aws CLI that objects written
by the driver (multipart included) are plain S3 objects.

The binary is $BB_S3_INTEGRATION_BINARY, else tests/integration/s3_integration_tests in
the build tree of $BB_BINARY.
"""

import hashlib
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3env import S3Env, UNDERSCORE_BUCKET  # noqa: E402



def find_binary():
    """$BB_S3_INTEGRATION_BINARY, else the CMake build tree next to $BB_BINARY."""
    explicit = os.environ.get("BB_S3_INTEGRATION_BINARY")
    if explicit:
        return explicit
    main_binary = os.environ.get("BB_BINARY")
    if main_binary:
        return os.path.join(os.path.dirname(main_binary), "tests", "integration",
                            "s3_integration_tests")
    return ""


BINARY = find_binary()


@unittest.skipUnless(BINARY, "neither BB_S3_INTEGRATION_BINARY nor BB_BINARY set (run through ctest)")
class S3DriverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(BINARY):
            raise AssertionError("%s not found: build the s3_integration_tests target" % BINARY)
        cls.tmp = tempfile.TemporaryDirectory(prefix="bb-s3-driver-")
        cls.s3 = S3Env(cls.tmp.name, extra_buckets=[UNDERSCORE_BUCKET])
        cls.s3.start()

    @classmethod
    def tearDownClass(cls):
        cls.s3.close()
        cls.tmp.cleanup()

    def run_gtest(self, gtest_filter):
        env = self.s3.env()
        env["BB_S3_UNDERSCORE_BUCKET"] = UNDERSCORE_BUCKET
        proc = subprocess.run([BINARY, "--gtest_filter=" + gtest_filter, "--gtest_brief=1"],
                              env=env, capture_output=True, text=True, timeout=600)
        output = proc.stdout + proc.stderr
        if proc.returncode != 0:
            self.fail("%s failed (exit %d):\n%s\n--- proxy log ---\n%s"
                      % (os.path.basename(BINARY), proc.returncode, output[-20000:],
                         self.s3.log_tail("s3_proxy")))
        return output

    def test_1_driver_against_verifying_proxy(self):
        self.s3.proxy_reset()
        self.run_gtest("S3Driver.*")
        # Every request the driver made was correctly signed, and nothing is left open.
        state = self.s3.assert_clean(self)
        self.assertGreater(state["requests"], 1100)
        self.assertEqual(state["payload_hash_failures"], 0)
        # What the driver wrote (multipart) is a plain S3 object to the aws CLI.
        out = os.path.join(self.tmp.name, "aws-readable.bin")
        self.s3.aws("s3", "cp", "s3://%s/it/shared/aws-readable.bin" % self.s3.bucket, out)
        expected = self.s3.aws("s3", "cp", "s3://%s/it/shared/aws-readable.sha256" % self.s3.bucket,
                               "-").stdout.strip()
        with open(out, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), expected)

    def test_2_bad_credentials_are_refused_by_the_proxy(self):
        self.s3.proxy_reset()
        self.run_gtest("S3Auth.*")
        state = self.s3.proxy_state()
        # Proves the proxy really checks: the wrong secret and the unknown key failed there.
        self.assertGreaterEqual(state["signature_failures"], 3, state)
        self.assertEqual(state["open_uploads"], [])

    def test_3_aws_cli_passes_the_proxy(self):
        # The reference client's signatures pass the proxy too (so the proxy is not
        # merely agreeing with our own signing), here in the '_' bucket.
        self.s3.proxy_reset()
        path = os.path.join(self.tmp.name, "probe.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(6 << 20))
        self.s3.aws("s3", "cp", path, "s3://%s/cli/probe.bin" % UNDERSCORE_BUCKET)
        listing = self.s3.aws("s3", "ls", "s3://%s/cli/" % UNDERSCORE_BUCKET).stdout
        self.assertIn("probe.bin", listing)
        out = os.path.join(self.tmp.name, "probe.out")
        self.s3.aws("s3", "cp", "s3://%s/cli/probe.bin" % UNDERSCORE_BUCKET, out)
        with open(path, "rb") as a, open(out, "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.s3.aws("s3", "rm", "s3://%s/cli/probe.bin" % UNDERSCORE_BUCKET)
        self.s3.assert_clean(self)


if __name__ == "__main__":
    unittest.main()
