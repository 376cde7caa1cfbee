"""A running `backupbuddy web` for tests: started on a free port with its log in a file,
stopped (SIGTERM, then SIGKILL) by close(); and a small HTTP client (http.client) that
keeps no cookies of its own, so each test says exactly what it sends.
"""

import base64
import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import time
import urllib.parse

from bbenv import bb_argv, clean_env, run_bb
from pgenv import free_port


def hash_password(password, config_path=None):
    """`backupbuddy hash-password` with the password on stdin; returns the hash."""
    proc = run_bb(["hash-password"], config_path, input=password + "\n", check=0)
    return proc.stdout.strip()


class WebServer:
    def __init__(self, config_path, log_path, port, env=None, tls=False):
        self.port = port
        self.tls = tls
        self.log_path = log_path
        self._log = open(log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(bb_argv(["web"], config_path), stdout=self._log, stderr=self._log,
                                     env=clean_env(env))
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("web exited %s:\n%s" % (self.proc.returncode, self.log()))
            if "web console on" in self.log():
                return
            time.sleep(0.05)
        raise AssertionError("web did not start:\n" + self.log())

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    # ---- requests ----------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, user=None, password=None, cookie=None,
                form=None):
        """Returns (status, headers as a lower-cased dict of lists, body text)."""
        if self.tls:
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30,
                                               context=ssl._create_unverified_context())
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = dict(headers or {})
        if user is not None:
            token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
            headers["Authorization"] = "Basic " + token
        if cookie:
            headers["Cookie"] = cookie
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        got = {}
        for k, v in resp.getheaders():
            got.setdefault(k.lower(), []).append(v)
        conn.close()
        return resp.status, got, text

    def login_token(self):
        """The login form's pre-session CSRF token: ("bb_login=..." cookie pair, form field value),
        or (None, None) from a console that sets none."""
        _, headers, text = self.request("GET", "/login")
        found = re.search(r'name="login_csrf" value="([0-9a-f]{32})"', text)
        cookies = [c.split(";")[0] for c in headers.get("set-cookie", []) if c.startswith("bb_login=")]
        if not found or not cookies:
            return None, None
        return cookies[0], found.group(1)

    def post_login(self, user, password, cookie=None):
        """POST /login as the login page's form does (with its token); returns request()'s triple."""
        login_cookie, token = self.login_token()
        form = {"name": user, "password": password}
        if token:
            form["login_csrf"] = token
        cookies = "; ".join(c for c in (login_cookie, cookie) if c)
        return self.request("POST", "/login", form=form, cookie=cookies or None)

    def login(self, user, password):
        """Signs in through the login form; returns the "bb_session=..." cookie pair."""
        status, headers, text = self.post_login(user, password)
        if status != 303:
            raise AssertionError("login as %s: %s %s" % (user, status, text[:300]))
        return [c for c in headers["set-cookie"] if c.startswith("bb_session=")][0].split(";")[0]
