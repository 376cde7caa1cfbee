"""The storage contract suite (tests/contract/) on the S3 driver: runs the
*StorageContract.* tests of the s3_integration_tests gtest binary against s3rver behind
the SigV4-verifying proxy, then checks the proxy saw no bad signature and no multipart
upload was left open. The same suite runs on the local driver and the in-memory fake in
the unit tests (ctest -R StorageContract).

The binary is $BB_S3_INTEGRATION_BINARY, else tests/integration/s3_integration_tests in
the build tree of $BB_BINARY.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3env import S3Env  # noqa: E402
from test_s3_driver import BINARY  # noqa: E402


@unittest.skipUnless(BINARY, "neither BB_S3_INTEGRATION_BINARY nor BB_BINARY set (run through ctest)")
class StorageContractS3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(BINARY):
            raise AssertionError("%s not found: build the s3_integration_tests target" % BINARY)
        cls.tmp = tempfile.TemporaryDirectory(prefix="bb-s3-contract-")
        cls.s3 = S3Env(cls.tmp.name)
        cls.s3.start()

    @classmethod
    def tearDownClass(cls):
        cls.s3.close()
        cls.tmp.cleanup()

    def test_contract_suite_on_s3_through_the_verifying_proxy(self):
        self.s3.proxy_reset()
        started = time.monotonic()
        proc = subprocess.run([BINARY, "--gtest_filter=*StorageContract.*", "--gtest_brief=1"],
                              env=self.s3.env(), capture_output=True, text=True, timeout=600)
        elapsed = time.monotonic() - started
        output = proc.stdout + proc.stderr
        if proc.returncode != 0:
            self.fail("%s failed (exit %d):\n%s\n--- proxy log ---\n%s"
                      % (os.path.basename(BINARY), proc.returncode, output[-20000:],
                         self.s3.log_tail("s3_proxy")))
        # A filter that matched nothing would pass silently.
        passed = re.search(r"\[  PASSED  \] (\d+) tests?", output)
        self.assertTrue(passed, output[-5000:])
        self.assertGreaterEqual(int(passed.group(1)), 15, output[-5000:])
        print("storage contract on S3: %.1f s" % elapsed, file=sys.stderr)
        # Every request was correctly signed, bodies matched their hashes, and every
        # writer the suite abandoned or aborted left no multipart upload open.
        state = self.s3.assert_clean(self)
        self.assertEqual(state["payload_hash_failures"], 0)
        self.assertGreater(state["by_kind"].get("abort_upload", 0), 0, state["by_kind"])
        self.assertEqual(state["page_sizes"], {}, "a test left the proxy paging")


if __name__ == "__main__":
    unittest.main()
