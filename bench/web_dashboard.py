#!/usr/bin/python3
"""The web console under a realistic catalogue: how long its pages take and how much memory
it holds with N databases of M backups each, on the local store or on S3 (s3rver).

    bench/web_dashboard.py                     # 50 databases x 20 backups, local and s3
    bench/web_dashboard.py --databases 50 --backups 20 --stores s3 --runs 20

The store is filled with synthetic backups in the documented layout (docs/storage-layout.md):
small data objects with manifests that describe them exactly (so every backup is trusted and
the pages do all the work they do for real ones). No PostgreSQL is needed: the pages measured
read only the store and the state file. One run record per backup day (as `serve` leaves
them) feeds the dashboard's duration charts. Each URL is fetched once to warm up (the
console keeps the run records it has read), then --runs times;
the median and the worst are printed, with the console's resident memory (VmRSS) and its peak
(VmHWM) read from /proc after all requests.
"""
import argparse
import base64
import datetime as dt
import hashlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PASSWORD = "bench-Password-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("nothing listens on port %d after %d s" % (port, timeout))


def fill_store(path, databases, backups):
    """Writes databases x backups synthetic backups (data object + manifest) under path."""
    now = dt.datetime.now(dt.timezone.utc).replace(hour=4, minute=0, second=0, microsecond=0)
    for d in range(databases):
        db = "db%02d" % d
        os.makedirs(os.path.join(path, db), exist_ok=True)
        for b in range(backups):
            started = now - dt.timedelta(days=b + 1)
            bid = started.strftime("%Y%m%dT%H%M%SZ")
            data = os.urandom(1024 + 37 * b)
            data_key = "%s/%s.dump.zst" % (db, bid)
            with open(os.path.join(path, data_key), "wb") as f:
                f.write(data)
            manifest = {
                "format": "backupbuddy-manifest", "format_version": 1, "database": db, "id": bid,
                "data_key": data_key, "server_version": "15.18", "pg_dump_version": "pg_dump (PostgreSQL) 15.18",
                "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "finished_at": (started + dt.timedelta(seconds=30 + b)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "dump_bytes": len(data) * 4, "stored_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                "compression": "zstd", "compression_level": 3, "encryption": None, "tool_version": "0.1.0",
                "table_count": 1, "row_counts": [{"schema": "public", "table": "t", "rows": 1000 + b}],
            }
            with open(os.path.join(path, db, bid + ".json"), "w") as f:
                json.dump(manifest, f)


def fill_run_records(path, databases, backups):
    """One run record per backup day (docs/storage-layout.md, "Run records"), each with every database."""
    now = dt.datetime.now(dt.timezone.utc).replace(hour=4, minute=0, second=0, microsecond=0)
    folder = os.path.join(path, "!runs", "bench")
    os.makedirs(folder, exist_ok=True)
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    for b in range(backups):
        started = now - dt.timedelta(days=b + 1)
        rid = started.strftime("%Y%m%dT%H%M%S") + ".000Z"
        results = [{"database": "db%02d" % d, "ok": True, "id": started.strftime("%Y%m%dT%H%M%SZ"),
                    "dump_bytes": 4096, "stored_bytes": 1024, "seconds": 30.0 + b + d, "error": None,
                    "verified": False, "warnings": [], "first_backup": False, "vanished": False,
                    "database_missing": False} for d in range(databases)]
        record = {"format": "backupbuddy-run", "format_version": 1, "server": "bench", "id": rid,
                  "command": "serve", "started_at": iso(started), "finished_at": iso(started + dt.timedelta(minutes=20)),
                  "seconds": 1200.0, "ok": True, "databases": databases, "backed_up": databases, "error": None,
                  "tool_version": "0.1.0", "results": results}
        with open(os.path.join(folder, rid + ".json"), "w") as f:
            json.dump(record, f)


def start_s3rver(workdir, bucket):
    tools = os.path.join(ROOT, "tests", "tools")
    binary = os.path.join(tools, "node_modules", ".bin", "s3rver")
    if not os.path.exists(binary):
        raise SystemExit("s3rver is not installed: cd tests/tools && npm ci")
    port = free_port()
    env = dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider")
    data = os.path.join(workdir, "s3rver")
    os.makedirs(data)
    proc = subprocess.Popen([binary, "-d", data, "-a", "127.0.0.1", "-p", str(port), "--configure-bucket", bucket, "-s"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_port(port)
    return proc, "http://127.0.0.1:%d" % port


def upload(folder, endpoint, bucket, prefix):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER", AWS_DEFAULT_REGION="us-east-1")
    subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint, "--only-show-errors", "s3", "sync", folder,
                    "s3://%s/%s" % (bucket, prefix)], env=env, check=True)


def hash_password(binary):
    return subprocess.run([binary, "hash-password"], input=PASSWORD + "\n", capture_output=True, text=True,
                          check=True).stdout.strip()


def toml(value):
    return json.dumps(value)


def write_config(path, storage_lines, state_dir, port, password_hash):
    with open(path, "w") as f:
        f.write("[postgres]\nhost = \"127.0.0.1\"\nport = %d\n\n" % free_port())
        f.write("[storage]\n" + "".join("%s = %s\n" % (k, toml(v)) for k, v in storage_lines.items()) + "\n")
        f.write("[backup]\nstate_dir = %s\n\n" % toml(state_dir))
        f.write("[web]\nlisten = \"127.0.0.1:%d\"\n\n[[web.users]]\nname = \"bench\"\npassword_hash = %s\n"
                "role = \"operator\"\n" % (port, toml(password_hash)))
    os.chmod(path, 0o600)


class Browser:
    """Signs in through the login form (with its CSRF field, if the page has one) and keeps the cookie."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path, headers=None):
        request = urllib.request.Request(self.base + path, headers=headers or {})
        with self.opener.open(request, timeout=120) as r:
            return r.read()

    def login(self):
        page = self.get("/login").decode("utf-8", "replace")
        fields = {"name": "bench", "password": PASSWORD}
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page):
            fields[name] = value
        body = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(self.base + "/login", data=body,
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        with self.opener.open(request, timeout=60) as r:
            r.read()


def timed(fetch, runs):
    fetch()  # warm-up
    seconds = []
    for _ in range(runs):
        t = time.perf_counter()
        fetch()
        seconds.append(time.perf_counter() - t)
    return statistics.median(seconds) * 1000, max(seconds) * 1000


def memory(pid):
    values = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values


def measure(binary, kind, args, workdir):
    folder = os.path.join(workdir, "store-" + kind)
    fill_store(folder, args.databases, args.backups)
    fill_run_records(folder, args.databases, args.backups)
    s3 = None
    if kind == "local":
        storage = {"type": "local", "path": folder}
    else:
        s3, endpoint = start_s3rver(workdir, "bench")
        upload(folder, endpoint, "bench", "pg/")
        storage = {"type": "s3", "endpoint": endpoint, "region": "us-east-1", "bucket": "bench", "prefix": "pg/",
                   "path_style": True, "access_key_id": "S3RVER", "secret_access_key": "S3RVER"}
    port = free_port()
    cfg = os.path.join(workdir, kind + ".toml")
    write_config(cfg, storage, os.path.join(workdir, "state-" + kind), port, hash_password(binary))
    console = subprocess.Popen([binary, "-c", cfg, "-q", "web"], stdout=subprocess.DEVNULL,
                               stderr=open(os.path.join(workdir, kind + ".log"), "w"))
    try:
        wait_port(port)
        base = "http://127.0.0.1:%d" % port
        browser = Browser(base)
        browser.login()
        t = time.perf_counter()
        first = browser.get("/")
        cold_ms = (time.perf_counter() - t) * 1000
        if b"/databases/db%02d" % (args.databases - 1) not in first:
            raise SystemExit("the dashboard does not list every database: did the sign-in fail? (%s)" % base)
        if not re.search(rb'chart-duration"[^>]*>.*?<polyline', first):
            raise SystemExit("no duration chart drawn on the dashboard")
        auth = {"Authorization": "Basic " + base64.b64encode(("bench:" + PASSWORD).encode()).decode()}
        rows = []
        for label, fetch in (("dashboard  GET /", lambda: browser.get("/")),
                             ("database   GET /databases/db07", lambda: browser.get("/databases/db07")),
                             ("api        GET /api/v1/databases", lambda: browser.get("/api/v1/databases", auth)),
                             ("api        GET /api/v1/databases/db07/backups",
                              lambda: browser.get("/api/v1/databases/db07/backups", auth))):
            median, worst = timed(fetch, args.runs)
            rows.append((label, median, worst))
        mem = memory(console.pid)
    finally:
        console.send_signal(signal.SIGTERM)
        console.wait(timeout=30)
        if s3:
            os.killpg(s3.pid, signal.SIGTERM)
            s3.wait(timeout=30)
    print("\n%s store, %d databases x %d backups (%d objects, %d run records), %d requests each:" %
          (kind, args.databases, args.backups, 2 * args.databases * args.backups, args.backups, args.runs))
    print("  %-46s %7.1f ms (reads every run record once)" % ("dashboard  GET /, first view", cold_ms))
    for label, median, worst in rows:
        print("  %-46s median %7.1f ms   worst %7.1f ms" % (label, median, worst))
    print("  console memory after the requests: RSS %.1f MiB, peak %.1f MiB" % (mem["VmRSS"], mem["VmHWM"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", type=int, default=50)
    parser.add_argument("--backups", type=int, default=20)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--stores", default="local,s3")
    parser.add_argument("--binary", default=os.environ.get("BB", os.path.join(ROOT, "build", "backupbuddy")))
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bb-web-bench-")
    try:
        for kind in args.stores.split(","):
            measure(args.binary, kind, args, workdir)
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print("kept", workdir, file=sys.stderr)


if __name__ == "__main__":
    main()
