#!/bin/sh
# PostgreSQL first-start script (mounted into /docker-entrypoint-initdb.d): the Prefect server
# uses the database POSTGRES_DB (`prefect`); the results index gets its own database `evidence`
# owned by the same user. Runs only when the data volume is empty.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE DATABASE evidence OWNER "$POSTGRES_USER";
SQL
