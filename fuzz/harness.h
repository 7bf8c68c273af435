/*-------------------------------------------------------------------------
 *
 * harness.h
 *		Helpers shared by the fuzz harnesses: fenced copies of the input and
 *		the property checks that more than one harness makes.
 *
 * fuzz/harness.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef QES_FUZZ_HARNESS_H
#define QES_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg_shim.h"

/*
 * A copy of len bytes that ends right before an inaccessible page, with the
 * bytes before it poisoned for AddressSanitizer, so that reading one byte
 * past the end faults even in code that is not instrumented (json-c, libc).
 * Like the body buffer of src/http.c, the copy has no trailing NUL.  Two
 * slots exist, for a harness that passes two buffers at once; a copy lives
 * until the next one into the same slot.
 */
extern char *qf_bytes(int slot, const void *data, size_t len);

/*
 * The same, as a C string: the input up to its first NUL, at most max
 * bytes (0 for no limit), then a NUL that is the last readable byte.
 */
extern char *qf_cstring(int slot, const void *data, size_t len, size_t max);

/*
 * Whether to check the properties that the code's comments promise, beyond
 * what the sanitizers see.  On unless QES_FUZZ_PROPERTIES=0.
 */
extern bool qf_properties(void);

/* Property checks; each aborts through qes_shim_fail when it fails */
#define QF_CHECK(cond, ...) \
	do { \
		if (!(cond)) \
			qes_shim_fail(__VA_ARGS__); \
	} while (0)

/* Is s 1 to max characters of visible ASCII (0x21 to 0x7e)? */
extern bool qf_visible_ascii(const char *s, size_t max);

/* Is s a GUID in the 8-4-4-4-12 hex form? (an independent check) */
extern bool qf_guid(const char *s);

/*
 * Is s text that PostgreSQL's jsonb_in takes, and valid in a UTF8
 * database?  RFC 8259 JSON, no \u0000 or unpaired surrogate, no number
 * out of numeric's range, and valid UTF-8 (which jsonb_in itself does not
 * check).  On false, *why says what is wrong.
 */
extern bool qf_jsonb_acceptable(const char *s, const char **why);

#endif							/* QES_FUZZ_HARNESS_H */
