/*-------------------------------------------------------------------------
 *
 * pg_shim.h
 *		What a fuzz harness needs from the stand-in for the PostgreSQL
 *		server that pg_shim.c provides.
 *
 * src/answers.c and src/input.c are compiled unmodified against the
 * server's headers; pg_shim.c supplies the few server functions they call
 * (palloc and friends, StringInfo, ereport, pg_strncasecmp, snprintf, and
 * pg_verify_mbstr for UTF-8).
 *
 * Memory: every palloc'd chunk is a malloc of its own (so that
 * AddressSanitizer puts red zones around each one) and is remembered;
 * qes_shim_reset() frees them all, as a memory context reset would.  A
 * harness calls it at the end of every input, so what LeakSanitizer still
 * finds is memory that the code under test took from malloc itself and
 * never gave back: json-c's objects, above all.
 *
 * Errors: ereport(ERROR) jumps to the innermost PG_TRY(), as in the
 * server; with no PG_TRY() around it, an ERROR is a failure of the harness
 * (answers.c promises never to raise one) and aborts with the message.
 * FATAL and PANIC always abort.  Reports below ERROR are formatted (so that
 * their arguments are read) and dropped.
 *
 * fuzz/pg_shim.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef QES_PG_SHIM_H
#define QES_PG_SHIM_H

#include <stdbool.h>
#include <stddef.h>

/* Free every chunk palloc'd since the last reset; forget the last error */
extern void qes_shim_reset(void);

/* The last ERROR caught by a PG_TRY(): its SQLSTATE, message and detail */
extern int	qes_shim_error_code(void);
extern const char *qes_shim_error_message(void);
extern const char *qes_shim_error_detail(void);
extern const char *qes_shim_error_hint(void);

/*
 * When true, a StringInfo must hold text: appending a NUL byte to one
 * fails.  For code that promises text (qes_excerpt); the server's
 * StringInfo itself is binary-safe, so this is off by default.
 */
extern bool qes_shim_stringinfo_text;

/* Print a failure of a checked property and abort (a crash for libFuzzer) */
extern void qes_shim_fail(const char *fmt,...)
			__attribute__((format(printf, 1, 2), noreturn));

#endif							/* QES_PG_SHIM_H */
