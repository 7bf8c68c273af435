# Makefile for the qes extension (PGXS)
#
#   make && make install      build and install into the PostgreSQL found by
#                             pg_config (Debian 12: PostgreSQL 15)
#   make installcheck         pg_regress suites; run them through test/run-tests,
#                             which starts the simulator and a throwaway cluster

PG_CONFIG ?= pg_config

MODULE_big = qes
OBJS = \
	src/settings.o \
	src/input.o \
	src/http.o \
	src/token.o \
	src/endpoints.o \
	src/answers.o \
	src/functions.o \
	src/sync.o \
	src/verify.o

EXTENSION = qes
DATA = sql/qes--0.1.sql
PGFILEDESC = "qes - Fourthline Qualified Electronic Signatures from SQL"

REGRESS = setup settings input full_flow kyc_required error_recovery \
	namirial binary_roundtrip token_replay cancel tls webhook faults notify \
	queue search_path verify
REGRESS_OPTS = --inputdir=.

# -isystem: warnings are about our code, not PostgreSQL's headers
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server) \
	$(shell pkg-config --cflags libcurl json-c libcrypto)
PG_CFLAGS = -Wall -Wextra
SHLIB_LINK = $(shell pkg-config --libs libcurl json-c libcrypto)

EXTRA_CLEAN = results regression.diffs regression.out

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every file includes the shared header: a change to it rebuilds them all
$(OBJS): src/qes.h

# the test list, for test/run-tests
print-regress:
	@echo $(REGRESS)

# the pg_cron suite runs in its own cluster, with pg_cron preloaded
print-cron-regress:
	@echo setup cron
