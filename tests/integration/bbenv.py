"""Running the backupbuddy binary from integration tests (stdlib only).

    cfg = write_config(path, local_config(cluster, store_dir, state_dir, ["db1", "db2"]))
    proc = run_bb(["backup", "--json"], cfg, check=0)
    results = json.loads(proc.stdout)["results"]

BB_BINARY (set by CTest) names the binary under test; without it, ../../build/backupbuddy.
"""

import datetime
import hashlib
import json
import time
import math
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
# BB_SOAK=1 (scripts/soak.sh): the long form of the loops that CI runs short (more kills,
# bigger databases); the test files read their own knobs with soak() as the default.
SOAK = os.environ.get("BB_SOAK", "") not in ("", "0")


def soak(short, long):
    """The CI value, or the long-soak one when BB_SOAK=1."""
    return long if SOAK else short


BB_BINARY = os.environ.get("BB_BINARY") or os.path.join(HERE, "..", "..", "build", "backupbuddy")


# ---- TOML ----------------------------------------------------------------------

def toml_string(text):
    """A TOML basic string with every needed escape."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u%04X" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_key(key):
    if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key):
        return key
    return toml_string(key)


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("no NaN/inf in configs")
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join("%s = %s" % (toml_key(k), toml_value(v))
                                for k, v in value.items()) + " }"
    raise TypeError("cannot write %r as TOML" % (value,))


def toml_dumps(config):
    """TOML text for {section: {key: value}}; a list of dicts becomes [[section]] entries.

    A value that is a raw string wrapped in RawToml is written verbatim (for tests that
    need broken configs).
    """
    lines = []
    for section, body in config.items():
        if isinstance(body, RawToml):
            lines.append(str(body))
        elif isinstance(body, list):
            for entry in body:
                lines.append("[[%s]]" % toml_key(section))
                for k, v in entry.items():
                    lines.append("%s = %s" % (toml_key(k), toml_value(v)))
                lines.append("")
        else:
            lines.append("[%s]" % toml_key(section))
            for k, v in body.items():
                lines.append("%s = %s" % (toml_key(k), toml_value(v)))
            lines.append("")
    return "\n".join(lines) + "\n"


class RawToml(str):
    """Verbatim TOML text placed as-is by toml_dumps (key is ignored)."""


def write_config(path, config, mode=0o600):
    """Writes config (a dict for toml_dumps, or TOML text) to path; returns path."""
    text = config if isinstance(config, str) else toml_dumps(config)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def local_config(cluster, store_dir, state_dir, databases=(), **sections):
    """A config dict: cluster's [postgres], a local [storage], [[databases]] by name.

    Extra keyword arguments add or update sections, e.g. restore={"target": "{db}_old"}.
    state_dir keeps the lock file away from /var/lib/backupbuddy, so parallel test files
    never see each other's lock.
    """
    config = {
        "postgres": {"host": cluster.host, "port": cluster.port, "user": cluster.superuser},
        "storage": {"type": "local", "path": store_dir},
        "backup": {"state_dir": state_dir},
        "restore": {"target": "{db}_archive"},
    }
    for name, body in sections.items():
        if isinstance(body, dict) and isinstance(config.get(name), dict):
            config[name] = dict(config[name], **body)
        else:
            config[name] = body
    if databases:
        config["databases"] = [{"name": d} if isinstance(d, str) else d for d in databases]
    return config


# ---- running the binary -------------------------------------------------------------

def clean_env(extra=None):
    """The caller's environment without anything that would redirect the binary."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PG") and not k.startswith("AWS_")
           and k not in ("BACKUPBUDDY_CONFIG", "BACKUPBUDDY_TELEGRAM_TOKEN")}
    env.setdefault("LANG", "C.UTF-8")
    if extra:
        env.update(extra)
    return env


def bb_argv(args, config_path=None):
    argv = [BB_BINARY]
    if config_path is not None:
        argv += ["-c", config_path]
    return argv + list(args)


def run_bb(args, config_path, env=None, check=None, timeout=600, cwd=None, input=None):
    """Runs `backupbuddy -c config_path args...`; returns the CompletedProcess (text).

    check: None accepts any exit code; True means 0; an int means exactly that code.
    On a mismatch raises AssertionError with the command, stdout and stderr.
    """
    argv = bb_argv(args, config_path)
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=clean_env(env), timeout=timeout, cwd=cwd, input=input,
                          text=True, encoding="utf-8", errors="replace")
    if check is not None:
        want = 0 if check is True else check
        if proc.returncode != want:
            raise AssertionError(describe(proc, "expected exit %d" % want))
    return proc


def start_bb(args, config_path, env=None, cwd=None):
    """Starts the binary in the background (stdout/stderr piped, text)."""
    return subprocess.Popen(bb_argv(args, config_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=clean_env(env), cwd=cwd,
                            text=True, encoding="utf-8", errors="replace")


def describe(proc, why=""):
    """A readable account of a finished run for assertion messages."""
    argv = proc.args if isinstance(proc.args, list) else [str(proc.args)]
    return "%s%s\n  exit %s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
        (why + ": ") if why else "", " ".join(argv), proc.returncode,
        (proc.stdout or "")[-6000:], (proc.stderr or "")[-6000:])


def parse_json_output(proc):
    """stdout of a --json run as data; AssertionError with the output if it is not JSON."""
    try:
        return json.loads(proc.stdout)
    except ValueError as e:
        raise AssertionError(describe(proc, "stdout is not one JSON document (%s)" % e))


def last_line(text):
    lines = [l for l in (text or "").splitlines() if l.strip()]
    return lines[-1].strip() if lines else ""


# ---- storage layout ---------------------------------------------------------------

def bookkeeping_key(key):
    """True for the objects every run stores beside the backups, relative to the store or
    bucket: the server's roles (<prefix>_globals/) and the run record (<prefix>!runs/)."""
    return "/_globals/" in "/" + key or "/!runs/" in "/" + key


def encode_db_name(name):
    """The storage layout's key segment: percent-encoding outside [A-Za-z0-9._~-], UTF-8,
    uppercase hex."""
    safe = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-")
    return "".join(chr(b) if b in safe else "%%%02X" % b for b in name.encode("utf-8"))


def parse_backup_id(backup_id):
    """'20240501T120000Z' -> aware datetime (UTC)."""
    return datetime.datetime.strptime(backup_id, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc)


def parse_iso_utc(text):
    """ISO 8601 UTC ('2024-05-01T12:00:00Z', with or without fraction/offset) -> datetime."""
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    dt = datetime.datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.astimezone(datetime.timezone.utc)


def iso_utc(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def wait_for(predicate, timeout=60, interval=0.1, what="condition"):
    """Polls predicate until it returns something true (returned), or fails after timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)


def sha256_file(path):
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def process_table():
    """{pid: (ppid, comm)} of every process, from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        table[int(entry)] = (ppid, comm)
    return table
