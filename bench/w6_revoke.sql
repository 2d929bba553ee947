-- w6_revoke.sql: pgbench's side of the W6 revoke row - what Coffer sends
-- PostgreSQL to revoke one such user (db_postgres.c: the role lookup that
-- makes a second revocation a no-op, then the role's
-- revocation_statements in one transaction). Walks the names w6_issue.sql
-- made with the same -D p=<prefix>, in the same order, one per
-- transaction: run it with -t, never more than each client made. (Coffer
-- sends the lookup as a parameterised query, pgbench as plain text.)
\set n :n + 1
\set u :client_id * 1000000000 + :n
SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ':p:u';
BEGIN;
REVOKE "bench_app" FROM ":p:u";
DROP ROLE IF EXISTS ":p:u";
COMMIT;
