-- Realistic benchmark data for BackupBuddy: orders with mixed text, numbers,
-- timestamps, jsonb and a little bytea, plus two indexes. Unlike pgbench's filler
-- (which compresses ~100x) this compresses about 3-5x with zstd, like business data.
--
-- Run once per database with psql, then call bench_fill(rows) until the size is right
-- (bench/gen_data.sh does that for a target size in MB):
--   psql -v ON_ERROR_STOP=1 -f bench/gen_data.sql
--   psql -c "select bench_fill(100000)"

create table if not exists bench_vocab (id int primary key, word text not null);
insert into bench_vocab (id, word)
select row_number() over () - 1, w from unnest(string_to_array(
  'invoice payment delivery customer supplier warehouse contract order return discount ' ||
  'shipment pallet container freight customs declaration balance ledger account credit ' ||
  'debit transfer refund receipt voucher quarter annual report audit approval manager ' ||
  'director accountant department branch office region north south east west central ' ||
  'urgent pending confirmed cancelled delayed partial complete draft archived reviewed ' ||
  'paper pens staplers coffee tea water chairs desks monitors laptops cables printers ' ||
  'toner labels boxes tape gloves masks cleaning service repair maintenance license ' ||
  'subscription hosting consulting training software hardware network security backup ' ||
  'счёт оплата доставка клиент поставщик склад договор заказ возврат скидка отгрузка ' ||
  'поддон контейнер таможня декларация баланс проводка кредит дебет перевод квитанция ' ||
  'квартал отчёт аудит утверждение менеджер директор бухгалтер отдел филиал регион ' ||
  'срочно ожидание подтверждено отменено задержка частично выполнено черновик архив ' ||
  'бумага ручки кофе чай вода стулья столы мониторы ноутбуки кабели принтеры картриджи ' ||
  'Москва Казань Новосибирск Екатеринбург Самара Омск Ростов Уфа Пермь Воронеж Berlin ' ||
  'Hamburg Munich Vienna Zurich Prague Warsaw Riga Tallinn Vilnius Helsinki Oslo ' ||
  'the of and to in for on with at by from as is was be are this that it not or have ' ||
  'и в не на с по за из от до для при как что это был быть так уже или ещё только',
  ' ')) as w
on conflict do nothing;

create table if not exists bench_orders (
  id bigint primary key,
  created_at timestamptz not null,
  customer text not null,
  city text,
  status text not null,
  quantity integer not null,
  unit_price numeric(12,2) not null,
  total numeric(14,2) not null,
  description text,
  attrs jsonb,
  signature bytea
);

-- Appends `rows` random orders; returns the new row count.
create or replace function bench_fill(rows integer) returns bigint language plpgsql as $$
declare
  words text[] := array(select word from bench_vocab order by id);
  n integer := array_length(words, 1);
  start bigint := coalesce((select max(id) from bench_orders), 0);
  tpl text[] := array[
    'Оплата по счёту №%s за %s от %s',
    'Invoice %s: %s delivered on %s',
    'Отгрузка по договору %s, товар: %s, дата %s',
    'Возврат товара (%s) — причина: %s, акт от %s',
    'Payment received, ref %s, item %s, value date %s',
    'Предоплата 50%% по заказу %s (%s), срок до %s',
    'Order %s for %s shipped from warehouse on %s',
    'Счёт-фактура %s, номенклатура: %s, период %s',
    'Credit note %s issued for %s on %s',
    'Акт сверки №%s с контрагентом %s на %s',
    'Transfer %s: %s moved between branches on %s',
    'Поставка %s: %s, ожидаемая дата %s'];
begin
  insert into bench_orders
  select start + g,
         -- increasing with the id, whole seconds, with jitter
         timestamptz '2021-01-01 00:00:00+00' + (start + g) * interval '20 s'
           + (random() * 600)::int * interval '1 s',
         -- a pool of ~20,000 recurring customers, as in a real ledger
         words[1 + (g * 7 + start) % n] || ' ' || words[1 + ((g * 13 + start) / 7) % n]
           || ' ' || (1000 + (random() * 20000)::int),
         words[1 + (random() * (n - 1))::int],
         (array['new', 'paid', 'shipped', 'cancelled', 'returned'])[1 + (random() * 4)::int],
         q, p, q * p,
         -- a templated business phrase plus a few free words, like real order notes
         format(tpl[1 + (random() * (array_length(tpl, 1) - 1))::int],
                (10000 + (random() * 900000)::int)::text,
                words[1 + (random() * random() * (n - 1))::int],
                (date '2021-01-01' + (random() * 1400)::int)::text)
           || ' ' || (select coalesce(string_agg(words[1 + (random() * random() * (n - 1))::int], ' '), '')
                      from generate_series(1, (random() * 8)::int + g * 0)),  -- g: once per row
         jsonb_build_object(
           'sku', upper(substr(md5(random()::text), 1, 10)),
           'weight_kg', round((random() * 120)::numeric, 3),
           'priority', (random() * 5)::int,
           'tags', jsonb_build_array(words[1 + (random() * (n - 1))::int],
                                     words[1 + (random() * (n - 1))::int]),
           'approved', random() < 0.7,
           'manager', words[1 + (random() * (n - 1))::int]),
         case when random() < 0.5 then null
              else decode(md5(random()::text) || md5(random()::text), 'hex') end
  from (select g, 1 + (random() * 40)::int as q, round((random() * 5000)::numeric, 2) as p
        from generate_series(1, rows) g) s;
  return start + rows;
end
$$;

create index if not exists bench_orders_created on bench_orders (created_at);
create index if not exists bench_orders_customer on bench_orders (customer);
