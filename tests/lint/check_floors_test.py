"""scripts/check-floors.py on small made-up trees: it must fail on an upward include, on a
front end including another, on a circle within one floor, on a folder without a floor
and on a stale allowlist entry, and pass a clean tree."""

import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "check-floors.py")


class CheckFloorsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        self.allowlist = os.path.join(self.root, "allow.txt")
        self.write("allow.txt", "")
        self.write("src/main.cpp", '#include "ops/backup.h"\n#include "bot/bot.h"\n')
        self.write("src/util/log.h", "#include <string>\n")
        self.write("src/stream/zstd.h", '#include "stream/sink.h"\n#include "util/log.h"\n')
        self.write("src/crypto/age.h", '#include "stream/sink.h"\n#include <openssl/evp.h>\n')
        self.write("src/storage/s3/client.cpp", '#include "storage/storage.h"\n#include "config/config.h"\n')
        self.write("src/cli/backup.cpp", '#include "catalog/keys.h"\n#include "storage/storage.h"\n')
        self.write("src/bot/bot.cpp", '#include "pg/session.h"\n')

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def check(self):
        r = subprocess.run([sys.executable, SCRIPT, "--root", self.root, "--allowlist", self.allowlist],
                           capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout + r.stderr

    def test_clean_tree_passes(self):
        code, out = self.check()
        self.assertEqual(code, 0, out)
        self.assertIn("check-floors: ok", out)

    def test_upward_include_fails_naming_file_line_and_floors(self):
        self.write("src/stream/zstd.h", '#include "util/log.h"\n\n#include "storage/storage.h"  // ByteSink\n')
        code, out = self.check()
        self.assertEqual(code, 1, out)
        self.assertIn("src/stream/zstd.h:3: stream (floor 2) includes storage (floor 4)", out)

    def test_angle_bracket_include_of_a_src_folder_is_checked(self):
        self.write("src/util/time.cpp", "#include <catalog/keys.h>\n")
        self.write("src/catalog/keys.h", "")
        code, out = self.check()
        self.assertEqual(code, 1, out)
        self.assertIn("src/util/time.cpp:1: util (floor 1) includes catalog (floor 5)", out)

    def test_front_ends_never_include_each_other(self):
        self.write("src/cli/report.cpp", '#include "bot/telegram.h"\n')
        code, out = self.check()
        self.assertEqual(code, 1, out)
        self.assertIn("src/cli/report.cpp:1: cli (floor 9) includes bot (floor 9): "
                      "front ends never include each other", out)

    def test_circle_on_one_floor_fails(self):
        self.write("src/stream/sha256.cpp", '#include "crypto/age.h"\n')
        code, out = self.check()
        self.assertEqual(code, 1, out)
        self.assertIn("src/crypto/age.h:1: crypto (floor 2) includes stream (floor 2), which leads back to crypto", out)
        self.assertIn("src/stream/sha256.cpp:1: stream (floor 2) includes crypto (floor 2), which leads back to stream", out)

    def test_folder_without_a_floor_fails(self):
        self.write("src/metrics/counter.h", '#include "util/log.h"\n')
        code, out = self.check()
        self.assertEqual(code, 1, out)
        self.assertIn("src/metrics/: folder has no floor", out)

    def test_include_of_unknown_folder_fails(self):
        self.write("src/util/log.cpp", '#include "utils/log.h"\n')
        code, out = self.check()
        self.assertEqual(code, 1, out)
        self.assertIn("src/util/log.cpp:1: includes \"utils/log.h\": utils/ has no floor", out)

    def test_allowlisted_violation_passes_and_stale_entry_fails(self):
        self.write("src/cli/report.cpp", '#include "bot/telegram.h"\n#include "bot/messages.h"\n')
        self.write("allow.txt", "# comment\nsrc/cli/report.cpp: cli -> bot\n")
        code, out = self.check()
        self.assertEqual(code, 0, out)
        self.write("src/cli/report.cpp", '#include "catalog/keys.h"\n')
        code, out = self.check()
        self.assertEqual(code, 1, out)
        self.assertIn("allow.txt:2: \"src/cli/report.cpp: cli -> bot\" no longer occurs", out)

    def test_allowlist_covers_only_its_file(self):
        self.write("src/cli/report.cpp", '#include "bot/telegram.h"\n')
        self.write("src/cli/check.cpp", '#include "bot/telegram.h"\n')
        self.write("allow.txt", "src/cli/report.cpp: cli -> bot\n")
        code, out = self.check()
        self.assertEqual(code, 1, out)
        self.assertIn("src/cli/check.cpp:1: cli (floor 9) includes bot (floor 9)", out)
        self.assertNotIn("src/cli/report.cpp:1", out)

    def test_malformed_allowlist_is_a_usage_error(self):
        self.write("allow.txt", "src/cli/report.cpp commands bot\n")
        code, out = self.check()
        self.assertEqual(code, 2, out)
        self.assertIn("is not \"src/file: folder -> folder\"", out)


if __name__ == "__main__":
    unittest.main()
