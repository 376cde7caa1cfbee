#!/usr/bin/python3
"""SigV4-verifying reverse proxy in front of s3rver, for BackupBuddy's tests.

s3rver 3.7.1 accepts any Signature V4 and never checks x-amz-content-sha256, so a
signing bug would pass unnoticed. This proxy recomputes every request's signature with
botocore (the reference implementation) and answers 403 SignatureDoesNotMatch on a
mismatch, checks the payload hash against the body, and counts both. It also emulates
the multipart calls s3rver lacks (AbortMultipartUpload, ListMultipartUploads) from the
uploads it sees pass through, and offers fault injection per request kind.

Run with Debian's /usr/bin/python3 (it has python3-botocore):
    s3_proxy.py --port P --upstream http://127.0.0.1:Q --access-key K --secret-key S

Control endpoints (no auth):
    GET  /__proxy/state   -> {"requests", "signature_failures", "failures", "open_uploads", ...}
    POST /__proxy/reset   -> counters and faults cleared (open uploads kept: they are state)
    POST /__proxy/faults  <- JSON list of rules, e.g.
         [{"kind": "upload_part", "action": "status", "status": 503, "code": "SlowDown", "times": 2},
          {"kind": "get_object", "action": "truncate", "after_bytes": 1000000, "times": 1},
          {"kind": "*", "action": "reset", "times": 1}]
    DELETE /__proxy/faults -> all rules removed
    POST /__proxy/clock   <- {"age_seconds": N}: listings report every object's LastModified and
         every upload's Initiated N seconds earlier (a test pretends a day has passed without
         touching the product); {"age_seconds": 0} turns it off
    POST /__proxy/paging  <- {"list_objects": N, "list_uploads": M}: listings answer at most N
         objects / M uploads per page (as if the client had asked for max-keys=N), so a test
         pages through a listing without writing 1,000 objects; 0 or absent: the server's own
         page size. Cleared by reset.

Fault rules: "kind" is an S3 operation as classify() names it, or "*". A rule fires "times"
times (default 1), or, with "probability" (0..1), on that share of matching requests
(unlimited unless "times" is given; "seed" makes the draw repeatable). "key_suffix" /
"key_contains" restrict a rule to matching object keys (e.g. ".dump.zst"). Actions:
    status   answer HTTP "status" with S3 error "code" (the request is not forwarded)
    reset    drop the connection with a TCP RST; with "after_bytes" (>= 0) after reading only
             that much of the request body (a reset mid-upload), else after the whole request
    truncate forward, but cut the answer's body after "after_bytes" bytes and close
    stall    slow loris: "phase" "request" (default for bodies) stops reading the request body
             after "after_bytes" bytes; "phase" "response" sends the answer's headers and
             "after_bytes" bytes of its body; then nothing for "seconds" (default 30), then close
    corrupt  forward, answer 200 with the right length but byte "at_byte" (default 0) of the
             body flipped: a body that does not match
    garbage  answer "status" (default 200) with "body" (default: not XML) without forwarding
    delay    wait "seconds" (default 1), then serve the request normally (a slow server)
    omit     (list_objects) forward, but leave out of the listing every object whose key ends
             with "omit_suffix" / contains "omit_contains" (default: every object): a provider
             whose listing lies or lags behind what it stored
"""

import argparse
import datetime
import hashlib
import http.client
import http.server
import json
import random
import re
import signal
import socket
import struct
import tempfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, unescape

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CHUNK = 1 << 20
SPOOL_IN_MEMORY = 16 << 20  # larger bodies go to a temp file
UNCHECKED_PAYLOADS = ("UNSIGNED-PAYLOAD", "STREAMING-")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection", "host", "content-length"}
S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request\s*,\s*"
    r"SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$")


def error_xml(code, message, resource=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<Resource>%s</Resource><RequestId>s3-proxy</RequestId></Error>'
            % (escape(code), escape(message), escape(resource))).encode()


class ProxyState:
    """Everything the proxy remembers; guarded by one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.uploads = {}  # upload_id -> {"bucket", "key", "upload_id", "initiated"}
        self.reset()

    def reset(self):
        self.requests = 0
        self.by_kind = {}
        self.signature_failures = 0
        self.payload_hash_failures = 0
        self.failures = []  # the last few, for diagnostics
        self.faults = []
        self.faults_fired = 0
        self.fired_by_action = {}
        self.age_seconds = 0
        self.page_sizes = {}  # "list_objects" / "list_uploads" -> forced page size
        self.rng = random.Random()

    def record_failure(self, reason, method, path):
        self.signature_failures += 1
        self.failures.append({"reason": reason, "method": method, "path": path})
        del self.failures[:-20]

    def snapshot(self):
        return {
            "requests": self.requests,
            "by_kind": dict(self.by_kind),
            "signature_failures": self.signature_failures,
            "payload_hash_failures": self.payload_hash_failures,
            "failures": list(self.failures),
            "open_uploads": sorted(self.uploads.values(), key=lambda u: (u["key"], u["upload_id"])),
            "faults": self.public_faults(),
            "faults_fired": self.faults_fired,
            "fired_by_action": dict(self.fired_by_action),
            "age_seconds": self.age_seconds,
            "page_sizes": dict(self.page_sizes),
        }

    def take_fault(self, kind, key=""):
        """The first matching fault rule (its count decremented), or None."""
        for rule in self.faults:
            if rule.get("kind") not in (kind, "*"):
                continue
            if "key_suffix" in rule and not key.endswith(rule["key_suffix"]):
                continue
            if "key_contains" in rule and rule["key_contains"] not in key:
                continue
            probability = rule.get("probability")
            if probability is None:
                if rule.get("times", 1) <= 0:
                    continue
            else:
                if "times" in rule and rule["times"] <= 0:
                    continue
                if "seed" in rule and "_rng" not in rule:
                    rule["_rng"] = random.Random(rule["seed"])
                draw = rule.get("_rng", self.rng).random()
                if draw >= float(probability):
                    continue
            if "times" in rule or probability is None:
                rule["times"] = rule.get("times", 1) - 1
            rule["fired"] = rule.get("fired", 0) + 1
            self.faults_fired += 1
            action = rule.get("action", "?")
            self.fired_by_action[action] = self.fired_by_action.get(action, 0) + 1
            return {k: v for k, v in rule.items() if k != "_rng"}
        return None

    def public_faults(self):
        return [{k: v for k, v in rule.items() if k != "_rng"} for rule in self.faults]


def classify(method, key, query):
    """The S3 operation a request is, as a fault-injection kind."""
    if not key:
        if method == "GET" and "uploads" in query:
            return "list_uploads"
        if method == "GET":
            return "list_objects"
        if method == "POST" and "delete" in query:
            return "delete_objects"
        return "bucket_other"
    if method == "PUT":
        return "upload_part" if "uploadId" in query else "put_object"
    if method == "POST" and "uploads" in query:
        return "create_upload"
    if method == "POST" and "uploadId" in query:
        return "complete_upload"
    if method == "DELETE" and "uploadId" in query:
        return "abort_upload"
    if method == "GET" and "uploadId" in query:
        return "list_parts"
    return {"GET": "get_object", "HEAD": "head_object", "DELETE": "delete_object"}.get(method, "other")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each small answer waits for a delayed ACK
    server_version = "s3-proxy"

    def log_message(self, fmt, *args):  # quiet; failures are in /__proxy/state
        if self.server.verbose:
            super().log_message(fmt, *args)

    # Every method goes through one path.
    def do_GET(self):
        self.dispatch()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    # --- plumbing -----------------------------------------------------------------

    def send_bytes(self, status, body, content_type="application/xml", headers=None):
        self.send_response(status)
        for name, value in (headers or []):
            self.send_header(name, value)
        if body or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def send_s3_error(self, status, code, message):
        self.send_bytes(status, error_xml(code, message, self.path.split("?")[0]))

    def read_body(self):
        """Spools the request body, returning (file, size, sha256 hex)."""
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
        digest = hashlib.sha256()
        size = 0
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                line = self.rfile.readline().strip()
                n = int(line.split(b";")[0], 16)
                if n == 0:
                    while self.rfile.readline().strip():
                        pass
                    break
                data = self.rfile.read(n)
                self.rfile.readline()
                digest.update(data)
                spool.write(data)
                size += n
        else:
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining > 0:
                data = self.rfile.read(min(CHUNK, remaining))
                if not data:
                    raise ConnectionError("client closed the connection mid-body")
                digest.update(data)
                spool.write(data)
                size += len(data)
                remaining -= len(data)
        spool.seek(0)
        return spool, size, digest.hexdigest()

    # --- the request path ---------------------------------------------------------

    def dispatch(self):
        parts = urllib.parse.urlsplit(self.path)
        if parts.path.startswith("/__proxy/"):
            return self.control(parts.path[len("/__proxy/"):])
        state = self.server.state
        raw_query = parts.query
        query = dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
        segments = parts.path.lstrip("/").split("/", 1)
        bucket = urllib.parse.unquote(segments[0])
        key = urllib.parse.unquote(segments[1]) if len(segments) > 1 else ""
        kind = classify(self.command, key, query)
        with state.lock:
            state.requests += 1
            state.by_kind[kind] = state.by_kind.get(kind, 0) + 1
            fault = state.take_fault(kind, key)
        if fault and self.inject_before_body(fault):
            return
        body, size, body_sha = self.read_body()
        try:
            if not self.verify(parts, body_sha):
                return
            if fault and self.inject(fault):
                return
            if kind == "abort_upload":
                return self.abort_upload(query["uploadId"])
            if kind == "list_uploads":
                return self.list_uploads(bucket, query)
            self.forward(kind, bucket, key, query, body, size, fault)
        finally:
            body.close()

    def verify(self, parts, body_sha):
        """Checks the Authorization header with botocore; answers 403 and returns False on a mismatch."""
        state = self.server.state
        method, path = self.command, parts.path
        auth = self.headers.get("Authorization", "")
        match = AUTH_RE.match(auth)
        if not match:
            with state.lock:
                state.record_failure("missing or malformed Authorization header", method, path)
            self.send_s3_error(403, "AccessDenied", "Anonymous or malformed authorization")
            return False
        access_key, _scope_date, region, service, signed_headers, signature = match.groups()
        if access_key != self.server.access_key:
            with state.lock:
                state.record_failure("unknown access key", method, path)
            self.send_s3_error(403, "InvalidAccessKeyId",
                               "The AWS Access Key Id you provided does not exist in our records.")
            return False
        amz_date = self.headers.get("x-amz-date", "")
        claimed_sha = self.headers.get("x-amz-content-sha256")
        if claimed_sha is None:
            with state.lock:
                state.record_failure("no x-amz-content-sha256 header", method, path)
            self.send_s3_error(400, "InvalidRequest", "Missing required header x-amz-content-sha256")
            return False
        if not claimed_sha.startswith(UNCHECKED_PAYLOADS) and claimed_sha != body_sha:
            with state.lock:
                state.payload_hash_failures += 1
                state.record_failure("x-amz-content-sha256 does not match the body", method, path)
            self.send_s3_error(400, "XAmzContentSHA256Mismatch",
                               "The provided 'x-amz-content-sha256' header does not match what was computed.")
            return False
        # Recompute the signature the way S3 does: canonical (decoded, re-encoded, sorted)
        # query, the raw path, and only the headers the client signed.
        headers = {}
        for name in signed_headers.split(";"):
            values = self.headers.get_all(name) or []
            headers[name] = ",".join(v.strip() for v in values)
        params = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        request = AWSRequest(method=method, url="http://%s%s" % (headers.get("host", "localhost"), path),
                             headers=headers, params=dict(params))
        request.context["timestamp"] = amz_date
        signer = S3SigV4Auth(Credentials(access_key, self.server.secret_key), service, region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if region != self.server.region or service != "s3" or expected != signature:
            with state.lock:
                state.record_failure("signature mismatch; canonical request was:\n" + canonical,
                                     method, path)
            self.send_s3_error(403, "SignatureDoesNotMatch",
                               "The request signature we calculated does not match the signature "
                               "you provided. Check your key and signing method.")
            return False
        return True

    def body_length(self):
        try:
            return int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return 0

    def read_some_body(self, limit):
        """Reads at most limit bytes of a Content-Length request body (for mid-body faults)."""
        remaining = min(limit, self.body_length())
        while remaining > 0:
            data = self.rfile.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)

    def drop_connection(self):
        """Closes the client's connection with a TCP RST."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass

    def stall(self, fault):
        """Sends and reads nothing for the rule's seconds (bounded), then closes the connection."""
        deadline = time.monotonic() + min(float(fault.get("seconds", 30)), 600.0)
        while time.monotonic() < deadline and not self.server.stopping:
            time.sleep(0.05)
        self.drop_connection()

    def inject_before_body(self, fault):
        """Faults that act while the request body is still arriving; True when they did."""
        action = fault.get("action")
        has_body = self.body_length() > 0
        if action == "reset" and "after_bytes" in fault and has_body:
            self.read_some_body(int(fault["after_bytes"]))
            self.drop_connection()
            return True
        if action == "stall" and fault.get("phase", "request" if has_body else "response") == "request":
            self.read_some_body(int(fault.get("after_bytes", 0)))
            self.stall(fault)
            return True
        return False

    def inject(self, fault):
        """Applies a fault rule; True when the request was answered (or dropped) here."""
        action = fault.get("action")
        if action == "delay":  # a slow but healthy server: wait, then serve normally
            deadline = time.monotonic() + min(float(fault.get("seconds", 1)), 600.0)
            while time.monotonic() < deadline and not self.server.stopping:
                time.sleep(0.02)
            return False
        if action == "status":
            self.send_s3_error(int(fault.get("status", 503)), fault.get("code", "SlowDown"),
                               fault.get("message", "Injected by the test proxy"))
            return True
        if action == "reset":
            self.drop_connection()
            return True
        if action == "garbage":
            body = fault.get("body", "this is not the answer you are looking for")
            self.send_bytes(int(fault.get("status", 200)), body.encode(), fault.get("content_type", "application/xml"))
            return True
        return False  # "truncate", "corrupt" and response stalls act while forwarding

    def upstream(self):
        conn = getattr(self.server.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.server.upstream_host, self.server.upstream_port,
                                              timeout=300, blocksize=CHUNK)
            self.server.local.conn = conn
        return conn

    def forward(self, kind, bucket, key, query, body, size, fault):
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        # s3rver knows only its own account; it does not check V4 signatures.
        if "Authorization" in headers:
            headers["Authorization"] = re.sub(r"Credential=[^/]+/", "Credential=S3RVER/",
                                              headers["Authorization"])
        headers["Host"] = "%s:%d" % (self.server.upstream_host, self.server.upstream_port)
        headers["Content-Length"] = str(size)
        path = self.path
        if kind == "list_objects":
            path = self.with_page_size(path, "max-keys", self.server.state.page_sizes.get(kind))
        for attempt in (1, 2):
            conn = self.upstream()
            try:
                body.seek(0)
                conn.request(self.command, path, body=body if size else None, headers=headers)
                response = conn.getresponse()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                conn.close()
                self.server.local.conn = None
                if attempt == 2:
                    raise
        if kind in ("create_upload", "complete_upload"):
            data = response.read()
            self.track_upload(kind, bucket, key, query, response.status, data)
            if fault and fault.get("action") == "stall":
                return self.stall(fault)  # done upstream, but the client never hears of it
            return self.relay(response, data)
        omit = fault and fault.get("action") == "omit"
        if kind == "list_objects" and (self.server.state.age_seconds or omit) and response.status == 200:
            data = response.read()
            if omit:
                data = self.omit_from_listing(data, fault)
            if self.server.state.age_seconds:
                data = self.age_listing(data, "LastModified")
            return self.relay(response, data)
        if fault and fault.get("action") == "stall" and response.getheader("Content-Length") in (None, "0"):
            response.read()
            return self.stall(fault)
        return self.relay_stream(response, fault)

    @staticmethod
    def with_page_size(path, name, page_size):
        """path with its query parameter name set to page_size (after the signature was
        checked: s3rver does not verify signatures, so the rewrite is invisible to it)."""
        if not page_size:
            return path
        parts = urllib.parse.urlsplit(path)
        query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
                 if k != name]
        query.append((name, str(int(page_size))))
        return urllib.parse.urlunsplit(parts._replace(
            query=urllib.parse.urlencode(query, quote_via=urllib.parse.quote, safe="")))

    def omit_from_listing(self, data, fault):
        """Removes the <Contents> entries the "omit" rule names from a ListObjectsV2 answer."""
        suffix, contains = fault.get("omit_suffix"), fault.get("omit_contains")
        omitted = [0]

        def drop(match):
            found = re.search(r"<Key>([^<]*)</Key>", match.group(0))
            key = unescape(found.group(1)) if found else ""
            if (suffix is None or key.endswith(suffix)) and (contains is None or contains in key):
                omitted[0] += 1
                return ""
            return match.group(0)
        text = re.sub(r"<Contents>.*?</Contents>", drop, data.decode("utf-8"), flags=re.S)
        text = re.sub(r"<KeyCount>(\d+)</KeyCount>",
                      lambda m: "<KeyCount>%d</KeyCount>" % max(0, int(m.group(1)) - omitted[0]), text)
        return text.encode("utf-8")

    def age_listing(self, data, element):
        """Moves every <element> time in an XML listing back by the configured age."""
        age = datetime.timedelta(seconds=self.server.state.age_seconds)

        def shift(match):
            text = match.group(2)
            try:
                when = datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")
            except ValueError:
                return match.group(0)
            when -= age
            return "%s%s.000Z%s" % (match.group(1), when.strftime("%Y-%m-%dT%H:%M:%S"), match.group(3))
        pattern = re.compile(r"(<%s>)([^<]*)(</%s>)" % (element, element))
        return pattern.sub(shift, data.decode("utf-8")).encode("utf-8")

    def track_upload(self, kind, bucket, key, query, status, data):
        state = self.server.state
        if status != 200:
            return
        if kind == "create_upload":
            try:
                root = ET.fromstring(data)
                upload_id = root.findtext(S3_NS + "UploadId") or root.findtext("UploadId")
            except ET.ParseError:
                upload_id = None
            if upload_id:
                now = datetime.datetime.now(datetime.timezone.utc)
                with state.lock:
                    state.uploads[upload_id] = {
                        "bucket": bucket, "key": key, "upload_id": upload_id,
                        "initiated": now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)}
        elif b"<Error>" not in data:
            with state.lock:
                state.uploads.pop(query.get("uploadId"), None)

    def relay(self, response, data):
        headers = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
        self.send_response(response.status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)

    def relay_stream(self, response, fault):
        """Relays an answer chunk by chunk (object bodies can be large)."""
        length = response.getheader("Content-Length")
        if self.command == "HEAD":
            response.read()
            self.send_response(response.status)
            for k, v in response.getheaders():
                if k.lower() not in HOP_BY_HOP or k.lower() == "content-length":
                    self.send_header(k, v)
            self.end_headers()
            return
        if length is None:
            return self.relay(response, response.read())
        self.send_response(response.status)
        for k, v in response.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", length)
        self.end_headers()
        limit = None
        flip_at = None
        action = fault.get("action") if fault and 200 <= response.status < 300 else None
        if action in ("truncate", "stall"):
            limit = int(fault.get("after_bytes", 0))
        elif action == "corrupt":
            flip_at = int(fault.get("at_byte", 0))
        sent = 0
        while True:
            data = response.read(CHUNK)
            if not data:
                break
            if flip_at is not None and sent <= flip_at < sent + len(data):
                data = bytearray(data)
                data[flip_at - sent] ^= 0xFF
                data = bytes(data)
            if limit is not None and sent + len(data) >= limit:
                self.wfile.write(data[:limit - sent])
                self.wfile.flush()
                response.close()
                self.server.local.conn = None
                if action == "stall":
                    return self.stall(fault)
                self.close_connection = True  # the client sees a body cut short
                return
            self.wfile.write(data)
            sent += len(data)

    # --- emulated multipart calls ---------------------------------------------------

    def abort_upload(self, upload_id):
        with self.server.state.lock:
            found = self.server.state.uploads.pop(upload_id, None)
        if found is None:
            return self.send_s3_error(404, "NoSuchUpload", "The specified upload does not exist.")
        self.send_bytes(204, b"")

    def list_uploads(self, bucket, query):
        prefix = query.get("prefix", "")
        key_marker = query.get("key-marker", "")
        id_marker = query.get("upload-id-marker", "")
        max_uploads = int(query.get("max-uploads", "1000"))
        forced = self.server.state.page_sizes.get("list_uploads")
        if forced:
            max_uploads = min(max_uploads, int(forced))
        with self.server.state.lock:
            uploads = sorted((u for u in self.server.state.uploads.values()
                              if u["bucket"] == bucket and u["key"].startswith(prefix)),
                             key=lambda u: (u["key"], u["upload_id"]))
        if key_marker and id_marker:
            uploads = [u for u in uploads if (u["key"], u["upload_id"]) > (key_marker, id_marker)]
        elif key_marker:
            uploads = [u for u in uploads if u["key"] > key_marker]
        page, truncated = uploads[:max_uploads], len(uploads) > max_uploads
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="%s">'
               % S3_NS.strip("{}"),
               "<Bucket>%s</Bucket><KeyMarker>%s</KeyMarker><UploadIdMarker>%s</UploadIdMarker>"
               % (escape(bucket), escape(key_marker), escape(id_marker)),
               "<Prefix>%s</Prefix><MaxUploads>%d</MaxUploads><IsTruncated>%s</IsTruncated>"
               % (escape(prefix), max_uploads, "true" if truncated else "false")]
        if truncated:
            out.append("<NextKeyMarker>%s</NextKeyMarker><NextUploadIdMarker>%s</NextUploadIdMarker>"
                       % (escape(page[-1]["key"]), escape(page[-1]["upload_id"])))
        for u in page:
            out.append("<Upload><Key>%s</Key><UploadId>%s</UploadId><Initiated>%s</Initiated>"
                       "<StorageClass>STANDARD</StorageClass></Upload>"
                       % (escape(u["key"]), escape(u["upload_id"]), u["initiated"]))
        out.append("</ListMultipartUploadsResult>")
        data = "".join(out).encode()
        if self.server.state.age_seconds:
            data = self.age_listing(data, "Initiated")
        self.send_bytes(200, data)

    # --- control endpoints ------------------------------------------------------------

    def control(self, what):
        state = self.server.state
        body, _size, _sha = self.read_body()
        raw = body.read()
        body.close()
        if what == "state" and self.command == "GET":
            with state.lock:
                snapshot = state.snapshot()
            return self.send_bytes(200, json.dumps(snapshot).encode(), "application/json")
        if what == "reset" and self.command == "POST":
            with state.lock:
                state.reset()
            return self.send_bytes(200, b"{}", "application/json")
        if what == "faults" and self.command == "POST":
            rules = json.loads(raw or b"[]")
            with state.lock:
                state.faults.extend(rules if isinstance(rules, list) else [rules])
            return self.send_bytes(200, b"{}", "application/json")
        if what == "clock" and self.command == "POST":
            settings = json.loads(raw or b"{}")
            with state.lock:
                state.age_seconds = int(settings.get("age_seconds", 0))
            return self.send_bytes(200, b"{}", "application/json")
        if what == "paging" and self.command == "POST":
            settings = json.loads(raw or b"{}")
            with state.lock:
                state.page_sizes = {kind: int(settings[kind]) for kind in ("list_objects", "list_uploads")
                                    if int(settings.get(kind) or 0) > 0}
            return self.send_bytes(200, b"{}", "application/json")
        if what == "faults" and self.command == "DELETE":
            with state.lock:
                state.faults = []
            return self.send_bytes(200, b"{}", "application/json")
        self.send_bytes(404, b'{"error": "unknown control endpoint"}', "application/json")


class ProxyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, args):
        super().__init__(address, Handler)
        upstream = urllib.parse.urlsplit(args.upstream)
        self.upstream_host = upstream.hostname
        self.upstream_port = upstream.port or 80
        self.access_key = args.access_key
        self.secret_key = args.secret_key
        self.region = args.region
        self.verbose = args.verbose
        self.state = ProxyState()
        self.local = threading.local()
        self.stopping = False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="s3rver URL, e.g. http://127.0.0.1:4568")
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    server = ProxyServer((args.host, args.port), args)
    print("s3_proxy listening on http://%s:%d -> %s" % (args.host, args.port, args.upstream), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (setattr(server, "stopping", True),
                                               threading.Thread(target=server.shutdown).start()))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.stopping = True


if __name__ == "__main__":
    main()
