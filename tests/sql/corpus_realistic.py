"""Second, independent lineage corpus: realistic statements as data teams run them.

Written by hand, separately from ``corpus.py``, from the SQL-lineage contract
in the README: dbt-style models, incremental MERGE, Snowflake loading and
unloading, Postgres upserts and psql scripts, session changes, placeholders,
comments and quoting the way Airflow tasks really send them.  Same record
shape as ``corpus.py`` (from ``cases.py``); loaded by path by the tests and the
benchmark, so it imports nothing else from the test suite.
"""

from __future__ import annotations

from tests.sql.cases import PG, SF, new_corpus

CASES, case = new_corpus()


# =========================================================================== dbt-style models
case(
    "dbt-staging-model-sf",
    "dbt",
    SF,
    """
with source as (

    select * from raw.stripe.payments

),

renamed as (

    select
        id as payment_id,
        orderid as order_id,
        paymentmethod as payment_method,
        -- amount is stored in cents, convert it to dollars
        amount / 100 as amount,
        created::date as created_at
    from source

)

select * from renamed
""",
    ["raw.stripe.payments"],
)

case(
    "dbt-table-model-sf",
    "dbt",
    SF,
    """
/* {"app": "dbt", "dbt_version": "1.7.4", "node_id": "model.jaffle.fct_orders"} */
create or replace transient table analytics.dbt_prod.fct_orders
    copy grants
as (
with orders as (
    select * from analytics.dbt_prod.stg_orders
),
payments as (
    select * from analytics.dbt_prod.stg_payments
),
order_payments as (
    select
        order_id,
        sum(case when payment_method = 'credit_card' then amount else 0 end) as credit_card_amount,
        sum(amount) as total_amount
    from payments
    group by order_id
),
final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.order_date,
        orders.status,
        order_payments.credit_card_amount,
        order_payments.total_amount as amount
    from orders
    left join order_payments
        on orders.order_id = order_payments.order_id
)
select * from final
);
""",
    ["analytics.dbt_prod.stg_orders", "analytics.dbt_prod.stg_payments"],
    ["analytics.dbt_prod.fct_orders"],
)

case(
    "dbt-incremental-tmp-sf",
    "dbt",
    SF,
    """
create or replace temporary view analytics.dbt.fct_events__dbt_tmp as (
    select
        e.event_id,
        e.user_id,
        e.event_ts,
        e.payload
    from analytics.raw.events e
    where e.event_ts > (select coalesce(max(event_ts), '1900-01-01'::timestamp) from analytics.dbt.fct_events)
);
""",
    ["analytics.raw.events", "analytics.dbt.fct_events"],
    ["analytics.dbt.fct_events__dbt_tmp"],
)

case(
    "dbt-incremental-merge-sf",
    "dbt",
    SF,
    """
merge into analytics.dbt.fct_events as DBT_INTERNAL_DEST
    using analytics.dbt.fct_events__dbt_tmp as DBT_INTERNAL_SOURCE
    on (
        DBT_INTERNAL_SOURCE.event_id = DBT_INTERNAL_DEST.event_id
    )
when matched then update set
    "EVENT_ID" = DBT_INTERNAL_SOURCE."EVENT_ID","USER_ID" = DBT_INTERNAL_SOURCE."USER_ID","PAYLOAD" = DBT_INTERNAL_SOURCE."PAYLOAD"
when not matched then insert
    ("EVENT_ID", "USER_ID", "PAYLOAD")
values
    ("EVENT_ID", "USER_ID", "PAYLOAD")
""",
    ["analytics.dbt.fct_events__dbt_tmp"],
    ["analytics.dbt.fct_events"],
)

case(
    "dbt-delete-insert-sf",
    "dbt",
    SF,
    """
begin;
delete from analytics.dbt.fct_sessions
    where (
        session_id) in (
        select (session_id)
        from analytics.dbt.fct_sessions__dbt_tmp
    );

insert into analytics.dbt.fct_sessions ("SESSION_ID", "STARTED_AT", "ENDED_AT")
(
    select "SESSION_ID", "STARTED_AT", "ENDED_AT"
    from analytics.dbt.fct_sessions__dbt_tmp
);
commit;
""",
    ["analytics.dbt.fct_sessions__dbt_tmp"],
    ["analytics.dbt.fct_sessions"],
)

case(
    "dbt-view-model-pg",
    "dbt",
    PG,
    """
create view "warehouse"."dbt_staging"."stg_customers__dbt_tmp" as (
    with source as (
        select * from "warehouse"."raw"."customers"
    ),
    renamed as (
        select id as customer_id, first_name, last_name from source
    )
    select * from renamed
);
""",
    ["warehouse.raw.customers"],
    ["warehouse.dbt_staging.stg_customers__dbt_tmp"],
)

case(
    "dbt-rename-swap-pg",
    "dbt",
    PG,
    """
begin;
alter table "warehouse"."marts"."dim_customers" rename to "dim_customers__dbt_backup";
alter table "warehouse"."marts"."dim_customers__dbt_tmp" rename to "dim_customers";
commit;
drop table if exists "warehouse"."marts"."dim_customers__dbt_backup" cascade;
""",
    ["warehouse.marts.dim_customers", "warehouse.marts.dim_customers__dbt_tmp"],
    ["warehouse.marts.dim_customers__dbt_backup", "warehouse.marts.dim_customers"],
)

case(
    "dbt-snapshot-merge-sf",
    "dbt",
    SF,
    """
merge into "ANALYTICS"."SNAPSHOTS"."ORDERS_SNAPSHOT" as DBT_INTERNAL_DEST
using "ANALYTICS"."SNAPSHOTS"."ORDERS_SNAPSHOT__dbt_tmp" as DBT_INTERNAL_SOURCE
on DBT_INTERNAL_SOURCE.dbt_scd_id = DBT_INTERNAL_DEST.dbt_scd_id
when matched
 and DBT_INTERNAL_DEST.dbt_valid_to is null
 and DBT_INTERNAL_SOURCE.dbt_change_type in ('update', 'delete')
    then update
    set dbt_valid_to = DBT_INTERNAL_SOURCE.dbt_valid_to
when not matched
 and DBT_INTERNAL_SOURCE.dbt_change_type = 'insert'
    then insert ("ID", "STATUS", "DBT_SCD_ID", "DBT_VALID_FROM", "DBT_VALID_TO")
    values ("ID", "STATUS", "DBT_SCD_ID", "DBT_VALID_FROM", "DBT_VALID_TO")
;
""",
    ['ANALYTICS.SNAPSHOTS."ORDERS_SNAPSHOT__dbt_tmp"'],
    ["ANALYTICS.SNAPSHOTS.ORDERS_SNAPSHOT"],
)

case(
    "dbt-ephemeral-chain-pg",
    "dbt",
    PG,
    """
with __dbt__cte__int_orders as (
    select o.*, c.region
    from staging.orders o
    join staging.customers c using (customer_id)
), __dbt__cte__int_orders_enriched as (
    select *, row_number() over (partition by customer_id order by order_date) as order_seq
    from __dbt__cte__int_orders
)
select region, count(*) filter (where order_seq = 1) as first_orders
from __dbt__cte__int_orders_enriched
group by region
""",
    ["staging.orders", "staging.customers"],
)

case(
    "dbt-ctas-union-all-sf",
    "dbt",
    SF,
    """
CREATE OR REPLACE TABLE MART.ALL_EVENTS AS
SELECT 'web' AS source, event_id, ts FROM RAW.WEB_EVENTS
UNION ALL
SELECT 'ios' AS source, event_id, ts FROM RAW.IOS_EVENTS
UNION ALL
SELECT 'android', event_id, ts FROM RAW.ANDROID_EVENTS WHERE ts >= DATEADD(day, -30, CURRENT_DATE())
""",
    ["RAW.WEB_EVENTS", "RAW.IOS_EVENTS", "RAW.ANDROID_EVENTS"],
    ["MART.ALL_EVENTS"],
)

case(
    "dbt-utils-date-spine-pg",
    "dbt",
    PG,
    """
with rawdata as (
    select row_number() over (order by 1) - 1 as generated_number
    from generate_series(1, 400)
),
all_periods as (
    select ('2020-01-01'::date + (interval '1 day' * generated_number))::date as date_day
    from rawdata
)
select date_day from all_periods where date_day < '2021-01-01'::date
""",
    [],
)

# =========================================================================== MERGE
case(
    "merge-subqueries-in-on-when-sf",
    "merge",
    SF,
    """
MERGE INTO dw.dim_customer t
USING (
    SELECT *
    FROM staging.customer_updates
    QUALIFY ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY updated_at DESC) = 1
) s
ON t.customer_id = s.customer_id
   AND t.region IN (SELECT region FROM ref.active_regions)
WHEN MATCHED AND EXISTS (SELECT 1 FROM staging.deleted_customers d WHERE d.customer_id = s.customer_id) THEN DELETE
WHEN MATCHED THEN UPDATE SET
    t.name = s.name,
    t.tier = (SELECT tier FROM ref.tiers WHERE ref.tiers.code = s.tier_code)
WHEN NOT MATCHED THEN INSERT (customer_id, name) VALUES (s.customer_id, s.name)
""",
    ["staging.customer_updates", "ref.active_regions", "staging.deleted_customers", "ref.tiers"],
    ["dw.dim_customer"],
)

case(
    "merge-cte-source-pg",
    "merge",
    PG,
    """
WITH latest AS (
    SELECT DISTINCT ON (sku) sku, price, updated_at
    FROM staging.price_feed
    ORDER BY sku, updated_at DESC
)
MERGE INTO catalog.prices AS p
USING latest AS l
ON p.sku = l.sku
WHEN MATCHED AND p.price <> l.price THEN
    UPDATE SET price = l.price, updated_at = l.updated_at
WHEN NOT MATCHED THEN
    INSERT (sku, price, updated_at) VALUES (l.sku, l.price, l.updated_at)
""",
    ["staging.price_feed"],
    ["catalog.prices"],
)

case(
    "merge-union-source-sf",
    "merge",
    SF,
    """
merge into crm.contacts tgt
using (
    select id, email, 'hubspot' as src from raw.hubspot_contacts
    union all
    select id, email, 'salesforce' from raw.sf_contacts
) src
on tgt.id = src.id and tgt.src = src.src
when matched then update set email = src.email
when not matched then insert (id, email, src) values (src.id, src.email, src.src)
""",
    ["raw.hubspot_contacts", "raw.sf_contacts"],
    ["crm.contacts"],
)

case(
    "merge-placeholders-pg",
    "merge",
    PG,
    """
MERGE INTO inventory i
USING (SELECT %(sku)s::text AS sku, %(qty)s::int AS qty) AS v
ON i.sku = v.sku
WHEN MATCHED THEN UPDATE SET qty = i.qty + v.qty
WHEN NOT MATCHED THEN INSERT (sku, qty) VALUES (v.sku, v.qty)
""",
    [],
    ["inventory"],
)

case(
    "merge-target-in-source-sf",
    "merge",
    SF,
    """
MERGE INTO mart.balances b
USING (
    SELECT a.account_id, SUM(t.amount) AS delta
    FROM raw.transactions t
    JOIN mart.balances a ON a.account_id = t.account_id
    WHERE t.loaded_at > a.updated_at
    GROUP BY 1
) d ON b.account_id = d.account_id
WHEN MATCHED THEN UPDATE SET b.balance = b.balance + d.delta, b.updated_at = CURRENT_TIMESTAMP()
""",
    ["raw.transactions", "mart.balances"],
    ["mart.balances"],
)

case(
    "merge-values-source-sf",
    "merge",
    SF,
    """
MERGE INTO etl.watermarks w
USING (SELECT 'orders' AS tbl, '2024-03-01 00:00:00'::timestamp_ntz AS hw) s
ON w.tbl = s.tbl
WHEN MATCHED THEN UPDATE SET w.hw = s.hw
WHEN NOT MATCHED THEN INSERT (tbl, hw) VALUES (s.tbl, s.hw)
""",
    [],
    ["etl.watermarks"],
)

# =========================================================================== COPY (Snowflake)
case(
    "copy-stage-path-pattern-sf",
    "copy",
    SF,
    """
COPY INTO raw.public.events
FROM @raw.public.s3_stage/events/2024/01/
FILE_FORMAT = (FORMAT_NAME = 'raw.public.json_fmt')
PATTERN = '.*events_[0-9]+[.]json[.]gz'
ON_ERROR = 'CONTINUE'
""",
    [],
    ["raw.public.events"],
)

case(
    "copy-transform-named-args-sf",
    "copy",
    SF,
    """
copy into RAW.LOADS.ORDERS (ID, AMOUNT, LOADED_AT)
from (
    select t.$1:id::number, t.$1:amount::float, current_timestamp()
    from @RAW.LOADS.ORDERS_STAGE (file_format => 'RAW.LOADS.PARQUET_FMT', pattern => '.*[.]parquet') t
)
match_by_column_name = none
""",
    [],
    ["RAW.LOADS.ORDERS"],
)

case(
    "copy-unload-join-sf",
    "copy",
    SF,
    """
COPY INTO @export_stage/daily/orders_
FROM (
    SELECT o.*, c.segment
    FROM analytics.orders o
    JOIN analytics.customers c ON c.id = o.customer_id
    WHERE o.order_date = CURRENT_DATE - 1
)
FILE_FORMAT = (TYPE = PARQUET)
HEADER = TRUE OVERWRITE = TRUE SINGLE = FALSE MAX_FILE_SIZE = 268435456
""",
    ["analytics.orders", "analytics.customers"],
)

case(
    "copy-files-list-sf",
    "copy",
    SF,
    "COPY INTO staging.customers FROM @%customers FILES = ('customers_1.csv', 'customers_2.csv') "
    "FILE_FORMAT = (TYPE = CSV SKIP_HEADER = 1 FIELD_OPTIONALLY_ENCLOSED_BY = '\"') PURGE = TRUE",
    [],
    ["staging.customers"],
)

case(
    "copy-gcs-integration-sf",
    "copy",
    SF,
    "COPY INTO raw.gcs_orders FROM 'gcs://acme-bucket/orders/' STORAGE_INTEGRATION = gcs_int "
    "FILE_FORMAT = (TYPE = 'CSV' COMPRESSION = 'GZIP')",
    [],
    ["raw.gcs_orders"],
)

case(
    "copy-quoted-stage-sf",
    "copy",
    SF,
    'COPY INTO "RAW"."PUBLIC"."Events" FROM @"RAW"."PUBLIC"."EVENTS_STAGE"/2024/ FILE_FORMAT = (TYPE = JSON) '
    "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE",
    [],
    ['RAW.PUBLIC."Events"'],
)

case(
    "copy-unload-url-table-sf",
    "copy",
    SF,
    "COPY INTO 's3://acme-exports/finance/' FROM finance.gl_entries STORAGE_INTEGRATION = s3_int "
    "FILE_FORMAT = (TYPE = PARQUET) HEADER = TRUE",
    ["finance.gl_entries"],
    [],
)

case(
    "copy-unload-object-construct-sf",
    "copy",
    SF,
    "copy into @my_stage/result/data_ from (select object_construct(*) from mytable where ds = '2024-05-01') "
    "file_format = (type = json)",
    ["mytable"],
    [],
)

case(
    "copy-validation-mode-sf",
    "copy",
    SF,
    "COPY INTO raw.t FROM @raw.stg/part/ FILE_FORMAT = (FORMAT_NAME = raw.csv_fmt) VALIDATION_MODE = RETURN_ERRORS",
    [],
    ["raw.t"],
)

case(
    "copy-then-merge-script-sf",
    "copy",
    SF,
    """
USE SCHEMA LANDING.SALESFORCE;
CREATE TEMPORARY TABLE ACCOUNT_LOAD LIKE ACCOUNT;
COPY INTO ACCOUNT_LOAD FROM @SF_STAGE/account/ FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE;
MERGE INTO ACCOUNT a USING ACCOUNT_LOAD l ON a.ID = l.ID
  WHEN MATCHED THEN UPDATE SET a.NAME = l.NAME
  WHEN NOT MATCHED THEN INSERT (ID, NAME) VALUES (l.ID, l.NAME);
""",
    ["LANDING.SALESFORCE.ACCOUNT", "LANDING.SALESFORCE.ACCOUNT_LOAD"],
    ["LANDING.SALESFORCE.ACCOUNT_LOAD", "LANDING.SALESFORCE.ACCOUNT"],
)

# =========================================================================== COPY (Postgres)
case(
    "pg-copy-csv-header",
    "copy",
    PG,
    "COPY public.imports FROM '/data/imports.csv' DELIMITER ',' CSV HEADER;",
    [],
    ["public.imports"],
)
case(
    "pg-copy-cols-stdin",
    "copy",
    PG,
    "COPY staging.events(id,kind,payload) FROM STDIN WITH (FORMAT csv, HEADER true)",
    [],
    ["staging.events"],
)
case(
    "pg-copy-query-stdout",
    "copy",
    PG,
    """
COPY (
    SELECT u.id, u.email, count(o.id) AS orders
    FROM users u
    LEFT JOIN orders o ON o.user_id = u.id
    WHERE u.created_at >= now() - interval '30 days'
    GROUP BY 1, 2
) TO STDOUT WITH (FORMAT csv, HEADER)
""",
    ["users", "orders"],
)
case(
    "pg-copy-table-to-file",
    "copy",
    PG,
    "COPY reports.monthly TO '/tmp/monthly.csv' WITH CSV HEADER",
    ["reports.monthly"],
)
case(
    "pg-psql-copy-query",
    "copy",
    PG,
    "\\copy (select * from reports.weekly where week = '2024-01-01') to '/tmp/weekly.csv' with csv header",
    ["reports.weekly"],
)
case(
    "pg-psql-copy-from",
    "copy",
    PG,
    "\\copy public.imports from '/data/imports.csv' with (format csv)",
    [],
    ["public.imports"],
)
case(
    "pg-psql-script",
    "copy",
    PG,
    """
\\set ON_ERROR_STOP on
\\timing
BEGIN;
TRUNCATE staging.products;
\\copy staging.products (sku, name, price) FROM 'products.csv' WITH (FORMAT csv, HEADER)
INSERT INTO public.products SELECT * FROM staging.products ON CONFLICT (sku) DO UPDATE SET price = EXCLUDED.price;
COMMIT;
""",
    ["staging.products"],
    ["staging.products", "public.products"],
)

# =========================================================================== INSERT ALL / FIRST
case(
    "insert-all-when-cols-sf",
    "insert_all",
    SF,
    """
INSERT ALL
  WHEN order_total >= 1000 THEN
    INTO mart.big_orders (order_id, total) VALUES (order_id, order_total)
  WHEN order_total < 1000 THEN
    INTO mart.small_orders (order_id, total) VALUES (order_id, order_total)
  ELSE
    INTO mart.other_orders
SELECT o.order_id, SUM(l.amount) AS order_total
FROM raw.orders o
JOIN raw.order_lines l ON l.order_id = o.order_id
GROUP BY o.order_id
""",
    ["raw.orders", "raw.order_lines"],
    ["mart.big_orders", "mart.small_orders", "mart.other_orders"],
)

case(
    "insert-first-sf",
    "insert_all",
    SF,
    """
insert first
  when country = 'US' then into sales_us
  when country in ('DE', 'FR') then into sales_eu
  else into sales_row
select * from staging.sales where sale_date = '2024-06-01'
""",
    ["staging.sales"],
    ["sales_us", "sales_eu", "sales_row"],
)

case(
    "insert-overwrite-all-cte-sf",
    "insert_all",
    SF,
    """
INSERT OVERWRITE ALL
  INTO audit.log_a (id) VALUES (id)
  INTO audit.log_b (id) VALUES (id)
WITH src AS (SELECT id FROM raw.audit WHERE ts > DATEADD(hour, -1, CURRENT_TIMESTAMP()))
SELECT id FROM src
""",
    ["raw.audit"],
    ["audit.log_a", "audit.log_b"],
)

# =========================================================================== CREATE ... AS / CLONE / LIKE
case(
    "ctas-temp-qualify-sf",
    "create",
    SF,
    """
CREATE OR REPLACE TEMPORARY TABLE tmp_latest_orders AS
SELECT *
FROM raw.orders
QUALIFY ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY _loaded_at DESC) = 1
""",
    ["raw.orders"],
    ["tmp_latest_orders"],
)

case(
    "ctas-transient-cols-cluster-sf",
    "create",
    SF,
    """
create or replace transient table mart.daily_revenue (day date, revenue number(38,2))
cluster by (day)
as
select date_trunc('day', ordered_at)::date, sum(amount)
from mart.orders
group by 1
""",
    ["mart.orders"],
    ["mart.daily_revenue"],
)

case(
    "clone-at-offset-sf",
    "create",
    SF,
    "CREATE OR REPLACE TABLE analytics.orders_backup CLONE analytics.orders AT (OFFSET => -3600)",
    ["analytics.orders"],
    ["analytics.orders_backup"],
)
case(
    "clone-before-statement-sf",
    "create",
    SF,
    "CREATE TABLE restore.orders CLONE analytics.orders BEFORE (STATEMENT => '01a2b3c4-0000-1234-0000-000000000001')",
    ["analytics.orders"],
    ["restore.orders"],
)
case(
    "clone-timestamp-fn-sf",
    "create",
    SF,
    "create transient table if not exists dev.t clone prod.t at(timestamp => to_timestamp_ltz('2024-01-01 00:00:00'))",
    ["prod.t"],
    ["dev.t"],
)
case("clone-schema-no-lineage-sf", "create", SF, "CREATE OR REPLACE SCHEMA dev_raw CLONE raw", [])
case(
    "like-sf",
    "create",
    SF,
    "CREATE TABLE IF NOT EXISTS analytics.orders_stage LIKE analytics.orders",
    ["analytics.orders"],
    ["analytics.orders_stage"],
)
case(
    "like-including-all-pg",
    "create",
    PG,
    "CREATE TABLE IF NOT EXISTS staging.orders_load (LIKE public.orders INCLUDING ALL)",
    ["public.orders"],
    ["staging.orders_load"],
)
case(
    "like-temp-on-commit-pg",
    "create",
    PG,
    "CREATE TEMP TABLE tmp_orders (LIKE orders INCLUDING DEFAULTS EXCLUDING INDEXES) ON COMMIT DROP",
    ["orders"],
    ["tmp_orders"],
)
case(
    "ctas-with-no-data-pg",
    "create",
    PG,
    "CREATE TABLE archive.events_empty AS TABLE public.events WITH NO DATA",
    ["public.events"],
    ["archive.events_empty"],
)
case(
    "ctas-cte-pg",
    "create",
    PG,
    """
CREATE TABLE reporting.customer_ltv AS
WITH first_orders AS (
    SELECT customer_id, min(created_at) AS first_order_at FROM public.orders GROUP BY customer_id
)
SELECT c.id, c.email, f.first_order_at,
       (SELECT sum(total) FROM public.orders o WHERE o.customer_id = c.id) AS ltv
FROM public.customers c
JOIN first_orders f ON f.customer_id = c.id
""",
    ["public.orders", "public.customers"],
    ["reporting.customer_ltv"],
)
case(
    "create-mv-pg",
    "create",
    PG,
    """
CREATE MATERIALIZED VIEW IF NOT EXISTS analytics.mv_daily_signups
TABLESPACE pg_default
AS
SELECT date_trunc('day', created_at) AS day, count(*) AS signups
FROM public.users
GROUP BY 1
WITH DATA
""",
    ["public.users"],
    ["analytics.mv_daily_signups"],
)
case(
    "create-view-union-pg",
    "create",
    PG,
    "CREATE OR REPLACE VIEW public.v_all_payments AS SELECT id, amount FROM billing.card_payments "
    "UNION ALL SELECT id, amount FROM billing.bank_payments",
    ["billing.card_payments", "billing.bank_payments"],
    ["public.v_all_payments"],
)
case(
    "create-table-plain-pg",
    "create",
    PG,
    """
CREATE TABLE IF NOT EXISTS public.audit_log (
    id bigserial PRIMARY KEY,
    table_name text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    user_id int REFERENCES public.users (id) ON DELETE SET NULL,
    payload jsonb DEFAULT '{}'::jsonb
)
""",
    [],
    ["public.audit_log"],
)
case(
    "create-table-plain-sf",
    "create",
    SF,
    """
CREATE TABLE IF NOT EXISTS RAW.PUBLIC.EVENTS (
    EVENT_ID VARCHAR(36) NOT NULL,
    PAYLOAD VARIANT,
    LOADED_AT TIMESTAMP_LTZ DEFAULT CURRENT_TIMESTAMP(),
    CONSTRAINT PK_EVENTS PRIMARY KEY (EVENT_ID)
) DATA_RETENTION_TIME_IN_DAYS = 7 COMMENT = 'raw events from segment'
""",
    [],
    ["RAW.PUBLIC.EVENTS"],
)
case(
    "create-secure-view-sf",
    "create",
    SF,
    """
create or replace secure view share.v_customers copy grants comment = 'shared to partner' as
select id, region from mart.customers where region = 'EU'
""",
    ["mart.customers"],
    ["share.v_customers"],
)
case(
    "create-dynamic-table-sf",
    "create",
    SF,
    """
CREATE OR REPLACE DYNAMIC TABLE mart.orders_enriched
  TARGET_LAG = '5 minutes'
  WAREHOUSE = transform_wh
  REFRESH_MODE = INCREMENTAL
AS
SELECT o.*, c.segment FROM raw.orders o LEFT JOIN raw.customers c ON c.id = o.customer_id
""",
    ["raw.orders", "raw.customers"],
    ["mart.orders_enriched"],
)
case(
    "create-mv-sf",
    "create",
    SF,
    "CREATE OR REPLACE MATERIALIZED VIEW mart.mv_sales CLUSTER BY (region) AS "
    "SELECT region, SUM(amount) AS total FROM mart.sales GROUP BY region",
    ["mart.sales"],
    ["mart.mv_sales"],
)
case(
    "create-view-columns-comments-sf",
    "create",
    SF,
    "CREATE VIEW rpt.v (id COMMENT 'identifier', name) AS SELECT id, name FROM rpt.base",
    ["rpt.base"],
    ["rpt.v"],
)
case(
    "create-temp-view-pg",
    "create",
    PG,
    "CREATE TEMP VIEW recent AS SELECT * FROM events WHERE ts > now() - interval '1 hour'",
    ["events"],
    ["recent"],
)
case(
    "create-partition-pg",
    "create",
    PG,
    "CREATE TABLE IF NOT EXISTS public.events_2024_06 PARTITION OF public.events "
    "FOR VALUES FROM ('2024-06-01') TO ('2024-07-01')",
    [],
    ["public.events_2024_06"],
)
case(
    "create-table-inherits-pg",
    "create",
    PG,
    "CREATE TABLE measurements_y2024 (CHECK (logdate >= DATE '2024-01-01')) INHERITS (measurements)",
    [],
    ["measurements_y2024"],
)
case(
    "create-or-alter-table-sf",
    "create",
    SF,
    "CREATE OR ALTER TABLE mart.dim_date (date_key INT, d DATE)",
    [],
    ["mart.dim_date"],
)

# =========================================================================== SELECT shapes
case(
    "lateral-flatten-qualify-sf",
    "select",
    SF,
    """
SELECT e.id, f.value:sku::string AS sku, f.index
FROM raw.events e,
LATERAL FLATTEN(input => e.payload:items, outer => true) f
WHERE e.type = 'purchase'
QUALIFY ROW_NUMBER() OVER (PARTITION BY e.id, f.index ORDER BY e.ts DESC) = 1
""",
    ["raw.events"],
)
case(
    "double-flatten-sf",
    "select",
    SF,
    "SELECT t.id, a.value, b.value FROM raw.docs t, LATERAL FLATTEN(t.v:arr) a, LATERAL FLATTEN(a.value:sub) b",
    ["raw.docs"],
)
case(
    "pivot-any-sf",
    "select",
    SF,
    """
SELECT *
FROM (SELECT region, quarter, amount FROM mart.sales) s
PIVOT (SUM(amount) FOR quarter IN (ANY ORDER BY quarter)) AS p
ORDER BY region
""",
    ["mart.sales"],
)
case(
    "pivot-list-join-sf",
    "select",
    SF,
    """
SELECT p.*, r.manager
FROM mart.quarterly PIVOT(SUM(amount) FOR q IN ('Q1', 'Q2', 'Q3', 'Q4')) AS p (region, q1, q2, q3, q4)
JOIN ref.regions r ON r.region = p.region
""",
    ["mart.quarterly", "ref.regions"],
)
case(
    "unpivot-include-nulls-sf",
    "select",
    SF,
    "SELECT * FROM sales.monthly UNPIVOT INCLUDE NULLS (amount FOR month IN (jan, feb, mar)) ORDER BY empid",
    ["sales.monthly"],
)
case(
    "window-named-pg",
    "select",
    PG,
    """
SELECT user_id,
       sum(amount) OVER w AS running_total,
       lag(amount) OVER (PARTITION BY user_id ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS prev
FROM payments
WINDOW w AS (PARTITION BY user_id ORDER BY ts)
ORDER BY user_id, ts
""",
    ["payments"],
)
case(
    "connect-by-sf",
    "select",
    SF,
    """
SELECT employee_id, manager_id, LEVEL
FROM hr.employees
START WITH manager_id IS NULL
CONNECT BY PRIOR employee_id = manager_id
""",
    ["hr.employees"],
)
case(
    "asof-join-sf",
    "select",
    SF,
    "SELECT t.*, q.bid FROM market.trades t ASOF JOIN market.quotes q MATCH_CONDITION (t.ts >= q.ts) ON t.sym = q.sym",
    ["market.trades", "market.quotes"],
)
case(
    "time-travel-changes-sf",
    "select",
    SF,
    "SELECT * FROM raw.orders CHANGES (INFORMATION => APPEND_ONLY) AT (TIMESTAMP => DATEADD(hour, -1, CURRENT_TIMESTAMP()))",
    ["raw.orders"],
)
case(
    "sample-rows-sf",
    "select",
    SF,
    "SELECT * FROM raw.clicks SAMPLE (1000 ROWS) WHERE ds = '2024-01-01'",
    ["raw.clicks"],
)
case(
    "information-schema-sf",
    "select",
    SF,
    "SELECT table_name, row_count FROM analytics.information_schema.tables WHERE table_schema = 'MART'",
    ["analytics.information_schema.tables"],
)
case(
    "account-usage-sf",
    "select",
    SF,
    """
select query_id, warehouse_name, total_elapsed_time
from snowflake.account_usage.query_history
where start_time > dateadd('day', -1, current_timestamp())
  and query_text ilike '%insert into mart.%'
""",
    ["snowflake.account_usage.query_history"],
)
case(
    "table-fn-query-history-sf",
    "select",
    SF,
    "SELECT * FROM TABLE(analytics.INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 100)) ORDER BY start_time",
    [],
)
case(
    "match-recognize-sf",
    "select",
    SF,
    """
SELECT * FROM market.prices
MATCH_RECOGNIZE (
  PARTITION BY sym ORDER BY ts
  MEASURES FIRST(ts) AS start_ts, LAST(ts) AS end_ts
  ONE ROW PER MATCH
  PATTERN (down+ up+)
  DEFINE down AS price < LAG(price), up AS price > LAG(price)
) mr
""",
    ["market.prices"],
)
case(
    "lateral-subquery-pg",
    "select",
    PG,
    """
SELECT u.id, latest.ts
FROM users u
CROSS JOIN LATERAL (
    SELECT l.ts FROM logins l WHERE l.user_id = u.id ORDER BY l.ts DESC LIMIT 1
) AS latest
""",
    ["users", "logins"],
)
case(
    "generate-series-join-pg",
    "select",
    PG,
    """
SELECT d::date AS day, count(o.id)
FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS d
LEFT JOIN orders o ON o.created_at::date = d::date
GROUP BY 1 ORDER BY 1
""",
    ["orders"],
)
case(
    "unnest-ordinality-lateral-pg",
    "select",
    PG,
    "SELECT a.id, u.tag, u.pos FROM articles a LEFT JOIN LATERAL unnest(a.tags) WITH ORDINALITY AS u(tag, pos) ON true",
    ["articles"],
)
case(
    "jsonb-to-recordset-pg",
    "select",
    PG,
    "SELECT r.* FROM api_payloads p, jsonb_to_recordset(p.body->'items') AS r(id int, name text) WHERE p.id = $1",
    ["api_payloads"],
)
case(
    "json-each-pg",
    "select",
    PG,
    "SELECT c.name, kv.key, kv.value FROM configs c, json_each(c.settings) kv",
    ["configs"],
)
case(
    "jsonb-array-elements-text-pg",
    "select",
    PG,
    "SELECT e.value::text FROM events ev CROSS JOIN jsonb_array_elements_text(ev.data->'tags') e",
    ["events"],
)
case(
    "recursive-cte-pg",
    "select",
    PG,
    """
WITH RECURSIVE subordinates AS (
    SELECT employee_id, manager_id, full_name FROM hr.employees WHERE employee_id = 2
    UNION
    SELECT e.employee_id, e.manager_id, e.full_name
    FROM hr.employees e
    INNER JOIN subordinates s ON s.employee_id = e.manager_id
)
SELECT * FROM subordinates
""",
    ["hr.employees"],
)
case(
    "recursive-cte-values-pg",
    "select",
    PG,
    "WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM t WHERE n < 100) SELECT sum(n) FROM t",
    [],
)
case(
    "recursive-cte-sf",
    "select",
    SF,
    """
WITH RECURSIVE org (id, parent_id, lvl) AS (
    SELECT id, parent_id, 1 FROM ref.org_units WHERE parent_id IS NULL
    UNION ALL
    SELECT u.id, u.parent_id, o.lvl + 1 FROM ref.org_units u JOIN org o ON u.parent_id = o.id
)
SELECT * FROM org
""",
    ["ref.org_units"],
)
case(
    "cte-shadows-table-pg",
    "select",
    PG,
    """
WITH orders AS (
    SELECT * FROM orders WHERE deleted_at IS NULL
)
SELECT customer_id, count(*) FROM orders GROUP BY 1
""",
    ["orders"],
)
case(
    "cte-shadows-qualified-sf",
    "select",
    SF,
    "WITH orders AS (SELECT * FROM raw.orders WHERE NOT is_deleted) SELECT * FROM orders o JOIN customers c ON c.id = o.cid",
    ["raw.orders", "customers"],
)
case(
    "cte-in-where-subquery-sf",
    "select",
    SF,
    """
SELECT * FROM mart.customers
WHERE id IN (
    WITH recent AS (SELECT customer_id FROM mart.orders WHERE order_date > CURRENT_DATE - 30)
    SELECT customer_id FROM recent
)
""",
    ["mart.customers", "mart.orders"],
)
case(
    "cte-in-derived-table-pg",
    "select",
    PG,
    """
SELECT x.region, y.cnt
FROM (
    WITH base AS (SELECT region, amount FROM sales.orders)
    SELECT region, sum(amount) AS total FROM base GROUP BY region
) AS x
JOIN (SELECT region, count(*) AS cnt FROM sales.stores GROUP BY region) AS y USING (region)
""",
    ["sales.orders", "sales.stores"],
)
case(
    "cte-name-reused-after-derived-pg",
    "select",
    PG,
    """
SELECT * FROM (WITH base AS (SELECT * FROM a1) SELECT * FROM base) q
JOIN base ON base.id = q.id
""",
    ["a1", "base"],
)
case(
    "nested-derived-three-levels-sf",
    "select",
    SF,
    """
SELECT * FROM (
  SELECT * FROM (
    SELECT * FROM (
      SELECT id, amount FROM raw.payments WHERE amount > 0
    ) p1
  ) p2 WHERE p2.id IN (SELECT id FROM raw.valid_ids)
) p3
""",
    ["raw.payments", "raw.valid_ids"],
)
case(
    "functions-with-from-pg",
    "select",
    PG,
    """
SELECT EXTRACT(YEAR FROM o.created_at) AS yr,
       TRIM(BOTH ' ' FROM c.name) AS name,
       SUBSTRING(c.phone FROM 1 FOR 3) AS area,
       OVERLAY(c.card PLACING '****' FROM 1 FOR 12) AS masked,
       POSITION('@' IN c.email) AS at_pos,
       date_part('month', o.created_at)
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.created_at > now() - INTERVAL '90 days'
  AND o.tags && ARRAY['vip', 'b2b']::text[]
""",
    ["orders", "customers"],
)
case(
    "functions-with-from-sf",
    "select",
    SF,
    "SELECT EXTRACT(year FROM ts), TRIM(name), SUBSTRING(code, 1, 3), POSITION('x' IN code) FROM ref.codes",
    ["ref.codes"],
)
case(
    "column-qualifiers-pg",
    "select",
    PG,
    "SELECT public.users.id, public.users.email FROM public.users WHERE public.users.active",
    ["public.users"],
)
case(
    "column-qualifiers-3-part-sf",
    "select",
    SF,
    "SELECT analytics.mart.orders.id, o2.id FROM analytics.mart.orders JOIN analytics.mart.orders_v2 o2 "
    "ON analytics.mart.orders.id = o2.id",
    ["analytics.mart.orders", "analytics.mart.orders_v2"],
)
case(
    "exists-nested-pg",
    "select",
    PG,
    """
SELECT a.* FROM accounts a
WHERE EXISTS (
    SELECT 1 FROM subscriptions s
    WHERE s.account_id = a.id AND s.plan_id IN (SELECT id FROM plans WHERE tier = 'pro')
)
AND a.id NOT IN (SELECT account_id FROM churned)
""",
    ["accounts", "subscriptions", "plans", "churned"],
)
case(
    "row-compare-in-subquery-pg",
    "select",
    PG,
    "SELECT * FROM t1 WHERE (a, b) IN (SELECT a, b FROM t2) AND c = ANY (ARRAY(SELECT c FROM t3))",
    ["t1", "t2", "t3"],
)
case(
    "distinct-on-pg",
    "select",
    PG,
    "SELECT DISTINCT ON (user_id) user_id, ts, page FROM web.pageviews ORDER BY user_id, ts DESC",
    ["web.pageviews"],
)
case(
    "grouping-sets-pg",
    "select",
    PG,
    "SELECT region, product, sum(amount) FROM sales GROUP BY GROUPING SETS ((region), (product), ()) HAVING sum(amount) > 0",
    ["sales"],
)
case(
    "within-group-pg",
    "select",
    PG,
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FROM metrics.requests WHERE ts::date = current_date",
    ["metrics.requests"],
)
case(
    "setval-subquery-pg",
    "select",
    PG,
    "SELECT setval('public.orders_id_seq', (SELECT max(id) FROM public.orders))",
    ["public.orders"],
)
case(
    "pg-catalog-pg",
    "select",
    PG,
    "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
    ["pg_catalog.pg_class", "pg_catalog.pg_namespace"],
)
case(
    "for-update-skip-locked-pg",
    "select",
    PG,
    "SELECT id FROM jobs.queue WHERE status = 'pending' ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED",
    ["jobs.queue"],
)
case(
    "union-parenthesized-limit-pg",
    "select",
    PG,
    "(SELECT id FROM a ORDER BY id LIMIT 5) UNION ALL (SELECT id FROM b ORDER BY id DESC LIMIT 5)",
    ["a", "b"],
)
case(
    "iff-subquery-sf",
    "select",
    SF,
    "SELECT IFF(x IN (SELECT y FROM ref.z), 1, 0) AS flag, ARRAY_AGG(v) WITHIN GROUP (ORDER BY v) FROM raw.t GROUP BY x",
    ["ref.z", "raw.t"],
)
case(
    "values-derived-sf",
    "select",
    SF,
    "SELECT v.code, r.name FROM (VALUES ('a', 1), ('b', 2)) AS v(code, n) JOIN ref.codes r ON r.code = v.code",
    ["ref.codes"],
)
case(
    "natural-full-join-pg",
    "select",
    PG,
    "SELECT * FROM s1.a NATURAL FULL OUTER JOIN s1.b LEFT JOIN s2.c ON c.k = b.k",
    ["s1.a", "s1.b", "s2.c"],
)
case(
    "nested-join-parens-sf",
    "select",
    SF,
    "SELECT * FROM (raw.a a LEFT JOIN raw.b b ON a.id = b.id) JOIN (raw.c c JOIN raw.d d ON c.k = d.k) ON c.id = a.id",
    ["raw.a", "raw.b", "raw.c", "raw.d"],
)
case("select-no-tables-sf", "select", SF, "SELECT CURRENT_TIMESTAMP(), CURRENT_WAREHOUSE(), 'SELECT * FROM x'", [])
case(
    "filter-tablesample-pg",
    "select",
    PG,
    "SELECT count(*) FILTER (WHERE status = 'ok') FROM logs.requests TABLESAMPLE SYSTEM (1)",
    ["logs.requests"],
)

# =========================================================================== INSERT
case(
    "insert-on-conflict-excluded-pg",
    "insert",
    PG,
    """
INSERT INTO public.daily_metrics (day, metric, value)
SELECT date_trunc('day', ts)::date, metric, sum(value)
FROM public.raw_metrics
WHERE ts >= %(start)s AND ts < %(end)s
GROUP BY 1, 2
ON CONFLICT (day, metric) DO UPDATE
SET value = EXCLUDED.value, updated_at = now()
WHERE daily_metrics.value IS DISTINCT FROM EXCLUDED.value
""",
    ["public.raw_metrics"],
    ["public.daily_metrics"],
)
case(
    "insert-on-conflict-constraint-pg",
    "insert",
    PG,
    "INSERT INTO users (id, email) VALUES (%s, %s) ON CONFLICT ON CONSTRAINT users_pkey DO NOTHING",
    [],
    ["users"],
)
case(
    "insert-on-conflict-subquery-pg",
    "insert",
    PG,
    "INSERT INTO kv (k, v) VALUES ('x', 1) ON CONFLICT (k) DO UPDATE SET v = (SELECT max(v) FROM kv_history WHERE k = 'x')",
    ["kv_history"],
    ["kv"],
)
case(
    "insert-not-exists-self-pg",
    "insert",
    PG,
    """
INSERT INTO dim.customers (id, name)
SELECT s.id, s.name FROM staging.customers s
WHERE NOT EXISTS (SELECT 1 FROM dim.customers d WHERE d.id = s.id)
""",
    ["staging.customers", "dim.customers"],
    ["dim.customers"],
)
case(
    "insert-returning-pg",
    "insert",
    PG,
    "INSERT INTO jobs.runs (dag_id, started_at) VALUES (%(dag_id)s, now()) RETURNING id",
    [],
    ["jobs.runs"],
)
case(
    "insert-cte-first-pg",
    "insert",
    PG,
    """
WITH new_rows AS (
    SELECT * FROM staging.events e WHERE e.loaded_at > (SELECT last_loaded FROM etl.state WHERE name = 'events')
)
INSERT INTO public.events SELECT * FROM new_rows
""",
    ["staging.events", "etl.state"],
    ["public.events"],
)
case(
    "insert-cols-cte-sf",
    "insert",
    SF,
    """
INSERT INTO mart.fct_sessions (session_id, user_id, started_at)
WITH ev AS (SELECT * FROM raw.events WHERE ds = '2024-06-01')
SELECT session_id, user_id, MIN(ts) FROM ev GROUP BY 1, 2
""",
    ["raw.events"],
    ["mart.fct_sessions"],
)
case(
    "insert-overwrite-sf",
    "insert",
    SF,
    """
INSERT OVERWRITE INTO mart.daily_snapshot
SELECT CURRENT_DATE AS snapshot_date, a.*
FROM mart.accounts a
WHERE a.status <> 'closed'
""",
    ["mart.accounts"],
    ["mart.daily_snapshot"],
)
case(
    "insert-select-flatten-sf",
    "insert",
    SF,
    """
INSERT INTO mart.order_items (order_id, sku, qty)
SELECT o.id, i.value:sku::string, i.value:qty::int
FROM raw.orders o, TABLE(FLATTEN(input => o.payload:items)) i
""",
    ["raw.orders"],
    ["mart.order_items"],
)
case(
    "insert-json-populate-pg",
    "insert",
    PG,
    "INSERT INTO public.events SELECT * FROM json_populate_recordset(NULL::public.events, %s)",
    [],
    ["public.events"],
)
case(
    "insert-overriding-pg",
    "insert",
    PG,
    "INSERT INTO public.ids OVERRIDING SYSTEM VALUE SELECT id FROM legacy.ids",
    ["legacy.ids"],
    ["public.ids"],
)
case(
    "insert-quoted-target-pg",
    "insert",
    PG,
    'INSERT INTO "Analytics"."DailyTotals" ("Day", "Total") SELECT day, total FROM analytics.daily',
    ["analytics.daily"],
    ['"Analytics"."DailyTotals"'],
)
case(
    "insert-cte-insert-returning-pg",
    "insert",
    PG,
    """
WITH ins AS (
    INSERT INTO public.orders (customer_id, total) VALUES (42, 10.5) RETURNING id
)
INSERT INTO public.order_audit (order_id, action) SELECT id, 'created' FROM ins
""",
    [],
    ["public.orders", "public.order_audit"],
)
case(
    "insert-union-values-sf",
    "insert",
    SF,
    "INSERT INTO ref.flags (code, label) SELECT code, label FROM ref.flags_v1 UNION SELECT 'x', 'unknown'",
    ["ref.flags_v1"],
    ["ref.flags"],
)

# =========================================================================== UPDATE / DELETE
case(
    "update-from-join-pg",
    "update",
    PG,
    """
UPDATE orders o
SET status = s.status, updated_at = now()
FROM staging.order_status s
JOIN staging.batches b ON b.id = s.batch_id
WHERE s.order_id = o.id AND b.loaded
""",
    ["staging.order_status", "staging.batches"],
    ["orders"],
)
case(
    "update-correlated-pg",
    "update",
    PG,
    "UPDATE public.orders o SET total = (SELECT sum(amount) FROM public.order_lines l WHERE l.order_id = o.id) WHERE o.total IS NULL",
    ["public.order_lines"],
    ["public.orders"],
)
case(
    "update-values-pg",
    "update",
    PG,
    "UPDATE t SET x = v.x FROM (VALUES (1, 'a'), (2, 'b')) AS v(id, x) WHERE v.id = t.id",
    [],
    ["t"],
)
case(
    "update-from-subquery-cte-sf",
    "update",
    SF,
    """
UPDATE mart.customers c
SET c.ltv = agg.ltv
FROM (
    WITH o AS (SELECT customer_id, amount FROM mart.orders)
    SELECT customer_id, SUM(amount) AS ltv FROM o GROUP BY 1
) agg
WHERE agg.customer_id = c.id
""",
    ["mart.orders"],
    ["mart.customers"],
)
case(
    "update-multi-from-sf",
    "update",
    SF,
    "UPDATE t1 SET t1.a = t2.a, t1.b = t3.b FROM s.t2 t2, s.t3 t3 WHERE t1.id = t2.id AND t2.k = t3.k",
    ["s.t2", "s.t3"],
    ["t1"],
)
case(
    "update-case-in-set-pg",
    "update",
    PG,
    """
UPDATE accounts SET tier = CASE
    WHEN id IN (SELECT account_id FROM vip_list) THEN 'vip'
    WHEN balance > 1000 THEN 'gold'
    ELSE 'basic' END
""",
    ["vip_list"],
    ["accounts"],
)
case(
    "delete-using-join-pg",
    "delete",
    PG,
    """
DELETE FROM public.sessions s
USING public.users u
WHERE s.user_id = u.id AND u.deleted_at IS NOT NULL
RETURNING s.id
""",
    ["public.users"],
    ["public.sessions"],
)
case(
    "delete-using-multi-sf",
    "delete",
    SF,
    "DELETE FROM mart.events e USING staging.deletes d, staging.batches b WHERE e.id = d.id AND d.batch = b.id",
    ["staging.deletes", "staging.batches"],
    ["mart.events"],
)
case(
    "delete-dedupe-ctid-pg",
    "delete",
    PG,
    """
DELETE FROM events a
WHERE a.ctid <> (SELECT min(b.ctid) FROM events b WHERE a.id = b.id)
""",
    ["events"],
    ["events"],
)
case(
    "delete-cte-returning-archive-pg",
    "delete",
    PG,
    """
WITH moved AS (
    DELETE FROM jobs.queue WHERE finished_at < now() - interval '7 days' RETURNING *
)
INSERT INTO jobs.queue_archive SELECT * FROM moved
""",
    [],
    ["jobs.queue", "jobs.queue_archive"],
)
case("delete-placeholder-any-pg", "delete", PG, "DELETE FROM cache.entries WHERE key = ANY(%s)", [], ["cache.entries"])
case(
    "delete-where-date-sf",
    "delete",
    SF,
    "DELETE FROM mart.fct_daily WHERE ds = '2024-06-01'::date AND source IN ('web', 'app')",
    [],
    ["mart.fct_daily"],
)

# =========================================================================== DROP / TRUNCATE / RENAME / SWAP / REFRESH
case(
    "drop-multi-if-exists-pg",
    "drop",
    PG,
    "DROP TABLE IF EXISTS staging.a, staging.b CASCADE;",
    [],
    ["staging.a", "staging.b"],
)
case("drop-view-sf", "drop", SF, "DROP VIEW IF EXISTS mart.v_old", [], ["mart.v_old"])
case("drop-quoted-pg", "drop", PG, 'DROP TABLE IF EXISTS public."TempImport_2024"', [], ['public."TempImport_2024"'])
case(
    "truncate-multi-pg",
    "truncate",
    PG,
    "TRUNCATE TABLE staging.a, staging.b, staging.c RESTART IDENTITY",
    [],
    ["staging.a", "staging.b", "staging.c"],
)
case("truncate-sf", "truncate", SF, "TRUNCATE TABLE IF EXISTS RAW.PUBLIC.EVENTS_LOAD", [], ["RAW.PUBLIC.EVENTS_LOAD"])
case(
    "rename-sf",
    "alter",
    SF,
    "ALTER TABLE analytics.orders_tmp RENAME TO analytics.orders",
    ["analytics.orders_tmp"],
    ["analytics.orders"],
)
case(
    "rename-sf-defaults",
    "alter",
    SF,
    "ALTER TABLE orders_tmp RENAME TO orders",
    ["D.S.orders_tmp"],
    ["D.S.orders"],
    db="D",
    schema="S",
)
case(
    "rename-if-exists-pg",
    "alter",
    PG,
    "ALTER TABLE IF EXISTS staging.orders_new RENAME TO orders",
    ["staging.orders_new"],
    ["staging.orders"],
)
case(
    "set-schema-view-pg",
    "alter",
    PG,
    "ALTER VIEW public.v_report SET SCHEMA archive",
    ["public.v_report"],
    ["archive.v_report"],
)
case(
    "swap-sf",
    "alter",
    SF,
    "ALTER TABLE IF EXISTS prod.orders SWAP WITH prod.orders_staging",
    ["prod.orders", "prod.orders_staging"],
    ["prod.orders", "prod.orders_staging"],
)
case(
    "refresh-concurrently-pg",
    "refresh",
    PG,
    "REFRESH MATERIALIZED VIEW CONCURRENTLY analytics.mv_daily_signups;",
    [],
    ["analytics.mv_daily_signups"],
)
case(
    "alter-column-type-pg",
    "alter",
    PG,
    "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2) USING total::numeric",
    [],
    [],
)
case(
    "alter-add-column-sf", "alter", SF, "ALTER TABLE mart.orders ADD COLUMN IF NOT EXISTS discount NUMBER(10,2)", [], []
)
case("alter-cluster-sf", "alter", SF, "ALTER TABLE mart.events CLUSTER BY (event_date, user_id)", [], [])
case("alter-set-tag-sf", "alter", SF, "ALTER TABLE mart.customers SET TAG governance.pii = 'email'", [], [])
case("alter-rename-column-sf", "alter", SF, "ALTER TABLE mart.orders RENAME COLUMN amt TO amount", [], [])
case("alter-external-refresh-sf", "refresh", SF, "ALTER EXTERNAL TABLE raw.ext_events REFRESH", [], ["raw.ext_events"])
case("undrop-sf", "undrop", SF, "UNDROP TABLE mart.orders", [], ["mart.orders"])

# =========================================================================== no lineage
case("grant-all-tables-sf", "no_lineage", SF, "GRANT SELECT ON ALL TABLES IN SCHEMA mart TO ROLE reporter", [])
case("grant-future-sf", "no_lineage", SF, "GRANT SELECT ON FUTURE TABLES IN SCHEMA analytics.mart TO ROLE bi", [])
case("grant-pg", "no_lineage", PG, "GRANT SELECT, INSERT ON public.orders TO etl_user", [])
case("revoke-pg", "no_lineage", PG, "REVOKE ALL ON public.orders FROM PUBLIC", [])
case("comment-on-table-pg", "no_lineage", PG, "COMMENT ON TABLE public.orders IS 'select * from nowhere'", [])
case("comment-on-column-sf", "no_lineage", SF, "COMMENT ON COLUMN mart.orders.amount IS 'USD'", [])
case("analyze-verbose-pg", "no_lineage", PG, "ANALYZE VERBOSE public.orders", [])
case("vacuum-analyze-pg", "no_lineage", PG, "VACUUM (VERBOSE, ANALYZE) public.orders", [])
case("call-proc-sf", "no_lineage", SF, "CALL admin.sp_refresh_stats('MART', 7)", [])
case("call-proc-pg", "no_lineage", PG, "CALL public.rebuild_rollups(%(ds)s)", [])
case(
    "alter-session-query-tag-sf",
    "no_lineage",
    SF,
    'ALTER SESSION SET QUERY_TAG = \'{"dag_id": "orders", "task_id": "load"}\'',
    [],
)
case(
    "use-warehouse-role-sf",
    "no_lineage",
    SF,
    "USE WAREHOUSE transform_wh; USE ROLE transformer; USE SECONDARY ROLES ALL",
    [],
)
case("show-describe-sf", "no_lineage", SF, "SHOW TABLES LIKE '%orders%' IN SCHEMA mart; DESCRIBE TABLE mart.orders", [])
case(
    "create-index-concurrently-pg",
    "no_lineage",
    PG,
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_customer ON public.orders (customer_id)",
    [],
)
case(
    "create-stage-sf",
    "no_lineage",
    SF,
    "CREATE OR REPLACE STAGE raw.s3_stage URL = 's3://acme/raw/' STORAGE_INTEGRATION = s3_int FILE_FORMAT = raw.json_fmt",
    [],
)
case(
    "create-file-format-sf",
    "no_lineage",
    SF,
    "CREATE OR REPLACE FILE FORMAT raw.csv_fmt TYPE = CSV FIELD_DELIMITER = '|' SKIP_HEADER = 1 NULL_IF = ('NULL', '')",
    [],
)
case("drop-schema-pg", "no_lineage", PG, "DROP SCHEMA IF EXISTS tmp_build CASCADE", [])
case("lock-table-pg", "no_lineage", PG, "LOCK TABLE public.orders IN SHARE ROW EXCLUSIVE MODE", [])
case("set-statement-timeout-pg", "no_lineage", PG, "SET statement_timeout = '15min'; SET LOCAL work_mem = '256MB'", [])
case(
    "alter-warehouse-sf",
    "no_lineage",
    SF,
    "ALTER WAREHOUSE transform_wh SET WAREHOUSE_SIZE = 'LARGE' AUTO_SUSPEND = 60",
    [],
)
case(
    "put-list-remove-sf",
    "no_lineage",
    SF,
    "PUT file:///tmp/orders.csv @raw.s3_stage/orders/ AUTO_COMPRESS = TRUE; LIST @raw.s3_stage/orders/; "
    "REMOVE @raw.s3_stage/orders/ PATTERN = '.*[.]csv[.]gz'",
    [],
)
case("create-sequence-sf", "no_lineage", SF, "CREATE OR REPLACE SEQUENCE mart.seq_orders START = 1 INCREMENT = 1", [])
case("drop-function-pg", "no_lineage", PG, "DROP FUNCTION IF EXISTS public.f_clean(text) CASCADE", [])
case("notify-pg", "no_lineage", PG, "NOTIFY etl_done, 'orders'", [])
case(
    "select-only-functions-pg", "no_lineage", PG, "SELECT pg_advisory_lock(12345), nextval('public.orders_id_seq')", []
)

# =========================================================================== scripts / session resolution
case(
    "script-begin-commit-pg",
    "multi",
    PG,
    """
BEGIN;
SET LOCAL search_path TO staging;
CREATE TEMP TABLE tmp_users AS SELECT * FROM users_raw WHERE valid;
INSERT INTO public.users SELECT * FROM tmp_users ON CONFLICT (id) DO NOTHING;
DROP TABLE tmp_users;
COMMIT;
""",
    ["staging.users_raw", "staging.tmp_users"],
    ["staging.tmp_users", "public.users"],
)
case(
    "script-search-path-defaults-pg",
    "multi",
    PG,
    """
SET search_path TO analytics, public;
CREATE TABLE IF NOT EXISTS daily (day date, n int);
INSERT INTO daily SELECT created_at::date, count(*) FROM public.signups GROUP BY 1;
""",
    ["warehouse.public.signups"],
    ["warehouse.analytics.daily"],
    db="warehouse",
    schema="public",
)
case(
    "script-use-schema-sf",
    "multi",
    SF,
    """
USE DATABASE ANALYTICS;
USE SCHEMA MART;
CREATE OR REPLACE TABLE DIM_DATE AS SELECT * FROM STAGING.DATES;
INSERT INTO FCT_X SELECT * FROM RAW_DB.RAW.X;
""",
    ["ANALYTICS.STAGING.DATES", "RAW_DB.RAW.X"],
    ["ANALYTICS.MART.DIM_DATE", "ANALYTICS.MART.FCT_X"],
)
case(
    "script-identifier-vars-sf",
    "multi",
    SF,
    """
SET target_table = 'ANALYTICS.MART.ORDERS_DAILY';
SET source_table = 'RAW.SHOP.ORDERS';
DELETE FROM IDENTIFIER($target_table) WHERE ds = '2024-06-01';
INSERT INTO IDENTIFIER($target_table) SELECT * FROM IDENTIFIER($source_table) WHERE ds = '2024-06-01';
""",
    ["RAW.SHOP.ORDERS"],
    ["ANALYTICS.MART.ORDERS_DAILY"],
)
case(
    "identifier-literal-sf",
    "names",
    SF,
    "INSERT INTO IDENTIFIER('mart.summary') SELECT * FROM IDENTIFIER('raw.detail')",
    ["D.raw.detail"],
    ["D.mart.summary"],
    db="D",
    schema="S",
)
case(
    "db-dot-dot-sf",
    "names",
    SF,
    "INSERT INTO analytics..orders_copy SELECT * FROM analytics..orders",
    ["analytics.public.orders"],
    ["analytics.public.orders_copy"],
)
case(
    "quoted-mixed-case-sf",
    "names",
    SF,
    'SELECT * FROM "Analytics"."Mart"."CustomerOrders" co JOIN ANALYTICS.MART.CUSTOMERS c ON c.ID = co."CustomerId"',
    ['"Analytics"."Mart"."CustomerOrders"', "ANALYTICS.MART.CUSTOMERS"],
)
case(
    "quoted-mixed-case-pg",
    "names",
    PG,
    'SELECT * FROM "UserEvents" ue JOIN public."Accounts" a ON a.id = ue."accountId"',
    ['app.public."UserEvents"', 'app.public."Accounts"'],
    db="app",
    schema="public",
)
case(
    "quoted-lower-pg-equals",
    "names",
    PG,
    'INSERT INTO "public"."orders" SELECT * FROM "staging".orders',
    ["staging.orders"],
    ["public.orders"],
)
case(
    "quoted-upper-sf-equals",
    "names",
    SF,
    'INSERT INTO "MART"."ORDERS" SELECT * FROM mart.orders_stage',
    ["mart.orders_stage"],
    ["mart.orders"],
)
case(
    "defaults-qualify-sf",
    "resolution",
    SF,
    """
INSERT INTO fct_orders
SELECT o.*, c.segment FROM stg_orders o JOIN crm.customers c ON c.id = o.customer_id
""",
    ["PROD.MART.stg_orders", "PROD.crm.customers"],
    ["PROD.MART.fct_orders"],
    db="PROD",
    schema="MART",
)
case(
    "defaults-ctes-not-qualified-pg",
    "resolution",
    PG,
    """
WITH a AS (SELECT * FROM src_a), b AS (SELECT * FROM a JOIN other.src_b USING (id))
INSERT INTO target SELECT * FROM b
""",
    ["wh.public.src_a", "wh.other.src_b"],
    ["wh.public.target"],
    db="wh",
    schema="public",
)
case(
    "list-of-statements-sf",
    "multi",
    SF,
    ["USE SCHEMA ETL.STAGE", "CREATE OR REPLACE TABLE T1 AS SELECT * FROM SRC", "SELECT COUNT(*) FROM T1"],
    ["ETL.STAGE.SRC", "ETL.STAGE.T1"],
    ["ETL.STAGE.T1"],
)
case(
    "execute-immediate-sf",
    "multi",
    SF,
    "EXECUTE IMMEDIATE 'CREATE OR REPLACE TABLE mart.t AS SELECT * FROM raw.t'",
    ["raw.t"],
    ["mart.t"],
)
case(
    "scripting-block-if-sf",
    "multi",
    SF,
    """
EXECUTE IMMEDIATE $$
DECLARE
  cnt INTEGER DEFAULT 0;
BEGIN
  SELECT COUNT(*) INTO :cnt FROM raw.orders_stage;
  IF (cnt > 0) THEN
    INSERT INTO mart.orders SELECT * FROM raw.orders_stage;
    TRUNCATE TABLE raw.orders_stage;
  END IF;
  RETURN cnt;
END;
$$
""",
    ["raw.orders_stage"],
    ["mart.orders", "raw.orders_stage"],
)
case(
    "scripting-for-loop-sf",
    "multi",
    SF,
    """
BEGIN
  FOR i IN 1 TO 3 DO
    INSERT INTO mart.numbers SELECT :i FROM raw.one_row;
  END FOR;
END;
""",
    ["raw.one_row"],
    ["mart.numbers"],
)
case(
    "pg-do-block",
    "multi",
    PG,
    """
DO $$
BEGIN
    INSERT INTO audit.runs (started_at) VALUES (now());
    DELETE FROM staging.tmp WHERE created_at < now() - interval '1 day';
END
$$;
""",
    [],
    ["audit.runs", "staging.tmp"],
)

# =========================================================================== placeholders / rendered templates
case(
    "pyformat-insert-select-pg",
    "placeholders",
    PG,
    """
INSERT INTO reporting.daily_orders (ds, n)
SELECT %(ds)s::date, count(*) FROM public.orders WHERE created_at::date = %(ds)s
""",
    ["public.orders"],
    ["reporting.daily_orders"],
)
case(
    "format-many-pg",
    "placeholders",
    PG,
    "UPDATE jobs.tasks SET state = %s, finished_at = %s WHERE id = %s AND state IN (%s, %s)",
    [],
    ["jobs.tasks"],
)
case(
    "named-colon-sf",
    "placeholders",
    SF,
    "DELETE FROM mart.fct_daily WHERE ds BETWEEN :start_ds AND :end_ds",
    [],
    ["mart.fct_daily"],
)
case(
    "qmark-insert-sf",
    "placeholders",
    SF,
    "INSERT INTO etl.audit (run_id, status, rows) VALUES (?, ?, ?)",
    [],
    ["etl.audit"],
)
case(
    "numeric-pg",
    "placeholders",
    PG,
    "SELECT * FROM public.users WHERE email = $1 AND created_at > $2::timestamptz",
    ["public.users"],
)
case(
    "colon-numeric-sf",
    "placeholders",
    SF,
    "INSERT INTO etl.log (msg) SELECT :1 FROM etl.dual_like WHERE :2 = 1",
    ["etl.dual_like"],
    ["etl.log"],
)
case(
    "rendered-jinja-sf",
    "placeholders",
    SF,
    """
-- rendered from templates/load_orders.sql for ds=2024-06-01
INSERT INTO analytics.mart.orders_20240601
SELECT *
FROM analytics.raw.orders
WHERE ds = '2024-06-01'
  AND _loaded_at < '2024-06-02T00:00:00+00:00'
""",
    ["analytics.raw.orders"],
    ["analytics.mart.orders_20240601"],
)
case(
    "format-escaped-percent-pg",
    "placeholders",
    PG,
    "SELECT * FROM public.users WHERE email LIKE '%%@acme.com' AND id > %s",
    ["public.users"],
)

# =========================================================================== comments and strings
case(
    "comments-everywhere-pg",
    "strings",
    PG,
    """
/* header: loads orders
   FROM fake_table -- not real */
INSERT INTO /* target */ public.orders -- the target
    (id, total) -- columns
SELECT /* cols */ id, total
FROM -- source follows
    staging.orders /* FROM another_fake */
WHERE total > 0; -- trailing JOIN fake2
""",
    ["staging.orders"],
    ["public.orders"],
)
case(
    "string-with-sql-sf",
    "strings",
    SF,
    """
INSERT INTO etl.query_log (q, note)
SELECT 'DELETE FROM prod.customers WHERE 1=1', 'it''s from mart.fake; join x'
FROM etl.dual_source
""",
    ["etl.dual_source"],
    ["etl.query_log"],
)
case(
    "dollar-quoted-function-pg",
    "strings",
    PG,
    """
CREATE OR REPLACE FUNCTION public.touch() RETURNS trigger AS $body$
BEGIN
  INSERT INTO audit.touches SELECT NEW.id FROM public.other;
  RETURN NEW;
END;
$body$ LANGUAGE plpgsql;
""",
    [],
)
case(
    "dollar-string-literal-pg",
    "strings",
    PG,
    "INSERT INTO notes (body) SELECT $$SELECT * FROM secret_table; DROP TABLE x;$$ FROM config.dummy",
    ["config.dummy"],
    ["notes"],
)
case(
    "semicolon-in-comment-pg",
    "strings",
    PG,
    "SELECT * FROM a -- a comment; with FROM b\nJOIN c ON c.id = a.id; /* ; */ SELECT 1",
    ["a", "c"],
)
case("escape-string-pg", "strings", PG, "SELECT * FROM logs WHERE msg = E'it\\'s FROM x' AND k = 'y'", ["logs"])
case("quoted-column-named-from-sf", "strings", SF, 'SELECT "FROM", "SELECT" FROM raw.weird_cols', ["raw.weird_cols"])
case(
    "json-path-sf",
    "strings",
    SF,
    "SELECT payload:user.id::string, payload['items'][0]:sku FROM raw.events WHERE payload:type = 'order'",
    ["raw.events"],
)

# =========================================================================== procedural blocks
case(
    "scripting-declare-resultset-sf",
    "procedural",
    SF,
    """
EXECUTE IMMEDIATE $$
DECLARE
  c1 CURSOR FOR SELECT table_name FROM etl.tables_to_load WHERE enabled;
  total INTEGER DEFAULT 0;
  res RESULTSET DEFAULT (SELECT id FROM etl.batches WHERE status = 'open');
BEGIN
  FOR rec IN c1 DO
    total := total + 1;
  END FOR;
  LET latest TIMESTAMP := (SELECT MAX(loaded_at) FROM etl.load_log);
  RETURN TABLE(res);
END;
$$
""",
    ["etl.tables_to_load", "etl.batches", "etl.load_log"],
)
case(
    "scripting-exception-handler-sf",
    "procedural",
    SF,
    """
BEGIN
  INSERT INTO mart.daily SELECT * FROM staging.daily;
EXCEPTION
  WHEN STATEMENT_ERROR THEN
    INSERT INTO etl.errors (msg) SELECT :SQLERRM;
    RAISE;
END;
""",
    ["staging.daily"],
    ["mart.daily", "etl.errors"],
)
case(
    "scripting-while-case-sf",
    "procedural",
    SF,
    """
EXECUTE IMMEDIATE $$
DECLARE
  i INTEGER DEFAULT 0;
  mode STRING DEFAULT 'full';
BEGIN
  WHILE (i < 3) DO
    DELETE FROM mart.chunks WHERE chunk = :i;
    i := i + 1;
  END WHILE;
  CASE (mode)
    WHEN 'full' THEN
      INSERT OVERWRITE INTO mart.snapshot SELECT * FROM raw.snapshot;
    ELSE
      INSERT INTO mart.snapshot SELECT * FROM raw.snapshot_delta;
  END CASE;
  IF (EXISTS (SELECT 1 FROM etl.flags WHERE name = 'vacuum')) THEN
    TRUNCATE TABLE raw.snapshot_delta;
  ELSEIF (mode = 'none') THEN
    RETURN 'skipped';
  END IF;
END;
$$
""",
    ["raw.snapshot", "raw.snapshot_delta", "etl.flags"],
    ["mart.chunks", "mart.snapshot", "raw.snapshot_delta"],
)
case(
    "pg-do-block-plpgsql",
    "procedural",
    PG,
    """
DO $$
DECLARE
    r record;
    n int;
BEGIN
    SELECT count(*) INTO n FROM staging.orders;
    IF n = 0 THEN
        RAISE NOTICE 'nothing to do';
        RETURN;
    END IF;
    FOR r IN SELECT DISTINCT region FROM ref.regions LOOP
        RAISE NOTICE 'region %', r.region;
    END LOOP;
    INSERT INTO mart.load_log (n) VALUES (n);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM pg_notify('loaded', n::text) FROM etl.listeners;
EXCEPTION WHEN others THEN
    INSERT INTO mart.load_errors (msg) VALUES (SQLERRM);
END $$ LANGUAGE plpgsql;
""",
    ["staging.orders", "ref.regions", "etl.listeners"],
    ["mart.load_log", "mart.load_errors"],
)
case(
    "pg-do-execute-literal",
    "procedural",
    PG,
    "DO $$ BEGIN EXECUTE 'TRUNCATE staging.events'; END $$",
    [],
    ["staging.events"],
)
case("pg-do-other-language", "procedural", PG, "DO LANGUAGE plpython3u $$ plpy.execute('DELETE FROM t') $$", [])
case("sf-execute-immediate-concat", "procedural", SF, "EXECUTE IMMEDIATE 'TRUNCATE TABLE ' || :target_table", [])
case(
    "pg-explain-analyze",
    "procedural",
    PG,
    "EXPLAIN (ANALYZE, BUFFERS) INSERT INTO mart.t SELECT * FROM staging.t",
    ["staging.t"],
    ["mart.t"],
)
case("pg-explain-plain", "procedural", PG, "EXPLAIN SELECT * FROM staging.t", [])

# =========================================================================== corners found while probing
case(
    "for-update-of-aliases-pg",
    "select",
    PG,
    "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.state = 'new' FOR UPDATE OF o, c SKIP LOCKED",
    ["orders", "customers"],
)
case(
    "array-in-join-condition-pg",
    "select",
    PG,
    "SELECT * FROM docs d JOIN tags t ON t.key = ANY (ARRAY[d.tag1, d.tag2]) AND t.pair = ARRAY[d.a, d.b]",
    ["docs", "tags"],
)
case(
    "recursive-view-pg",
    "create",
    PG,
    "CREATE RECURSIVE VIEW reporting.nums (n) AS VALUES (1) UNION ALL SELECT n + 1 FROM nums WHERE n < 10",
    [],
    ["reporting.nums"],
)
case(
    "backslash-standard-string-pg",
    "strings",
    PG,
    "SELECT split_part(path, '\\', 2) AS f FROM files.paths WHERE d IN (SELECT d FROM files.dirs) AND x = 'y'",
    ["files.paths", "files.dirs"],
)
case(
    "backslash-escaped-string-sf",
    "strings",
    SF,
    "SELECT REPLACE(path, '\\\\', '/') AS p, 'x' FROM raw.files f JOIN raw.dirs d ON d.id = f.dir_id",
    ["raw.files", "raw.dirs"],
)
case(
    "e-string-pg",
    "strings",
    PG,
    "SELECT * FROM logs.lines WHERE msg LIKE E'%\\'%' AND k IN (SELECT k FROM logs.keys)",
    ["logs.lines", "logs.keys"],
)
case(
    "from-dual-sf",
    "select",
    SF,
    "INSERT INTO etl.heartbeat SELECT CURRENT_TIMESTAMP() FROM DUAL",
    [],
    ["etl.heartbeat"],
)
case("dual-is-a-table-pg", "select", PG, "SELECT * FROM dual", ["dual"])
