#!/usr/bin/env bash
# BackupBuddy in two minutes, on a fresh Debian 12 machine (root or sudo):
# installs what it needs, builds, starts a throwaway PostgreSQL cluster in a temp folder,
# fills a sample "accounting" database, backs it up into the built-in default store
# (a local folder, ./backups next to the config), lists the backups, restores the newest
# into a new archive database and shows that both hold the same data.
# Nothing outside the temp folder is touched; the cluster is stopped on exit.
# KEEP=1 keeps the temp folder for a look around afterwards.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/pgcluster.sh
. "$ROOT/scripts/lib/pgcluster.sh"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Installing dependencies (skipped quickly when already there)"
"$ROOT/scripts/install-deps.sh"

step "Building BackupBuddy"
if ! BUILD_DIR="${BUILD_DIR:-$ROOT/build}" "$ROOT/scripts/build.sh" >/tmp/backupbuddy-demo-build.log 2>&1; then
  tail -40 /tmp/backupbuddy-demo-build.log >&2
  echo "build failed; full log in /tmp/backupbuddy-demo-build.log" >&2
  exit 1
fi
BB="${BUILD_DIR:-$ROOT/build}/backupbuddy"
echo "binary: $BB"

WORK="$(mktemp -d /tmp/backupbuddy-demo.XXXXXX)"
cleanup() {
  pgc_stop
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

step "Starting a throwaway PostgreSQL 15 cluster in $WORK"
pgc_start "$WORK"
echo "listening on $PGHOST:$PGPORT (user postgres, trust auth, loopback only)"

step "Filling a sample database \"accounting\" (customers, invoices, payments)"
"$PG_BIN/createdb" accounting
pgc_psql accounting <<'SQL'
create table customers (
  id serial primary key,
  name text not null,
  inn char(10) not null unique,
  city text not null,
  email text
);
create table invoices (
  id serial primary key,
  customer_id int not null references customers(id),
  number text not null unique,
  issued date not null,
  amount numeric(12,2) not null,
  vat numeric(12,2) generated always as (round(amount * 20 / 120, 2)) stored,
  status text not null check (status in ('draft', 'sent', 'paid', 'cancelled')),
  details jsonb
);
create index invoices_unpaid on invoices (issued) where status <> 'paid';
create table payments (
  id bigserial primary key,
  invoice_id int not null references invoices(id),
  paid_at timestamptz not null,
  amount numeric(12,2) not null,
  bank_ref text
);
insert into customers (name, inn, city, email)
select (array['ООО «Ромашка»', 'ИП Иванов И. И.', 'АО «Север-Лес»', 'ООО «Бухучёт плюс»',
              'ЗАО «Ёлки-Палки»', 'ООО «Техносервис»', 'ИП Сидорова М. П.', 'ООО «Вектор»'])[1 + g % 8]
       || ' №' || g,
       lpad((7700000000 + g * 7919)::text, 10, '0'),
       (array['Москва', 'Санкт-Петербург', 'Казань', 'Новосибирск', 'Екатеринбург'])[1 + g % 5],
       'client' || g || '@example.ru'
from generate_series(1, 2000) g;
insert into invoices (customer_id, number, issued, amount, status, details)
select 1 + (g * 37) % 2000,
       'СЧ-2024-' || lpad(g::text, 6, '0'),
       date '2024-01-01' + (g % 366),
       round((100 + random() * 250000)::numeric, 2),
       (array['draft', 'sent', 'paid', 'paid', 'cancelled'])[1 + g % 5],
       jsonb_build_object('lines', 1 + g % 9, 'manager', (array['Анна', 'Борис', 'Вера'])[1 + g % 3],
                          'comment', 'Оплата по договору № ' || (g % 300))
from generate_series(1, 30000) g;
insert into payments (invoice_id, paid_at, amount, bank_ref)
select id, issued + time '10:00' + (id % 48) * interval '1 hour', amount, 'ПП-' || id
from invoices where status = 'paid';
analyze;
SQL
pgc_psql accounting -At -c "select 'customers: ' || (select count(*) from customers) ||
  ', invoices: ' || (select count(*) from invoices) || ', payments: ' || (select count(*) from payments) ||
  ', size: ' || pg_size_pretty(pg_database_size('accounting'))"

step "Writing the demo config $WORK/backupbuddy.toml (no [storage]: the default local store ./backups)"
cat >"$WORK/backupbuddy.toml" <<EOF
# BackupBuddy demo config. Without a [storage] section backups go to ./backups.
[postgres]
host = "127.0.0.1"
port = $PGPORT
user = "postgres"

[backup]
state_dir = "$WORK/state"   # lock file; normally /var/lib/backupbuddy

[[databases]]
name = "accounting"

[restore]
target = "{db}_archive"     # restore creates a NEW database with this name
EOF
sed 's/^/    /' "$WORK/backupbuddy.toml"
cd "$WORK"

step "backupbuddy backup   (pg_dump -Fc -Z0 | zstd | SHA-256 -> ./backups)"
"$BB" -c "$WORK/backupbuddy.toml" backup
echo
echo "files in the store:"
(cd "$WORK" && find backups -type f | sort | sed 's/^/    /')

step "backupbuddy list"
"$BB" -c "$WORK/backupbuddy.toml" list
echo
"$BB" -c "$WORK/backupbuddy.toml" list accounting

step "backupbuddy restore accounting   (into a new database; production is never touched)"
"$BB" -c "$WORK/backupbuddy.toml" restore accounting | tee "$WORK/restore.out"
ARCHIVE="$(grep -v '^[[:space:]]*$' "$WORK/restore.out" | tail -1)"
echo "restored into: $ARCHIVE"

step "Comparing source and archive table by table"
checksum() {  # db table -> "rows md5"
  pgc_psql "$1" -At -c "select count(*) || '  ' || md5(coalesce(string_agg(t::text, E'\n' order by t::text collate \"C\"), ''))
                        from $2 t"
}
printf '%-10s  %-44s  %-44s  %s\n' "table" "accounting (rows  md5)" "$ARCHIVE (rows  md5)" "same?"
all_same=1
for table in customers invoices payments; do
  a="$(checksum accounting "$table")"
  b="$(checksum "$ARCHIVE" "$table")"
  if [ "$a" = "$b" ]; then same=yes; else same=NO; all_same=0; fi
  printf '%-10s  %-44s  %-44s  %s\n' "$table" "$a" "$b" "$same"
done
echo
if [ "$all_same" = 1 ]; then
  echo "The archive database \"$ARCHIVE\" holds exactly the data of \"accounting\"."
else
  echo "MISMATCH between source and archive." >&2
  exit 1
fi
step "Done; stopping the throwaway cluster and removing $WORK"
