-- w6_issue.sql: pgbench's side of the W6 issue row - what Coffer's
-- database engine sends PostgreSQL for one database/creds/bench read with
-- the role run.sh configures: its creation_statements in one transaction
-- (db_postgres.c: BEGIN, each statement on its own, COMMIT). Names are
-- unique per client and run: -D p=<prefix> -D n=0, and n counts up in the
-- client's own variables, which persist from one transaction to the next.
\set n :n + 1
\set u :client_id * 1000000000 + :n
BEGIN;
CREATE ROLE ":p:u" WITH LOGIN PASSWORD 'Wq3-bench-pgbench-pw1' VALID UNTIL '2036-01-01 00:00:00+0000';
GRANT "bench_app" TO ":p:u";
COMMIT;
