"""A throwaway PostgreSQL 15 cluster for integration tests (stdlib only).

    with PgCluster() as pg:
        pg.create_db('bad "name" - Ёж')
        fill_fidelity_db(pg, 'bad "name" - Ёж')
        print(pg.table_checksums('bad "name" - Ёж'))

The cluster lives in a temporary directory, listens on a free loopback port only
(plus a Unix socket in its own directory), trusts every local connection and is
stopped with `pg_ctl -m fast stop` when the `with` block ends, also on failure.
When run as root, initdb and pg_ctl run as the `postgres` user (initdb refuses root).
Set BB_KEEP_TMP=1 to keep the data directory after the run for a post-mortem.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

PG_BIN = os.environ.get("BB_PG_BIN", "/usr/lib/postgresql/15/bin")


def free_port():
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quote_ident(name):
    """SQL identifier quoting, as PQescapeIdentifier / quote_ident() do."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text):
    """SQL string literal quoting (standard_conforming_strings = on)."""
    return "'" + text.replace("'", "''") + "'"


def conninfo_value(text):
    """A value for a libpq conninfo string ("dbname='...'")."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class PgError(RuntimeError):
    """A PostgreSQL client program failed; carries its stderr."""


class PgCluster:
    """initdb + pg_ctl in a temp dir on a free loopback port; a context manager."""

    def __init__(self, superuser="postgres", settings=None):
        self.superuser = superuser
        self.host = "127.0.0.1"
        self.port = None
        self.settings = dict(settings or {})
        self.base = None
        self.pgdir = None
        self.datadir = None
        self.logfile = None
        self.as_root = os.geteuid() == 0
        self._started = False

    # ---- life cycle -------------------------------------------------------

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _as_pg_user(self, argv):
        # initdb refuses root; run the server's own programs as postgres then.
        if self.as_root:
            return ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def _run_server_cmd(self, argv, timeout=120):
        proc = subprocess.run(self._as_pg_user(argv), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=timeout,
                              cwd=self.base)
        if proc.returncode != 0:
            raise PgError("%s failed (exit %d):\n%s\n%s\n--- server log ---\n%s" % (
                " ".join(argv), proc.returncode, proc.stdout, proc.stderr, self.log_tail()))
        return proc

    def start(self):
        self.base = tempfile.mkdtemp(prefix="bb-pg-")
        # postgres must be able to traverse the directory when we are root.
        os.chmod(self.base, 0o755)
        self.pgdir = os.path.join(self.base, "pg")
        self.datadir = os.path.join(self.pgdir, "data")
        self.logfile = os.path.join(self.pgdir, "server.log")
        if self.as_root:
            subprocess.run(["install", "-d", "-o", "postgres", "-g", "postgres", "-m", "0700",
                            self.pgdir], check=True)
        else:
            os.makedirs(self.pgdir, mode=0o700)
        self._run_server_cmd([os.path.join(PG_BIN, "initdb"), "-D", self.datadir,
                              "-A", "trust", "-U", self.superuser, "-E", "UTF8",
                              "--locale=C.UTF-8", "--no-sync"])
        last_error = None
        for _attempt in range(5):  # the free port can be taken between probe and start
            self.port = free_port()
            opts = ["-p", str(self.port), "-k", self.pgdir,
                    "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                    "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                    "-c", "max_connections=60"]
            for key, value in self.settings.items():
                opts += ["-c", "%s=%s" % (key, value)]
            try:
                self._run_server_cmd([os.path.join(PG_BIN, "pg_ctl"), "-D", self.datadir,
                                      "-o", " ".join(opts), "-l", self.logfile,
                                      "-w", "-t", "60", "start"])
                self._started = True
                break
            except PgError as e:
                last_error = e
                time.sleep(0.5)
        if not self._started:
            raise last_error
        self._start_watchdog()
        # Wait until it really accepts queries over TCP.
        deadline = time.time() + 30
        while True:
            try:
                self.psql("postgres", "select 1")
                break
            except PgError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)

    def _start_watchdog(self):
        """A helper process that stops the cluster if this process dies without stop()
        (SIGKILL, a CTest timeout): it waits for EOF on a pipe only we hold open."""
        pg_ctl = self._as_pg_user([os.path.join(PG_BIN, "pg_ctl"), "-D", self.datadir,
                                   "-m", "immediate", "-w", "stop"])
        code = (
            "import os, shutil, subprocess, sys\n"
            "sys.stdin.buffer.read()\n"
            "if os.path.exists(sys.argv[1] + '/postmaster.pid'):\n"
            "    subprocess.run(sys.argv[3:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
            "    if not os.environ.get('BB_KEEP_TMP'):\n"
            "        shutil.rmtree(sys.argv[2], ignore_errors=True)\n")
        self._watchdog = subprocess.Popen(
            ["/usr/bin/python3", "-c", code, self.datadir, self.base] + pg_ctl,
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, cwd="/")

    def _stop_watchdog(self):
        dog = getattr(self, "_watchdog", None)
        if dog is not None:
            try:
                dog.stdin.close()
                dog.wait(timeout=30)
            except Exception:
                dog.kill()
            self._watchdog = None

    def stop(self):
        if self._started:
            try:
                self._run_server_cmd([os.path.join(PG_BIN, "pg_ctl"), "-D", self.datadir,
                                      "-m", "fast", "-w", "-t", "60", "stop"])
            except Exception:
                # Last resort: immediate stop, so no server outlives the test run.
                subprocess.run(self._as_pg_user([os.path.join(PG_BIN, "pg_ctl"), "-D",
                                                 self.datadir, "-m", "immediate", "stop"]),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._started = False
        self._stop_watchdog()
        if self.base and not os.environ.get("BB_KEEP_TMP"):
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def log_tail(self, lines=40):
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except (OSError, TypeError):
            return "(no server log)"

    def allow_password_role(self, role, method="scram-sha-256"):
        """Makes TCP logins of `role` require a password (a pg_hba line before trust)."""
        hba = os.path.join(self.datadir, "pg_hba.conf")
        line = "host all %s 127.0.0.1/32 %s\n" % (quote_ident(role), method)
        # The file belongs to postgres and is 0600; root can write it directly.
        with open(hba, encoding="utf-8") as f:
            text = f.read()
        if line not in text:
            with open(hba, "w", encoding="utf-8") as f:
                f.write(line + text)
        self.psql("postgres", "select pg_reload_conf()")
        time.sleep(0.3)

    # ---- clients -----------------------------------------------------------

    def env(self, db=None, user=None, extra=None):
        """Environment for libpq client programs pointed at this cluster."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PG") and k not in ("BACKUPBUDDY_CONFIG",)}
        env.update({"PGHOST": self.host, "PGPORT": str(self.port),
                    "PGUSER": user or self.superuser, "PGCONNECT_TIMEOUT": "10",
                    "PGAPPNAME": "bb-test"})
        if db is not None:
            env["PGDATABASE"] = db  # never parsed as a conninfo string, unlike -d
        if extra:
            env.update(extra)
        return env

    def run_client(self, program, args, db=None, input=None, timeout=600, binary=False,
                   check=True, user=None):
        """Runs a PostgreSQL client program (psql, pg_dump, pg_restore) against the cluster."""
        argv = [os.path.join(PG_BIN, program)] + list(args)
        proc = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=self.env(db, user=user), timeout=timeout, text=not binary)
        if check and proc.returncode != 0:
            err = proc.stderr if not binary else proc.stderr.decode("utf-8", "replace")
            raise PgError("%s %s (db %r) failed with exit %d:\n%s" % (
                program, " ".join(args)[:200], db, proc.returncode, err))
        return proc

    def psql(self, db, sql, timeout=600, user=None):
        """Runs SQL (one or many statements) in db; returns stdout (unaligned, tuples only)."""
        proc = self.run_client("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                        "-f", "-"],
                               db=db, input=sql, timeout=timeout, user=user)
        return proc.stdout

    def query_value(self, db, sql):
        return self.psql(db, sql).strip()

    def databases(self):
        """Names of all databases of the cluster (templates included)."""
        out = self.psql("postgres", "select datname from pg_database order by 1")
        return set(out.splitlines())

    def db_exists(self, name):
        return self.query_value(
            "postgres", "select count(*) from pg_database where datname = %s" % quote_literal(name)) == "1"

    def create_db(self, name, template="template0"):
        self.psql("postgres", "create database %s template %s" % (quote_ident(name), template))

    def drop_db(self, name):
        self.psql("postgres", "drop database if exists %s with (force)" % quote_ident(name))

    def db_comment(self, name):
        return self.query_value(
            "postgres", "select coalesce(shobj_description(oid, 'pg_database'), '') "
                        "from pg_database where datname = %s" % quote_literal(name))

    # ---- comparisons -------------------------------------------------------

    def schema_dump(self, db):
        """pg_dump --schema-only, minus comments and the per-run \\restrict lines."""
        out = self.run_client("pg_dump", ["--schema-only", "--no-password"], db=db).stdout
        kept = []
        for line in out.splitlines():
            if line.startswith("--") or line.startswith("\\restrict") \
                    or line.startswith("\\unrestrict"):
                continue
            kept.append(line)
        # Blank-line runs left behind by dropped comments are not meaningful.
        text = "\n".join(kept)
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
        return text.strip() + "\n"

    def user_tables(self, db, kinds="rm"):
        """(schema, table) of every user table (r) and materialized view (m)."""
        # JSON, so that names with '|' or newlines survive psql's unaligned output.
        js = self.psql(db, """
            select coalesce(json_agg(json_build_array(n.nspname, c.relname) order by n.nspname, c.relname), '[]')
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind::text = any(string_to_array(%s, NULL))
              and n.nspname not in ('pg_catalog', 'information_schema')
              and n.nspname not like 'pg\\_toast%%' and n.nspname not like 'pg\\_temp%%'""" % quote_literal(kinds))
        return [tuple(x) for x in json.loads(js)]

    def table_checksums(self, db):
        """{"schema.table": (row count, md5 over all rows ordered by their text form)}."""
        result = {}
        for schema, table in self.user_tables(db):
            rel = "%s.%s" % (quote_ident(schema), quote_ident(table))
            out = self.query_value(db, (
                "select count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' "
                "order by t::text collate \"C\")), '-') from %s t") % rel)
            count, digest = out.split(" ")
            result["%s.%s" % (schema, table)] = (int(count), digest)
        return result

    def sequence_values(self, db):
        """{"schema.sequence": "last_value/is_called"}: pg_dump --schema-only omits these."""
        js = self.psql(db, """
            select coalesce(json_object_agg(schemaname || '.' || sequencename,
                                            coalesce(last_value::text, 'null')), '{}')
            from pg_sequences""")
        return json.loads(js)

    def large_objects_checksum(self, db):
        """"count md5" over every large object's oid and content."""
        return self.query_value(db, """
            select count(*) || ' ' || coalesce(md5(string_agg(oid::text || ':' || md5(lo_get(oid)),
                                                              ',' order by oid)), '-')
            from pg_largeobject_metadata""")


def fill_fidelity_db(cluster, name, rows=3000):
    """Fills an (empty, existing) database with objects that are hard to round-trip.

    Two schemas plus a Cyrillic one, an enum, a domain, a sequence with a set value,
    identity and generated columns, unique/partial/expression indexes, foreign keys, a
    view and a materialized view, plpgsql and SQL functions, a trigger, a partitioned
    table, comments, grants, large objects, jsonb, arrays, bytea with all 256 byte
    values, text with tabs/newlines/backslashes/"\\N", NaN/Infinity/-0, NULLs, and
    a table whose name needs quotes and doubled quotes (Order Lines "2024").
    """
    cluster.psql("postgres", """
        do $$ begin
          if not exists (select from pg_roles where rolname = 'bb_reader') then
            create role bb_reader nologin;
          end if;
        end $$;""")
    sql = r'''
begin;
create schema sales;
create schema "Склад";
create schema "odd schema";
comment on schema sales is 'Продажи: счета и клиенты';

create type sales.status as enum ('new', 'paid', 'void');
create domain sales.money_amount as numeric(12,2) check (value >= 0);
create sequence sales.invoice_no start 1000 increment 7;

create table sales.customers (
  id bigint generated by default as identity primary key,
  name text not null,
  email text,
  city text,
  created timestamptz not null,
  note text,
  tags text[],
  meta jsonb,
  ip inet,
  ref uuid
);
create unique index customers_email_uniq on sales.customers (lower(email));
comment on table sales.customers is 'Клиенты — с "кавычками" и \обратной чертой';

create table sales.invoices (
  id integer generated always as identity primary key,
  invoice_no bigint not null default nextval('sales.invoice_no'),
  customer_id bigint not null references sales.customers(id),
  status sales.status not null default 'new',
  amount sales.money_amount not null,
  issued date not null,
  paid_at timestamptz,
  payload jsonb,
  code text,
  constraint invoices_no_uniq unique (invoice_no)
);
create index invoices_unpaid on sales.invoices (issued) where paid_at is null;
create index invoices_payload on sales.invoices using gin (payload);

create table sales."Order Lines ""2024""" (
  invoice_id integer not null references sales.invoices(id) on delete cascade,
  line_no integer not null,
  product text not null,
  qty numeric(10,3) not null check (qty > 0),
  price numeric(12,2) not null,
  total numeric generated always as (qty * price) stored,
  primary key (invoice_id, line_no)
);

create table sales.blobs (
  id integer primary key,
  data bytea,
  lo oid,
  weird text,
  f double precision,
  span interval,
  big numeric
);

create table "Склад"."остатки" (
  id serial primary key,
  "товар" text not null,
  "количество" integer,
  "обновлено" timestamp without time zone
);

create table "odd schema".events (
  id bigint not null,
  at timestamptz not null,
  kind text,
  body jsonb
) partition by range (at);
create table "odd schema".events_2023 partition of "odd schema".events
  for values from ('2023-01-01') to ('2024-01-01');
create table "odd schema".events_2024 partition of "odd schema".events
  for values from ('2024-01-01') to ('2025-01-01');

create function sales.normalize_code() returns trigger language plpgsql as $f$
begin
  new.code := upper(new.code);
  return new;
end
$f$;
create trigger invoices_normalize before insert or update on sales.invoices
  for each row execute function sales.normalize_code();

create function sales.invoice_total(inv integer) returns numeric language sql stable as
  $f$ select coalesce(sum(total), 0) from sales."Order Lines ""2024""" where invoice_id = inv $f$;

create view sales.unpaid_invoices as
  select i.id, i.invoice_no, c.name, i.amount, i.issued
  from sales.invoices i join sales.customers c on c.id = i.customer_id
  where i.paid_at is null;

-- data ----------------------------------------------------------------------
insert into sales.customers (name, email, city, created, note, tags, meta, ip, ref)
select (array['Иван Петров', 'Мария Сидорова', 'Ёжик в тумане', 'O''Brien & Sons', 'José Müller',
              'Пётр "Кузьмич"', 'Tab	Name', 'Back\slash Ltd'])[1 + g % 8] || ' #' || g,
       case when g % 11 = 0 then null else 'user' || g || '@example.com' end,
       (array['Москва', 'Санкт-Петербург', 'Berlin', 'Zürich', null])[1 + g % 5],
       timestamptz '2020-01-01 00:00:00+00' + (g * interval '37 minutes 13 seconds'),
       case when g % 3 = 0 then null when g % 3 = 1 then E'line1\nline2\ttab' else '\N' end,
       case when g % 4 = 0 then null else array['vip', 'опт', 'a,b', 'q"q'] end,
       jsonb_build_object('score', g % 100, 'ok', g % 2 = 0, 'name', 'Ёж ' || g,
                          'nested', jsonb_build_object('list', jsonb_build_array(g, g * 1.5, null))),
       ('10.0.' || (g % 250) || '.' || (g % 200) || '/32')::inet,
       md5(g::text)::uuid
from generate_series(1, %(rows)d) g;

insert into sales.invoices (customer_id, status, amount, issued, paid_at, payload, code)
select 1 + (g * 7919) % %(rows)d,
       (array['new', 'paid', 'void'])[1 + g % 3]::sales.status,
       round(((g * 104729) % 100000) / 100.0, 2),
       date '2023-01-01' + (g % 700),
       case when g % 3 = 1 then timestamptz '2023-02-01 12:00+03' + g * interval '1 hour' end,
       case when g % 5 = 0 then null else jsonb_build_object('lines', g % 7, 'memo', 'счёт №' || g) end,
       'inv-' || g
from generate_series(1, %(rows)d) g;

insert into sales."Order Lines ""2024""" (invoice_id, line_no, product, qty, price)
select i.id, l, (array['Бумага А4', 'Ручка', 'Stapler "XL"', 'Кофе'])[1 + (i.id + l) % 4],
       1 + ((i.id * l) % 17) / 4.0, ((i.id * 31 + l * 7) % 5000) / 10.0
from sales.invoices i, generate_series(1, 1 + i.id % 3) l;

insert into sales.blobs (id, data, lo, weird, f, span, big)
select 1, (select decode(string_agg(lpad(to_hex(b), 2, '0'), '' order by b), 'hex')
           from generate_series(0, 255) b),
       lo_from_bytea(0, (select decode(string_agg(lpad(to_hex(b), 2, '0'), '' order by b), 'hex')
                         from generate_series(0, 255) b)),
       E'tab\there\nnewline \\ backslash \'quote\' "dq" \\N',
       'NaN'::float8, interval '1 year 2 mons 3 days 04:05:06.789', 123456789012345678901234567890.123456789
union all
select 2, '\x'::bytea, lo_from_bytea(0, ''), '', 'Infinity'::float8, interval '-1 day', -0.000000001
union all
select 3, null, null, null, '-Infinity'::float8, null, null
union all
select 4, convert_to(repeat('Съешь же ещё этих мягких французских булок. ', 3000), 'UTF8'),
       lo_from_bytea(0, convert_to(repeat('большой объект ', 20000), 'UTF8')),
       '🦔 ёж', '-0'::float8, interval '0', 0
union all
select 5, decode(md5('x'), 'hex'),
       lo_from_bytea(0, (select string_agg(decode(md5(g::text), 'hex'), ''::bytea) from generate_series(1, 5000) g)),
       'ä ö ü ß — «ёлка»', 1e308, interval '100 years', 1e-30;

insert into "Склад"."остатки" ("товар", "количество", "обновлено")
select 'Товар №' || g, case when g % 9 = 0 then null else g * 3 end,
       timestamp '2024-03-01 08:00' + g * interval '5 minutes'
from generate_series(1, %(rows)d / 3) g;

insert into "odd schema".events (id, at, kind, body)
select g, timestamptz '2023-06-01 00:00+00' + g * interval '3 hours',
       (array['login', 'logout', 'оплата'])[1 + g % 3],
       jsonb_build_object('g', g)
from generate_series(1, %(rows)d) g;

select setval('sales.invoice_no', 987654, true);
create sequence "odd schema"."Seq ""Q""" start 5;
select setval('"odd schema"."Seq ""Q"""', 42, false);

create materialized view sales.monthly_totals as
  select date_trunc('month', issued)::date as month, count(*) as n, sum(amount) as total
  from sales.invoices group by 1;
create unique index monthly_totals_month on sales.monthly_totals (month);

grant usage on schema sales to bb_reader;
grant select on sales.customers, sales.unpaid_invoices to bb_reader;
alter table sales.invoices cluster on invoices_pkey;
commit;
analyze;
'''
    cluster.psql(name, sql.replace("%(rows)d", str(int(rows))))
    # A large object comment needs a literal oid.
    lo = cluster.query_value(name, "select lo from sales.blobs where id = 1")
    cluster.psql(name, "comment on large object %s is 'первый большой объект'" % lo)
