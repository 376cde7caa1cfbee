"""The web console end to end: the real `backupbuddy web` over a throwaway PostgreSQL 15
cluster and s3rver behind the SigV4-verifying proxy, driven with http.client.

Covers: hash-password; the API (same JSON as --json), restore and backup jobs to the end,
archives listed and dropped; 401 without credentials, 403 for a viewer who acts; login
throttling (429 + Retry-After); the session cookie (HttpOnly, SameSite=Strict, Secure under
TLS, new id at login, idle expiry); CSRF tokens for cookie requests; security headers;
HTML escaping of a hostile database name; path parameters that are just names; every
action logged with user and address, and no password in any log.

Run: cd tests/integration && BB_BINARY=.../backupbuddy BB_TOOLS_DIR=.../tests/tools \
     /usr/bin/python3 -m unittest -v test_web
"""

import json
import os
import re
import subprocess
import time
import unittest

from bbenv import parse_iso_utc, parse_json_output, run_bb, toml_dumps, write_config
from fixtures import ServersTestCase
from pgenv import free_port
from webenv import WebServer, hash_password

XSS = "<img src=x onerror=alert(1)>"
OPS_PW = "operator pass 1"
VIEW_PW = "viewer-pass-2"
VICTIM_PW = "victim-pass-3"


class WebConsoleTest(ServersTestCase):
    @classmethod
    def fill(cls):
        for db in ("sales", XSS):
            cls.pg.create_db(db)
            cls.pg.psql(db, "create table t(id int); insert into t select generate_series(1, 500);")
        cls.hashes = {u: hash_password(p) for u, p in
                      (("ops", OPS_PW), ("view", VIEW_PW), ("victim", VICTIM_PW))}
        cls.env = {"AWS_ACCESS_KEY_ID": cls.s3.access_key, "AWS_SECRET_ACCESS_KEY": cls.s3.secret_key}
        # A second server's store in the same bucket (prefix web2/), shown by this console
        # through [[web.stores]]; its databases include one named "!runs".
        for db in ("ledger", "!runs"):
            cls.pg.create_db(db)
            cls.pg.psql(db, "create table t(id int); insert into t select generate_series(1, 42);")
        cls.config2 = write_config(os.path.join(cls.tmp, "second.toml"), toml_dumps({
            "postgres": {"host": cls.pg.host, "port": cls.pg.port, "user": cls.pg.superuser},
            "backup": {"state_dir": os.path.join(cls.tmp, "state2"), "timezone": "UTC", "server_name": "second"},
            "databases": [{"name": "ledger"}, {"name": "!runs"}],
        }) + cls.s3.storage_toml(prefix="web2/"))
        proc = run_bb(["backup", "--no-prune", "--json"], cls.config2, env=cls.env, check=0)
        assert all(r["ok"] for r in parse_json_output(proc)["results"]), proc.stdout
        cls.config = cls.write_web_config("bb.toml", free_port())
        proc = run_bb(["backup", "--no-prune", "--json", "sales", XSS], cls.config, env=cls.env, check=0)
        assert all(r["ok"] for r in parse_json_output(proc)["results"]), proc.stdout
        cls.first_results = parse_json_output(proc)["results"]
        cls.web = WebServer(cls.config, os.path.join(cls.tmp, "web.log"), cls.port, env=cls.env)
        cls.addClassCleanup(cls.web.close)

    @classmethod
    def write_web_config(cls, name, port, **web):
        cls.port = port
        section = {"listen": "127.0.0.1:%d" % port}
        section.update(web)
        users = [{"name": "ops", "password_hash": cls.hashes["ops"], "role": "operator"},
                 {"name": "view", "password_hash": cls.hashes["view"], "role": "viewer"},
                 {"name": "victim", "password_hash": cls.hashes["victim"], "role": "viewer"}]
        head = toml_dumps({
            "postgres": {"host": cls.pg.host, "port": cls.pg.port, "user": cls.pg.superuser},
            "backup": {"state_dir": os.path.join(cls.tmp, "state"), "timezone": "UTC", "server_name": "first"},
            "restore": {"target": "{db}_archive"},
            "web": section,
        })
        users_toml = "".join('[[web.users]]\nname = "%s"\npassword_hash = "%s"\nrole = "%s"\n\n'
                             % (u["name"], u["password_hash"], u["role"]) for u in users)
        dbs_toml = toml_dumps({"databases": [{"name": "sales"}, {"name": XSS}]})
        # A channel that cannot deliver (a closed port): the check page shows its state.
        dbs_toml += toml_dumps({"notify": [{"type": "webhook", "url": "http://127.0.0.1:%d/hook" % free_port(),
                                            "on": ["failure"], "tries": 1, "timeout": "1s"}]})
        # Read-only views of other stores: the second server's prefix, and a bucket that does
        # not exist (its section shows the error; the page still renders).
        stores_toml = "".join(
            '[[web.stores]]\nname = "%s"\ntype = "s3"\nendpoint = "%s"\nregion = "%s"\nbucket = "%s"\n'
            'prefix = "%s"\n\n' % (label, cls.s3.endpoint, cls.s3.region, bucket, prefix)
            for label, bucket, prefix in (("second store", cls.s3.bucket, "web2/"),
                                          ("gone", "no-such-bucket-here", "x/")))
        return write_config(os.path.join(cls.tmp, name),
                            head + "\n" + users_toml + stores_toml + cls.s3.storage_toml(prefix="web/") + "\n" + dbs_toml)

    # ---- helpers ------------------------------------------------------------------

    def wait_job(self, job_id, **auth):
        deadline = time.time() + 40
        seen = set()
        while time.time() < deadline:
            status, _, text = self.web.request("GET", "/api/v1/jobs/" + job_id, **auth)
            self.assertEqual(status, 200, text)
            job = json.loads(text)
            seen.add(job["state"])
            if job["state"] in ("done", "failed"):
                return job, seen
            time.sleep(0.2)
        self.fail("job %s did not end" % job_id)

    def page_csrf(self, cookie, path="/"):
        status, _, text = self.web.request("GET", path, cookie=cookie)
        self.assertEqual(status, 200, text[:300])
        return re.search(r'name="csrf" value="([0-9a-f]{32})"', text).group(1)

    # ---- tests --------------------------------------------------------------------

    def test_hash_password_prints_scrypt_hash_and_never_the_password(self):
        proc = run_bb(["hash-password"], None, input="hunter2 secret\n", check=0)
        self.assertRegex(proc.stdout.strip(), r"^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$")
        self.assertNotIn("hunter2", proc.stdout + proc.stderr)
        empty = run_bb(["hash-password"], None, input="", check=2)
        self.assertIn("no password on standard input", empty.stderr)

    def test_api_needs_credentials_and_serves_the_json_of_list(self):
        status, headers, _ = self.web.request("GET", "/api/v1/databases")
        self.assertEqual(status, 401)
        self.assertIn("Basic", headers["www-authenticate"][0])
        status, _, _ = self.web.request("GET", "/api/v1/databases", user="view", password="wrong")
        self.assertEqual(status, 401)
        status, _, text = self.web.request("GET", "/api/v1/databases", user="view", password=VIEW_PW)
        self.assertEqual(status, 200, text)
        cli = parse_json_output(run_bb(["list", "--json"], self.config, env=self.env, check=0))
        self.assertEqual(json.loads(text), cli)
        self.assertEqual(sorted(d["name"] for d in cli["databases"]), sorted(["sales", XSS]))
        status, _, text = self.web.request("GET", "/api/v1/databases/sales/backups", user="view", password=VIEW_PW)
        self.assertEqual(status, 200, text)
        cli = parse_json_output(run_bb(["list", "sales", "--json"], self.config, env=self.env, check=0))
        self.assertEqual(json.loads(text), cli)
        status, _, text = self.web.request("GET", "/metrics", user="view", password=VIEW_PW)
        self.assertEqual(status, 200, text)
        self.assertIn('backupbuddy_backups{database="sales"}', text)
        # A password verified a moment ago (remembered so scripts do not pay scrypt every call)
        # opens only with itself, under its own name: every request is still checked.
        # (Few wrong tries: this console's address allows 20 over the whole class.)
        for user, password, expected in (("view", VIEW_PW + "x", 401), ("ops", VIEW_PW, 401), ("view", VIEW_PW, 200)):
            status, _, text = self.web.request("GET", "/api/v1/databases", user=user, password=password)
            self.assertEqual(status, expected, (user, text))

    def test_viewer_who_acts_gets_403(self):
        auth = {"user": "view", "password": VIEW_PW}
        status, _, text = self.web.request("POST", "/api/v1/restore", body={"database": "sales"}, **auth)
        self.assertEqual(status, 403, text)
        status, _, text = self.web.request("POST", "/api/v1/backup", body={"database": "sales"}, **auth)
        self.assertEqual(status, 403, text)
        status, _, text = self.web.request("DELETE", "/api/v1/archives/sales_archive", **auth)
        self.assertEqual(status, 403, text)
        self.assertIn('"view"', self.web.log())
        self.assertIn("refused: the viewer role may only look", self.web.log())

    def test_restore_job_archives_and_drop_through_the_api(self):
        auth = {"user": "ops", "password": OPS_PW}
        status, headers, text = self.web.request(
            "POST", "/api/v1/restore", body={"database": "sales", "into": "sales_web_copy"}, **auth)
        self.assertEqual(status, 202, text)
        reply = json.loads(text)
        self.assertEqual(reply["state"], "queued")
        self.assertRegex(reply["id"], r"^[0-9a-f]{32}$")
        self.assertEqual(headers["location"][0], "/api/v1/jobs/" + reply["id"])
        job, _ = self.wait_job(reply["id"], **auth)
        self.assertEqual(job["state"], "done", job)
        self.assertEqual(job["result"]["database"], "sales_web_copy")
        self.assertEqual(self.pg.query_value("sales_web_copy", "select count(*) from t"), "500")
        status, _, text = self.web.request("GET", "/api/v1/archives", **auth)
        self.assertIn("sales_web_copy", [a["name"] for a in json.loads(text)["archives"]])
        status, _, text = self.web.request("DELETE", "/api/v1/archives/sales_web_copy", **auth)
        self.assertEqual(status, 200, text)
        self.assertFalse(self.pg.db_exists("sales_web_copy"))
        log = self.web.log()
        self.assertIn('web: "ops" from 127.0.0.1: restore "sales"', log)
        self.assertIn('web: "ops" from 127.0.0.1: drop archive "sales_web_copy"', log)
        # A failing job says why, in words.
        status, _, text = self.web.request("POST", "/api/v1/restore",
                                           body={"database": "sales", "backup": "19990101T000000Z"}, **auth)
        job, _ = self.wait_job(json.loads(text)["id"], **auth)
        self.assertEqual(job["state"], "failed")
        self.assertIn("19990101T000000Z", job["reason"])

    def test_backup_now_through_the_api_needs_no_csrf_with_basic(self):
        auth = {"user": "ops", "password": OPS_PW}
        status, _, text = self.web.request("POST", "/api/v1/backup", body={"database": "sales"}, **auth)
        self.assertEqual(status, 202, text)
        job, _ = self.wait_job(json.loads(text)["id"], **auth)
        self.assertEqual(job["state"], "done", job)
        self.assertTrue(job["result"]["ok"])
        # A form post (what a cross-site page could send) is not accepted by the API.
        status, _, _ = self.web.request("POST", "/api/v1/backup", form={"database": "sales"}, **auth)
        self.assertEqual(status, 415)

    def test_wrong_passwords_are_throttled_per_address_and_user(self):
        for _ in range(5):
            status, _, _ = self.web.request("GET", "/api/v1/databases", user="victim", password="guess")
            self.assertEqual(status, 401)
        status, headers, text = self.web.request("GET", "/api/v1/databases", user="victim", password=VICTIM_PW)
        self.assertEqual(status, 429, text)
        self.assertGreater(int(headers["retry-after"][0]), 0)
        status, _, _ = self.web.post_login("victim", VICTIM_PW)
        self.assertEqual(status, 429)
        # Another user from the same address is not locked out.
        status, _, _ = self.web.request("GET", "/api/v1/databases", user="view", password=VIEW_PW)
        self.assertEqual(status, 200)
        log = self.web.log()
        for secret in ("guess", VICTIM_PW, VIEW_PW, OPS_PW):
            self.assertNotIn(secret, log)
        with open(self.config, encoding="utf-8") as f:
            for secret in (VICTIM_PW, VIEW_PW, OPS_PW):
                self.assertNotIn(secret, f.read())

    def test_login_cookie_and_csrf(self):
        status, _, text = self.web.post_login("ops", "nope")
        self.assertEqual(status, 401)
        self.assertNotIn("nope", text)
        status, headers, _ = self.web.post_login("ops", OPS_PW)
        self.assertEqual(status, 303)
        cookie_header = headers["set-cookie"][0]
        self.assertIn("HttpOnly", cookie_header)
        self.assertIn("SameSite=Strict", cookie_header)
        self.assertNotIn("Secure", cookie_header)  # plain HTTP here; see the TLS test
        first = cookie_header.split(";")[0]
        second = self.web.login("ops", OPS_PW)
        self.assertNotEqual(first, second, "a new session id at every sign-in")
        status, headers, _ = self.web.post_login("ops", OPS_PW, cookie=second)
        third = headers["set-cookie"][0].split(";")[0]
        status, _, _ = self.web.request("GET", "/", cookie=second)
        self.assertEqual(status, 303, "the session signed in over ends")
        cookie = third
        # The cookie alone does not act: API and form posts need the session's CSRF token.
        status, _, text = self.web.request("POST", "/api/v1/backup", body={"database": "sales"}, cookie=cookie)
        self.assertEqual(status, 403, text)
        status, _, _ = self.web.request("POST", "/restore", form={"database": "sales"}, cookie=cookie)
        self.assertEqual(status, 403)
        status, _, _ = self.web.request("DELETE", "/api/v1/archives/x", cookie=cookie)
        self.assertEqual(status, 403)
        csrf = self.page_csrf(cookie)
        status, _, _ = self.web.request("POST", "/restore", form={"database": "sales", "csrf": "0" * 32},
                                        cookie=cookie)
        self.assertEqual(status, 403)
        status, headers, _ = self.web.request("POST", "/restore",
                                              form={"database": "sales", "into": "sales_form", "csrf": csrf},
                                              cookie=cookie)
        self.assertEqual(status, 303)
        job_id = headers["location"][0].rsplit("/", 1)[1]
        job, _ = self.wait_job(job_id, cookie=cookie)
        self.assertEqual(job["state"], "done", job)
        status, _, text = self.web.request("POST", "/api/v1/backup", body={"database": "sales"}, cookie=cookie,
                                           headers={"X-CSRF-Token": csrf})
        self.assertEqual(status, 202, text)
        self.wait_job(json.loads(text)["id"], cookie=cookie)
        self.pg.drop_db("sales_form")
        # Signing out ends the session.
        status, _, _ = self.web.request("POST", "/logout", form={"csrf": csrf}, cookie=cookie)
        self.assertEqual(status, 303)
        status, _, _ = self.web.request("GET", "/api/v1/databases", cookie=cookie)
        self.assertEqual(status, 401)

    def test_security_headers(self):
        for path in ("/login", "/api/v1/databases", "/static/job.js", "/nothing-here"):
            status, headers, _ = self.web.request("GET", path)
            csp = headers["content-security-policy"][0]
            self.assertIn("frame-ancestors 'none'", csp, path)
            self.assertIn("script-src 'self'", csp, path)
            self.assertNotIn("unsafe-inline", csp, path)
            self.assertEqual(headers["x-content-type-options"], ["nosniff"], path)
        status, _, text = self.web.request("GET", "/login")
        self.assertNotRegex(text, r"<script(?![^>]*\bsrc=)", "no inline script")

    def test_hostile_database_name_is_text(self):
        cookie = self.web.login("view", VIEW_PW)
        status, _, text = self.web.request("GET", "/", cookie=cookie)
        self.assertEqual(status, 200)
        self.assertNotIn(XSS, text)
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", text)
        status, _, text = self.web.request("GET", "/databases/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
                                           cookie=cookie)
        self.assertEqual(status, 200)
        self.assertNotIn(XSS, text)
        self.assertIn('<h1 id="db-name">&lt;img src=x onerror=alert(1)&gt;</h1>', text)

    def test_path_parameters_are_just_names(self):
        auth = {"user": "view", "password": VIEW_PW}
        for raw, name in (("a%2F..%2Fsales", "a/../sales"), ("..", ".."), ("sales%00", "sales\x00"),
                          ("..%2Fsales", "../sales")):
            status, _, text = self.web.request("GET", "/api/v1/databases/%s/backups" % raw, **auth)
            self.assertEqual(status, 200, (raw, text))
            body = json.loads(text)
            self.assertEqual(body["database"], name)
            self.assertEqual(body["backups"], [], "no other database's backups for %r" % name)

    def test_session_idle_expiry_and_secure_cookie_under_tls(self):
        cert = os.path.join(self.tmp, "cert.pem")
        key = os.path.join(self.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
        config = self.write_web_config("tls.toml", free_port(), tls_cert_file=cert, tls_key_file=key,
                                       session_idle="2s")
        web = WebServer(config, os.path.join(self.tmp, "web-tls.log"), self.port, env=self.env, tls=True)
        try:
            login_cookie, _ = web.login_token()
            status, headers, _ = web.post_login("view", VIEW_PW)
            self.assertEqual(status, 303)
            self.assertIn("; Secure", headers["set-cookie"][0])
            if login_cookie:
                self.assertIn("; Secure", web.request("GET", "/login")[1]["set-cookie"][0])
            cookie = headers["set-cookie"][0].split(";")[0]
            status, _, _ = web.request("GET", "/api/v1/databases", cookie=cookie)
            self.assertEqual(status, 200)
            time.sleep(3)
            status, _, _ = web.request("GET", "/api/v1/databases", cookie=cookie)
            self.assertEqual(status, 401, "an idle session expires")
        finally:
            web.close()

    # ---- pages and facts: archives, check, verify, dashboard facts (issue 16 part C) ------

    def test_login_form_without_its_token_is_refused(self):
        status, headers, text = self.web.request("GET", "/login")
        self.assertEqual(status, 200)
        login_cookie = [c for c in headers.get("set-cookie", []) if c.startswith("bb_login=")]
        self.assertEqual(len(login_cookie), 1, "the login page sets a pre-session token cookie")
        self.assertIn("HttpOnly", login_cookie[0])
        self.assertIn("SameSite=Strict", login_cookie[0])
        token = re.search(r'name="login_csrf" value="([0-9a-f]{32})"', text).group(1)
        self.assertEqual(login_cookie[0].split(";")[0], "bb_login=" + token)
        # A cross-site form (no cookie, or a token that is not the cookie's) signs nobody in,
        # even with the right password.
        for form, cookie in (({"name": "ops", "password": OPS_PW}, None),
                             ({"name": "ops", "password": OPS_PW, "login_csrf": token}, None),
                             ({"name": "ops", "password": OPS_PW, "login_csrf": "0" * 32}, "bb_login=" + token),
                             ({"name": "ops", "password": OPS_PW}, "bb_login=" + token)):
            status, headers, _ = self.web.request("POST", "/login", form=form, cookie=cookie)
            self.assertEqual(status, 403, form)
            self.assertFalse(any(c.startswith("bb_session=") for c in headers.get("set-cookie", [])))
        status, _, _ = self.web.request("POST", "/login", cookie="bb_login=" + token,
                                        form={"name": "ops", "password": OPS_PW, "login_csrf": token})
        self.assertEqual(status, 303)
        self.assertIn("no valid login token", self.web.log())

    def test_unknown_names_are_throttled_like_known_ones(self):
        # A console of its own: this test exhausts its address's allowance.
        config = self.write_web_config("names.toml", free_port())
        web = WebServer(config, os.path.join(self.tmp, "web-names.log"), self.port, env=self.env)
        self.addCleanup(web.close)

        def answer(user, password="guess"):
            status, headers, text = web.request("GET", "/api/v1/databases", user=user, password=password)
            return status, "retry-after" in headers, json.loads(text)["error"]["kind"]

        # The same name again and again: an unknown name is paused exactly like a known one.
        for name in ("nobody", "victim"):
            for _ in range(5):
                self.assertEqual(answer(name), (401, False, "unauthorized"), name)
            self.assertEqual(answer(name), (429, True, "throttled"), name)
        # A scan of many names, each tried once, is paused too (per address, known or not).
        for i in range(10):
            self.assertEqual(answer("scan-%d" % i), (401, False, "unauthorized"))
        self.assertEqual(answer("scan-last"), (429, True, "throttled"))
        self.assertEqual(answer("ops", OPS_PW), (429, True, "throttled"))
        self.assertEqual(web.post_login("scan-form", "x")[0], 429)
        self.assertNotIn("scan-", web.log(), "names that are no user's stay out of the log")

    def test_behind_a_trusted_proxy_each_client_is_throttled_apart(self):
        # The console of the README's nginx set-up: every request comes from 127.0.0.1.
        config = self.write_web_config("proxy.toml", free_port(), trusted_proxies=["127.0.0.1"])
        web = WebServer(config, os.path.join(self.tmp, "web-proxy.log"), self.port, env=self.env)
        self.addCleanup(web.close)

        def answer(client, user="view", password="guess", **extra):
            headers = {"X-Forwarded-For": client}
            headers.update(extra)
            return web.request("GET", "/api/v1/databases", user=user, password=password, headers=headers)[0]

        # One client guesses until it is paused; it cannot dodge that by writing other
        # addresses to the left of the one the proxy added.
        for i in range(5):
            self.assertEqual(answer("203.0.113.7"), 401)
        self.assertEqual(answer("203.0.113.7"), 429)
        self.assertEqual(answer("10.9.9.%d, 203.0.113.7" % 1), 429)
        # Another client behind the same proxy is not locked out by it.
        self.assertEqual(answer("198.51.100.4", password=VIEW_PW), 200)
        log = web.log()
        self.assertIn("from 203.0.113.7", log)
        self.assertNotIn("10.9.9.1", log)
        # The proxy says the client spoke HTTPS: the session cookie is Secure.
        token_cookie, token = web.login_token()
        status, headers, _ = web.request("POST", "/login", form={"name": "ops", "password": OPS_PW, "login_csrf": token},
                                         cookie=token_cookie, headers={"X-Forwarded-For": "198.51.100.4",
                                                                       "X-Forwarded-Proto": "https"})
        self.assertEqual(status, 303)
        session = [c for c in headers["set-cookie"] if c.startswith("bb_session=")][0]
        self.assertIn("Secure", session)
        # Without trusted_proxies (the class's console) the header is nobody's word.
        status = self.web.request("GET", "/api/v1/databases", user="view", password="wrong",
                                  headers={"X-Forwarded-For": "192.0.2.99"})[0]
        self.assertEqual(status, 401)
        self.assertNotIn("192.0.2.99", self.web.log())

    def test_viewer_cannot_drop_verify_or_run_check(self):
        cookie = self.web.login("view", VIEW_PW)
        csrf = self.page_csrf(cookie)
        for path, form in (("/archives/drop", {"name": "sales_archive", "confirm": "sales_archive"}),
                           ("/verify", {"database": "sales"}), ("/check", {})):
            form["csrf"] = csrf
            status, _, text = self.web.request("POST", path, form=form, cookie=cookie)
            self.assertEqual(status, 403, (path, text[:300]))
        status, _, _ = self.web.request("GET", "/archives/sales_archive/drop", cookie=cookie)
        self.assertEqual(status, 403)
        status, _, text = self.web.request("POST", "/api/v1/verify", body={"database": "sales"},
                                           user="view", password=VIEW_PW)
        self.assertEqual(status, 403, text)
        # The viewer sees the pages, without their buttons.
        status, _, text = self.web.request("GET", "/check", cookie=cookie)
        self.assertEqual(status, 200)
        self.assertNotIn('id="run-check"', text)
        self.assertIn("operator", text)
        status, _, text = self.web.request("GET", "/databases/sales", cookie=cookie)
        self.assertNotIn('id="verify"', text)
        log = self.web.log()
        self.assertIn('"view" from 127.0.0.1: running the check refused', log)
        self.assertIn('"view" from 127.0.0.1: verify refused', log)

    def test_new_forms_need_the_csrf_token(self):
        cookie = self.web.login("ops", OPS_PW)
        for path, form in (("/archives/drop", {"name": "x", "confirm": "x"}), ("/verify", {"database": "sales"}),
                           ("/check", {})):
            status, _, _ = self.web.request("POST", path, form=form, cookie=cookie)
            self.assertEqual(status, 403, path)
            status, _, _ = self.web.request("POST", path, form=dict(form, csrf="0" * 32), cookie=cookie)
            self.assertEqual(status, 403, path)
        status, _, text = self.web.request("POST", "/api/v1/verify", body={"database": "sales"}, cookie=cookie)
        self.assertEqual(status, 403, text)

    def test_verify_job_and_the_dashboard_facts(self):
        auth = {"user": "ops", "password": OPS_PW}
        status, headers, text = self.web.request("POST", "/api/v1/verify", body={"database": "sales"}, **auth)
        self.assertEqual(status, 202, text)
        reply = json.loads(text)
        self.assertEqual(reply["state"], "queued")
        self.assertEqual(headers["location"][0], "/api/v1/jobs/" + reply["id"])
        job, _ = self.wait_job(reply["id"], **auth)
        self.assertEqual(job["state"], "done", job)
        self.assertEqual(job["kind"], "verify")
        self.assertTrue(job["result"]["ok"])
        self.assertEqual((job["result"]["tables"], job["result"]["rows"]), (1, 500))
        # A database without backups fails the job with the reason.
        status, _, text = self.web.request("POST", "/api/v1/verify", body={"database": "nosuchdb"}, **auth)
        job, _ = self.wait_job(json.loads(text)["id"], **auth)
        self.assertEqual(job["state"], "failed")
        self.assertIn("no backups", job["reason"])
        status, _, text = self.web.request("POST", "/api/v1/verify", body={}, **auth)
        self.assertEqual(status, 400, text)
        # The verification is recorded where the API and the dashboard read it.
        sales = [d for d in json.loads(self.web.request("GET", "/api/v1/databases", **auth)[2])["databases"]
                 if d["name"] == "sales"][0]
        self.assertTrue(sales["verify_ok"])
        cookie = self.web.login("view", VIEW_PW)
        status, _, page = self.web.request("GET", "/", cookie=cookie)
        self.assertEqual(status, 200)
        row = re.search(r'<tr class="status-row-\w+"><td[^>]*><span[^>]*></span><a class="db-link" href="/databases/sales">'
                        r'.*?</tr>', page).group(0)
        self.assertRegex(row, r'class="verified">%s \d\d:\d\d ok<' % re.escape(sales["last_verified"][:10]))
        # Next run: the default schedule "0 4 * * *" in [backup] timezone (UTC here).
        self.assertRegex(row, r'class="next-run">\d{4}-\d\d-\d\d 04:00')
        # A size history chart per row: inline SVG with an accessible title, no script.
        self.assertIn('<svg class="chart chart-size"', row)
        self.assertIn("<title>sales: stored size per backup", row)
        # ... and a duration history from the run records in the store (no manifest read).
        self.assertIn('<svg class="chart chart-duration"', row)
        self.assertRegex(row, r'chart-duration.*?<polyline')
        svg = re.search(r"<svg.*?</svg>", row).group(0)
        self.assertNotIn("script", svg)
        self.assertNotIn("style=", svg)
        # The hostile name's chart title is text.
        self.assertIn("<title>&lt;img src=x onerror=alert(1)&gt;: stored size per backup", page)
        # The database page: verification state, size and duration charts.
        status, _, page = self.web.request("GET", "/databases/sales", cookie=cookie)
        self.assertRegex(page, r'id="verification">Last verification: \d{4}-\d\d-\d\d \d\d:\d\d ok<')
        self.assertIn('<svg class="chart chart-size chart-large"', page)
        self.assertIn('<svg class="chart chart-duration chart-large"', page)
        self.assertRegex(page, r'chart-duration.*?<polyline')

    def test_archives_page_drops_only_after_the_name_is_typed(self):
        auth = {"user": "ops", "password": OPS_PW}
        status, _, text = self.web.request("POST", "/api/v1/restore", body={"database": "sales", "into": "sales_page"},
                                           **auth)
        job, _ = self.wait_job(json.loads(text)["id"], **auth)
        self.assertEqual(job["state"], "done", job)
        viewer = self.web.login("view", VIEW_PW)
        status, _, page = self.web.request("GET", "/archives", cookie=viewer)
        self.assertEqual(status, 200)
        self.assertIn('<td data-label="Archive database" class="archive-name">sales_page</td>', page)
        self.assertNotIn("/drop", page)
        ops = self.web.login("ops", OPS_PW)
        status, _, page = self.web.request("GET", "/", cookie=ops)
        self.assertIn('href="/archives"', page, "linked from the navigation")
        status, _, page = self.web.request("GET", "/archives", cookie=ops)
        self.assertIn('href="/archives/sales_page/drop"', page)
        status, _, page = self.web.request("GET", "/archives/sales_page/drop", cookie=ops)
        self.assertEqual(status, 200)
        csrf = re.search(r'name="csrf" value="([0-9a-f]{32})"', page).group(1)
        self.assertIn('id="confirm"', page)
        # One click is not enough: the typed name must match.
        for typed in ("", "sales", "sales_page "):
            status, _, page = self.web.request("POST", "/archives/drop", cookie=ops,
                                               form={"csrf": csrf, "name": "sales_page", "confirm": typed})
            self.assertEqual(status, 400, typed)
            self.assertIn('id="drop-error"', page)
            self.assertTrue(self.pg.db_exists("sales_page"))
        status, headers, _ = self.web.request("POST", "/archives/drop", cookie=ops,
                                              form={"csrf": csrf, "name": "sales_page", "confirm": "sales_page"})
        self.assertEqual(status, 303)
        self.assertEqual(headers["location"][0], "/archives?dropped=sales_page")
        self.assertFalse(self.pg.db_exists("sales_page"))
        self.assertIn('web: "ops" from 127.0.0.1: drop archive "sales_page"', self.web.log())
        # Only BackupBuddy's archives: a production database is refused with the reason.
        status, _, page = self.web.request("POST", "/archives/drop", cookie=ops,
                                           form={"csrf": csrf, "name": "sales", "confirm": "sales"})
        self.assertNotEqual(status, 303)
        self.assertTrue(self.pg.db_exists("sales"))

    def test_check_page_runs_on_post_for_operators(self):
        cookie = self.web.login("ops", OPS_PW)
        status, _, page = self.web.request("GET", "/check", cookie=cookie)
        self.assertEqual(status, 200)
        self.assertNotIn('id="checklist"', page, "GET only offers the check; it does not run it")
        csrf = re.search(r'name="csrf" value="([0-9a-f]{32})"', page).group(1)
        status, _, page = self.web.request("POST", "/check", form={"csrf": csrf}, cookie=cookie)
        self.assertEqual(status, 200, page[:300])
        items = re.findall(r'<li class="check-(ok|failed|warning)"><strong>[^<]*</strong> ([^<]*)', page)
        names = [text.split(":")[0] for _, text in items]
        for name in ("config", "PostgreSQL", "pg_dump", "storage", "state directory"):
            self.assertIn(name, names)
        self.assertEqual([i for i in items if i[0] == "failed"], [])
        # The notification channel's last delivery, as `backupbuddy check` shows it, with advice.
        channel = [i for i in items if i[1].startswith("notify #1: webhook http://127.0.0.1:")]
        self.assertEqual(len(channel), 1, items)
        self.assertRegex(channel[0][1], r": (nothing sent yet|last delivery FAILED)")
        self.assertIn("backupbuddy check --notify", page)
        self.assertIn('id="check-summary" class="ok"', page)
        self.assertNotIn(self.s3.secret_key, page)
        self.assertIn('"ops" from 127.0.0.1: ran the check', self.web.log())

    # ---- a real browser (Debian chromium + chromium-driver + python3-selenium) ---------

    def browser(self):
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError:
            self.skipTest("python3-selenium is not installed (scripts/install-deps.sh)")
        if not os.path.exists("/usr/bin/chromium") or not os.path.exists("/usr/bin/chromedriver"):
            self.skipTest("chromium / chromium-driver are not installed (scripts/install-deps.sh)")
        o = webdriver.ChromeOptions()
        o.binary_location = "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
            o.add_argument(arg)
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=o)
        self.addCleanup(driver.quit)
        return driver

    def screenshot(self, driver, name):
        folder = os.path.join(os.environ.get("BB_BUILD_DIR") or self.tmp, "web-screenshots")
        os.makedirs(folder, exist_ok=True)
        driver.save_screenshot(os.path.join(folder, name))

    @staticmethod
    def finder(driver):
        """find(by, value): the element once the page that has it is loaded (clicks navigate
        asynchronously)."""
        from selenium.webdriver.support.ui import WebDriverWait

        def find(by, value, timeout=15):
            return WebDriverWait(driver, timeout).until(lambda d: d.find_element(by, value))
        return find

    def test_browser_login_dashboard_restore_progress_and_phone_width(self):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
        driver = self.browser()
        base = "http://127.0.0.1:%d" % self.web.port
        find = self.finder(driver)

        driver.get(base + "/")
        self.assertTrue(driver.current_url.endswith("/login"))
        find(By.ID, "name").send_keys("ops")
        find(By.ID, "password").send_keys("wrong")
        find(By.ID, "sign-in").click()
        self.assertIn("Wrong user or password", find(By.ID, "login-error").text)
        find(By.ID, "name").send_keys("ops")
        find(By.ID, "password").send_keys(OPS_PW)
        find(By.ID, "sign-in").click()
        # The dashboard: both databases, the hostile name as text (an alert() would raise
        # UnexpectedAlertPresentException on the next call).
        find(By.ID, "databases")
        links = {a.text: a for a in driver.find_elements(By.CSS_SELECTOR, "a.db-link")}
        self.assertIn(XSS, links)
        self.assertIn("sales", links)
        self.assertEqual(driver.find_elements(By.CSS_SELECTOR, "#databases img"), [])
        self.screenshot(driver, "dashboard.png")
        links[XSS].click()
        self.assertEqual(find(By.ID, "db-name").text, XSS)
        driver.get(base + "/")
        find(By.LINK_TEXT, "sales").click()
        find(By.ID, "backups")
        self.assertGreater(len(driver.find_elements(By.CSS_SELECTOR, "#backups tbody tr")), 0)
        find(By.ID, "into").send_keys("sales_browser")
        find(By.ID, "restore").click()
        job = find(By.ID, "job")
        WebDriverWait(driver, 40).until(lambda d: job.get_attribute("data-state") in ("done", "failed"))
        self.assertEqual(job.get_attribute("data-state"), "done", driver.find_element(By.ID, "job-detail").text)
        self.assertIn("sales_browser", driver.find_element(By.ID, "job-detail").text)
        self.assertEqual(driver.find_element(By.ID, "job-state").text, "done")
        # The row check of the restore, in words.
        self.assertEqual(driver.find_element(By.ID, "row-check").text, "1 tables, 500 rows, all as in the backup")
        self.screenshot(driver, "job-done.png")
        driver.set_window_size(390, 844)  # the same page on a phone (docs/web-phone.png)
        self.screenshot(driver, "job-phone.png")
        driver.set_window_size(1280, 900)
        self.assertTrue(self.pg.db_exists("sales_browser"))
        # Archives: the drop asks for the name to be typed first.
        find(By.ID, "nav-archives").click()
        rows = WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#archives tbody tr"))
        row = [r for r in rows if r.find_element(By.CSS_SELECTOR, ".archive-name").text == "sales_browser"][0]
        self.screenshot(driver, "archives.png")
        row.find_element(By.CSS_SELECTOR, "a.drop-link").click()
        self.assertEqual(find(By.ID, "drop-name").text, "sales_browser")
        find(By.ID, "confirm").send_keys("sales_brows")
        find(By.ID, "drop-confirm").click()
        self.assertIn("not the archive's name", find(By.ID, "drop-error").text)
        self.assertTrue(self.pg.db_exists("sales_browser"))
        find(By.ID, "confirm").send_keys("sales_browser")
        self.screenshot(driver, "archive-drop-confirm.png")
        find(By.ID, "drop-confirm").click()
        self.assertIn("sales_browser", find(By.ID, "dropped").text)
        self.assertFalse(self.pg.db_exists("sales_browser"))
        # The check, run with its button.
        find(By.ID, "nav-check").click()
        find(By.ID, "run-check").click()
        checklist = find(By.ID, "checklist", timeout=60)
        self.assertGreaterEqual(len(checklist.find_elements(By.CSS_SELECTOR, "li.check-ok")), 4)
        self.assertEqual(checklist.find_elements(By.CSS_SELECTOR, "li.check-failed"), [])
        self.screenshot(driver, "check.png")
        # Verify from the database page, to the end of its job.
        driver.get(base + "/databases/sales")
        find(By.ID, "history")
        self.screenshot(driver, "database.png")
        find(By.ID, "verify").click()
        job = find(By.ID, "job")
        self.assertEqual(job.get_attribute("data-kind"), "verify")
        WebDriverWait(driver, 40).until(lambda d: job.get_attribute("data-state") in ("done", "failed"))
        self.assertEqual(job.get_attribute("data-state"), "done", driver.find_element(By.ID, "job-detail").text)
        self.assertRegex(driver.find_element(By.ID, "job-detail").text, r"^backup \d{8}T\d{6}Z: 1 tables, 500 rows, intact$")
        self.screenshot(driver, "verify-job.png")
        # The dashboard's facts: a history chart per database, the verification just made.
        driver.get(base + "/")
        self.assertGreaterEqual(len(driver.find_elements(By.CSS_SELECTOR, "#databases svg.chart-size")), 2)
        sales_row = driver.find_element(By.LINK_TEXT, "sales").find_element(By.XPATH, "./ancestor::tr")
        self.assertRegex(sales_row.find_element(By.CSS_SELECTOR, "td.verified").text, r"^\d{4}-\d\d-\d\d \d\d:\d\d ok$")
        self.screenshot(driver, "dashboard-facts.png")
        # Phone width: no sideways scrolling, the table turns into labelled rows.
        driver.set_window_size(390, 844)
        driver.get(base + "/")
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        self.assertLessEqual(overflow, 0)
        self.screenshot(driver, "dashboard-phone.png")
        # No script error and no Content-Security-Policy violation on any page.
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"
                  and "favicon" not in e["message"] and "401" not in e["message"]
                  and "/archives/drop - Failed to load resource: the server responded with a status of 400"
                  not in e["message"]]  # the mistyped name above
        self.assertEqual(severe, [])

    # ---- many servers, one view: run records and [[web.stores]] -------------------------

    def run_records(self, prefix):
        """{key: record} of every run record under prefix (read with aws, not BackupBuddy)."""
        out = {}
        for key in self.s3.list_keys(prefix):
            path = self.s3.fetch(key, os.path.join(self.tmp, "record.json"))
            with open(path, encoding="utf-8") as f:
                out[key] = json.load(f)
        return out

    def test_every_run_leaves_its_record_in_the_store(self):
        records = self.run_records("web/!runs/first/")
        self.assertTrue(records, self.s3.list_keys("web/"))
        for key in records:
            self.assertRegex(key, r"^web/!runs/first/\d{8}T\d{6}\.\d{3}Z\.json$")
        first = records[sorted(records)[0]]
        self.assertEqual(first["format"], "backupbuddy-run")
        self.assertEqual(first["format_version"], 1)
        self.assertEqual(first["server"], "first")
        self.assertEqual(first["command"], "backup")
        self.assertTrue(first["ok"])
        self.assertEqual((first["databases"], first["backed_up"]), (2, 2))
        self.assertTrue(first["tool_version"])
        self.assertLessEqual(parse_iso_utc(first["started_at"]), parse_iso_utc(first["finished_at"]))
        by_db = {r["database"]: r for r in first["results"]}
        self.assertEqual(set(by_db), {"sales", XSS})
        for r in self.first_results:
            self.assertEqual(by_db[r["database"]]["id"], r["id"])
            self.assertEqual(by_db[r["database"]]["stored_bytes"], r["stored_bytes"])
            self.assertGreater(by_db[r["database"]]["dump_bytes"], 0)
        # The second server's records are in its own prefix, under its own name.
        second = self.run_records("web2/!runs/")
        self.assertTrue(second)
        self.assertTrue(all(k.startswith("web2/!runs/second/") for k in second), list(second))

    def test_a_failing_run_record_says_which_database_failed_and_why(self):
        proc = run_bb(["backup", "--no-prune", "sales", "no_such_db"], self.config, env=self.env, check=1)
        self.assertIn("no_such_db", proc.stderr)
        records = self.run_records("web/!runs/first/")
        newest = records[sorted(records)[-1]]
        self.assertFalse(newest["ok"])
        self.assertEqual((newest["databases"], newest["backed_up"]), (2, 1))
        failed = [r for r in newest["results"] if not r["ok"]]
        self.assertEqual([r["database"] for r in failed], ["no_such_db"])
        self.assertTrue(failed[0]["database_missing"])
        self.assertIn("does not exist", failed[0]["error"])
        # The console lists it with its outcome and serves its report.
        auth = {"user": "view", "password": VIEW_PW}
        status, _, text = self.web.request("GET", "/api/v1/runs", **auth)
        self.assertEqual(status, 200, text)
        run = json.loads(text)["runs"][0]
        self.assertEqual((run["server"], run["ok"], run["backed_up"], run["databases"]), ("first", False, 1, 2))
        self.assertEqual(run["failed"][0]["database"], "no_such_db")
        status, _, text = self.web.request("GET", run["href"], **auth)
        self.assertEqual(status, 200, text)
        one = json.loads(text)
        self.assertEqual(one["format"], "backupbuddy-run")
        self.assertIn("no_such_db", one["report"])
        cookie = self.web.login("view", VIEW_PW)
        status, _, text = self.web.request("GET", "/runs", cookie=cookie)
        self.assertEqual(status, 200, text[:300])
        self.assertIn("1 of 2 databases backed up", text)
        status, _, text = self.web.request("GET", run["href"][len("/api/v1"):], cookie=cookie)
        self.assertEqual(status, 200, text[:300])
        self.assertIn("no_such_db", text)
        self.assertIn('id="run-report"', text)
        status, _, _ = self.web.request("GET", "/api/v1/runs/first/20200101T000000.000Z", **auth)
        self.assertEqual(status, 404)

    def test_a_server_keeps_its_newest_hundred_run_records(self):
        prefix = "web2/!runs/second/"
        existing = self.run_records(prefix)
        template = existing[sorted(existing)[0]]
        # Older runs, as if this server had run for months (aws writes them, not BackupBuddy).
        seeds = os.path.join(self.tmp, "seeds")
        os.makedirs(seeds)
        seeded = []
        for i in range(100 - len(existing)):
            run_id = "20200101T%02d%02d00.000Z" % (i // 60, i % 60)
            body = dict(template, id=run_id, started_at="2020-01-01T00:00:00Z", finished_at="2020-01-01T00:00:01Z")
            with open(os.path.join(seeds, run_id + ".json"), "w", encoding="utf-8") as f:
                json.dump(body, f)
            seeded.append(prefix + run_id + ".json")
        with open(os.path.join(seeds, "notes.json"), "w", encoding="utf-8") as f:
            f.write("{}")
        self.s3.aws("s3", "cp", "--recursive", seeds, "s3://%s/%s" % (self.s3.bucket, prefix))
        self.assertEqual(len(self.s3.list_keys(prefix)), 101)  # 100 records + notes.json
        run_bb(["backup", "--no-prune", "ledger"], self.config2, env=self.env, check=0)  # run 101
        keys = self.s3.list_keys(prefix)
        records = [k for k in keys if k != prefix + "notes.json"]
        self.assertEqual(len(records), 100)
        self.assertIn(prefix + "notes.json", keys, "only run records are ever deleted")
        self.assertNotIn(seeded[0], keys, "the oldest record goes")
        self.assertIn(seeded[1], keys)
        self.s3.aws("s3", "rm", "s3://%s/%snotes.json" % (self.s3.bucket, prefix))

    def test_a_database_named_runs_backs_up_and_restores(self):
        listing = parse_json_output(run_bb(["list", "--json"], self.config2, env=self.env, check=0))
        self.assertEqual(sorted(d["name"] for d in listing["databases"]), ["!runs", "ledger"])
        self.assertEqual(listing["unrecognized_objects"], 0)
        self.assertTrue(any(k.startswith("web2/%21runs/") for k in self.s3.list_keys("web2/")))
        # The run records beside it name it as one database among others.
        records = self.run_records("web2/!runs/")
        self.assertTrue(records, "no run records under web2/!runs/")
        first = records[sorted(records)[0]]
        by_db = {r["database"]: r for r in first["results"]}
        newest = {d["name"]: d["newest_id"] for d in listing["databases"]}
        self.assertTrue(by_db["!runs"]["ok"])
        self.assertEqual(by_db["!runs"]["id"], newest["!runs"])
        run_bb(["restore", "!runs", "--into", "runs_copy"], self.config2, env=self.env, check=0)
        try:
            self.assertEqual(self.pg.query_value("runs_copy", "select count(*) from t"), "42")
        finally:
            self.pg.drop_db("runs_copy")
        # Pruning the store keeps every run record.
        before = self.s3.list_keys("web2/!runs/")
        run_bb(["prune"], self.config2, env=self.env, check=0)
        self.assertEqual(self.s3.list_keys("web2/!runs/"), before)

    def test_console_shows_the_other_stores_databases_and_last_runs(self):
        other_before = self.s3.list_objects("web2/")
        cookie = self.web.login("view", VIEW_PW)
        status, _, text = self.web.request("GET", "/", cookie=cookie)
        self.assertEqual(status, 200, text[:300])
        self.assertIn('id="last-runs"', text)
        self.assertIn("Store: second store", text)
        for name in ("ledger", "!runs"):
            self.assertIn(">%s<" % name, text)
        self.assertIn(">second<", text)  # the second server's last run
        self.assertIn("Store: gone", text)
        self.assertIn("store-error", text)
        self.assertIn("no-such-bucket-here", text)
        self.assertNotIn(self.s3.secret_key, text)
        self.assertNotIn(XSS, text)  # this store's hostile name is escaped everywhere
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", text)
        status, _, text = self.web.request("GET", "/api/v1/stores", user="view", password=VIEW_PW)
        self.assertEqual(status, 200, text)
        stores = {s["name"]: s for s in json.loads(text)["stores"]}
        self.assertEqual(set(stores), {"second store", "gone"})
        second = stores["second store"]
        self.assertIsNone(second["error"])
        self.assertEqual(sorted(d["name"] for d in second["databases"]), ["!runs", "ledger"])
        self.assertEqual([r["server"] for r in second["last_runs"]], ["second"])
        self.assertTrue(second["last_runs"][0]["ok"])
        self.assertIn("no-such-bucket-here", stores["gone"]["error"])
        self.assertEqual(stores["gone"]["databases"], [])
        self.assertNotIn(self.s3.secret_key, text)
        # Reading other stores never writes or deletes there.
        self.assertEqual(self.s3.list_objects("web2/"), other_before)

    def test_browser_run_history_and_other_stores(self):
        from selenium.webdriver.common.by import By
        driver = self.browser()
        find = self.finder(driver)
        driver.get("http://127.0.0.1:%d/login" % self.web.port)
        find(By.ID, "name").send_keys("view")
        find(By.ID, "password").send_keys(VIEW_PW)
        find(By.ID, "sign-in").click()
        find(By.ID, "last-runs")
        sections = driver.find_elements(By.CSS_SELECTOR, "section.store")
        self.assertEqual(len(sections), 2)
        self.assertIn("ledger", sections[0].text)
        self.assertIn("second", sections[0].text)
        self.assertTrue(sections[1].find_elements(By.CSS_SELECTOR, ".store-error"))
        self.screenshot(driver, "dashboard-stores.png")
        find(By.ID, "all-runs").click()
        find(By.ID, "runs")
        self.screenshot(driver, "runs.png")
        driver.find_elements(By.CSS_SELECTOR, "#runs a.run-link")[-1].click()  # the oldest: sales and XSS
        report = find(By.ID, "run-report").text
        self.assertIn("sales", report)
        cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#run-results td")]
        self.assertIn(XSS, cells)
        self.assertEqual(driver.find_elements(By.CSS_SELECTOR, "main img"), [])
        self.screenshot(driver, "run.png")
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
        self.assertEqual(severe, [])


if __name__ == "__main__":
    unittest.main()
