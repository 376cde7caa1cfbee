"""S3 test environment: s3rver behind the SigV4-verifying proxy, on free loopback ports.

Standard library only; runs under Debian's /usr/bin/python3. Typical use:

    with S3Env(tmpdir) as s3:
        run_backupbuddy(env=s3.env(), config=s3.storage_toml(prefix="pg/"))
        s3.aws("s3", "ls", "s3://%s/pg/" % s3.bucket)
        assert s3.proxy_state()["signature_failures"] == 0

The client-facing endpoint is the proxy (`endpoint`); it checks every signature with
botocore and emulates AbortMultipartUpload / ListMultipartUploads, which s3rver 3.7.1
lacks. The servers need tests/tools/node_modules (CI runs `npm ci` there); when it is
missing, `npm install --no-audit --no-fund` is run once.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SYSTEM_PYTHON = "/usr/bin/python3"
AWS_CLI = "/usr/bin/aws"
DEFAULT_BUCKET = "bb-test"
# A bucket name like Timeweb's: holds '_', so it is not DNS-safe and needs path-style.
UNDERSCORE_BUCKET = "339e534d-my_test_bucket"


def tools_dir():
    """tests/tools: $BB_TOOLS_DIR, else next to this folder."""
    return os.environ.get("BB_TOOLS_DIR") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_node_modules(tools):
    """Installs the npm test servers into tools/node_modules when they are missing."""
    if os.path.exists(os.path.join(tools, "node_modules", ".bin", "s3rver")):
        return
    npm = shutil.which("npm")
    if not npm:
        raise RuntimeError("npm not found: install nodejs and npm (Debian: apt-get install nodejs npm)")
    command = [npm, "ci" if os.path.exists(os.path.join(tools, "package-lock.json")) else "install",
               "--no-audit", "--no-fund"]
    subprocess.run(command, cwd=tools, check=True, stdout=subprocess.DEVNULL)


class S3Env:
    """s3rver + verifying proxy; a context manager that stops both on exit."""

    def __init__(self, tmpdir=None, bucket=DEFAULT_BUCKET, extra_buckets=(),
                 access_key="BBTESTACCESSKEY", secret_key="bb-test-secret/Key+1234567890",
                 region="us-east-1", verbose=False):
        self._own_tmp = tmpdir is None
        self.tmpdir = tmpdir or tempfile.mkdtemp(prefix="bb-s3-")
        self.bucket = bucket
        self.buckets = [bucket] + [b for b in extra_buckets if b != bucket]
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.verbose = verbose
        self.s3rver_port = None
        self.proxy_port = None
        self._procs = []
        self._logs = []

    # --- lifecycle ------------------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        tools = tools_dir()
        ensure_node_modules(tools)
        data_dir = os.path.join(self.tmpdir, "s3rver-data")
        os.makedirs(data_dir, exist_ok=True)
        try:
            self.s3rver_port = free_port()
            command = [os.path.join(tools, "node_modules", ".bin", "s3rver"), "-d", data_dir,
                       "-a", "127.0.0.1", "-p", str(self.s3rver_port), "-s"]
            for name in self.buckets:
                command += ["--configure-bucket", name]
            env = dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider")
            self._spawn("s3rver", command, env, cwd=tools)
            self._wait_http("s3rver", "http://127.0.0.1:%d/" % self.s3rver_port)

            self.proxy_port = free_port()
            command = [SYSTEM_PYTHON, os.path.join(tools, "s3_proxy.py"),
                       "--port", str(self.proxy_port),
                       "--upstream", "http://127.0.0.1:%d" % self.s3rver_port,
                       "--access-key", self.access_key, "--secret-key", self.secret_key,
                       "--region", self.region]
            if self.verbose:
                command.append("--verbose")
            self._spawn("s3_proxy", command, clean_python_env(), cwd=tools)
            self._wait_http("s3_proxy", self.endpoint + "/__proxy/state")
        except BaseException:
            self.close()
            raise

    def close(self):
        """Stops the servers (proxy first) and removes an own temp dir."""
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._procs = []
        for log in self._logs:
            log.close()
        self._logs = []
        if self._own_tmp:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _spawn(self, name, command, env, cwd):
        log = open(os.path.join(self.tmpdir, name + ".log"), "ab")
        self._logs.append(log)
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        proc.bb_name = name
        self._procs.append(proc)

    def _wait_http(self, name, url, timeout=30.0):
        proc = self._procs[-1]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("%s exited with %s during start:\n%s"
                                   % (name, proc.returncode, self.log_tail(name)))
            try:
                urllib.request.urlopen(url, timeout=2).close()
                return
            except urllib.error.HTTPError:
                return  # it answered, even if with an error status
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                time.sleep(0.1)
        raise RuntimeError("%s did not answer at %s within %.0f s:\n%s"
                           % (name, url, timeout, self.log_tail(name)))

    def log_tail(self, name, lines=30):
        """The last lines of a server's log, for failure messages."""
        path = os.path.join(self.tmpdir, name + ".log")
        try:
            with open(path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    # --- what clients need ------------------------------------------------------------

    @property
    def endpoint(self):
        """The URL clients use: the verifying proxy."""
        return "http://127.0.0.1:%d" % self.proxy_port

    @property
    def s3rver_endpoint(self):
        """s3rver itself (no signature checks); for diagnostics only."""
        return "http://127.0.0.1:%d" % self.s3rver_port

    def env(self, base=None):
        """Environment for a client process: credentials, region, and BB_S3_* names."""
        env = dict(os.environ if base is None else base)
        env.update({
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            "BB_S3_ENDPOINT": self.endpoint,
            "BB_S3_BUCKET": self.bucket,
            "BB_S3_REGION": self.region,
            "BB_S3_ACCESS_KEY_ID": self.access_key,
            "BB_S3_SECRET_ACCESS_KEY": self.secret_key,
            "BB_S3_PROXY_URL": self.endpoint + "/__proxy",
        })
        return env

    def storage_toml(self, bucket=None, prefix="", part_size="5MiB", upload_concurrency=2,
                     extra=""):
        """A [storage] section for this server (credentials come from env())."""
        return ('[storage]\ntype = "s3"\nendpoint = "%s"\nregion = "%s"\nbucket = "%s"\n'
                'prefix = "%s"\npart_size = "%s"\nupload_concurrency = %d\n%s'
                % (self.endpoint, self.region, bucket or self.bucket, prefix, part_size,
                   upload_concurrency, extra))

    def aws(self, *args, check=True, input=None, text=True):
        """Runs Debian's aws CLI against the proxy; returns the CompletedProcess."""
        command = [AWS_CLI, "--endpoint-url", self.endpoint, "--region", self.region]
        command += list(args)
        if (len(args) > 1 and args[0] == "s3" and args[1] in ("cp", "mv", "rm", "sync")
                and "--only-show-errors" not in args):
            command.append("--only-show-errors")
        env = clean_python_env(self.env())
        env["AWS_CONFIG_FILE"] = os.path.join(self.tmpdir, "no-aws-config")
        env["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(self.tmpdir, "no-aws-credentials")
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        proc = subprocess.run(command, env=env, input=input, capture_output=True, text=text)
        if check and proc.returncode != 0:
            raise AssertionError("aws %s failed (exit %d):\n%s%s"
                                 % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
        return proc

    # --- the proxy's control endpoints ----------------------------------------------------

    def _control(self, method, what, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.endpoint + "/__proxy/" + what, data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def proxy_state(self):
        """{"requests", "signature_failures", "failures", "open_uploads", "by_kind", ...}."""
        return self._control("GET", "state")

    def proxy_reset(self):
        """Clears the proxy's counters and fault rules (open uploads stay)."""
        return self._control("POST", "reset", {})

    def inject_faults(self, rules):
        """Adds fault rules, e.g. [{"kind": "upload_part", "action": "status", "status": 503,
        "code": "SlowDown", "times": 2}]; see tests/tools/s3_proxy.py."""
        return self._control("POST", "faults", rules)

    def clear_faults(self):
        return self._control("DELETE", "faults")

    def set_age(self, age_seconds):
        """Makes the proxy's listings report LastModified / Initiated times age_seconds in the
        past (0: the real times), so a test can pretend a day has passed."""
        return self._control("POST", "clock", {"age_seconds": int(age_seconds)})

    def list_keys(self, prefix="", bucket=None):
        """Every key under prefix (with aws s3api, through the proxy), sorted."""
        out = self.aws("s3api", "list-objects-v2", "--bucket", bucket or self.bucket,
                       "--prefix", prefix).stdout
        return sorted(o["Key"] for o in json.loads(out or "{}").get("Contents", []))

    def list_objects(self, prefix="", bucket=None):
        """{key: (size, ETag)} under prefix: a listing to compare before/after a run."""
        out = self.aws("s3api", "list-objects-v2", "--bucket", bucket or self.bucket,
                       "--prefix", prefix).stdout
        return {o["Key"]: (o["Size"], o.get("ETag")) for o in json.loads(out or "{}").get("Contents", [])}

    def fetch(self, key, path, bucket=None):
        """Downloads one object with aws s3 cp to path; returns path."""
        self.aws("s3", "cp", "s3://%s/%s" % (bucket or self.bucket, key), path)
        return path

    def assert_clean(self, testcase=None):
        """Fails when the proxy saw a bad signature or an upload is left open."""
        state = self.proxy_state()
        problems = []
        if state["signature_failures"]:
            problems.append("%d signature failures: %s" % (state["signature_failures"],
                                                            json.dumps(state["failures"], indent=1)))
        if state["open_uploads"]:
            problems.append("open multipart uploads left: %s" % json.dumps(state["open_uploads"]))
        if problems:
            message = "; ".join(problems)
            if testcase is not None:
                testcase.fail(message)
            raise AssertionError(message)
        return state


def clean_python_env(base=None):
    """Environment for Debian's python (proxy, aws): no pyenv or virtualenv leakage."""
    env = dict(os.environ if base is None else base)
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYENV_VERSION"):
        env.pop(name, None)
    return env


if __name__ == "__main__":
    # Manual use: start the environment and print how to reach it until Ctrl-C.
    with S3Env(extra_buckets=[UNDERSCORE_BUCKET], verbose="-v" in sys.argv) as s3:
        print("endpoint %s bucket %s key %s secret %s" % (s3.endpoint, s3.bucket, s3.access_key,
                                                          s3.secret_key), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
