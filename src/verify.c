/*-------------------------------------------------------------------------
 *
 * verify.c
 *		Verification, on our side, that a signed PDF is the uploaded
 *		document, signed, and nothing else (PAdES), with OpenSSL's libcrypto.
 *
 * A PAdES signature is an incremental update: the original bytes stay as
 * they were and the update appends a signature dictionary whose /ByteRange
 * covers the whole file except its /Contents, a hex string that holds a
 * detached CMS signature over the covered bytes.  We check, in order:
 *
 *	1. the signed file starts with the bytes we uploaded;
 *	2. the byte range is [0 b c d] with c + d the file's length and the hex
 *	   string of /Contents exactly between b and c;
 *	3. the update adds only a signature: its dictionary, field and widget,
 *	   and the page, catalog and form objects that must point to them, but
 *	   no stream (no content, image or font) and no page tree;
 *	4. the CMS signature verifies over the covered bytes;
 *	5. the signer's certificate chains to a CA of qes.trust_file, and the
 *	   signing time lies within its validity.
 *
 * Everything here reads untrusted bytes: every offset is checked against
 * the file's length, and OpenSSL's objects are released in a PG_FINALLY.
 * The SQL-callable qes_verify_signed (functions.c) calls qes_verify_pdf;
 * so does the fuzz harness fuzz/fuzz_verify.c.
 *
 * src/verify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "utils/timestamp.h"

#include "qes.h"


/* where the signature sits in the file */
typedef struct ByteRange
{
	size_t		b;				/* first byte of the <hex> string */
	size_t		c;				/* first byte after it */
	size_t		d;				/* bytes covered after it */
} ByteRange;

static bool
is_pdf_space(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' ||
		c == '\0';
}

static bool
is_pdf_delimiter(unsigned char c)
{
	return is_pdf_space(c) || strchr("()<>[]{}/%", c) != NULL;
}

/* The last occurrence of needle in hay[0..len), binary-safe, or NULL */
static const char *
find_last(const char *hay, size_t len, const char *needle)
{
	size_t		n = strlen(needle);

	if (len < n)
		return NULL;
	for (size_t i = len - n + 1; i-- > 0;)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* The first occurrence of needle in hay[0..len), or NULL */
static const char *
find_first(const char *hay, size_t len, const char *needle)
{
	size_t		n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/*
 * Read a non-negative integer of at most 12 digits at *p (after white
 * space); false for anything else.
 */
static bool
read_offset(const char **p, const char *end, size_t *value)
{
	size_t		v = 0;
	int			digits = 0;

	while (*p < end && is_pdf_space((unsigned char) **p))
		(*p)++;
	while (*p < end && **p >= '0' && **p <= '9' && digits < 12)
	{
		v = v * 10 + (size_t) (**p - '0');
		digits++;
		(*p)++;
	}
	if (digits == 0 || (*p < end && **p >= '0' && **p <= '9'))
		return false;
	*value = v;
	return true;
}

/*
 * Find the last /ByteRange of the file and check that it is [0 b c d],
 * that c + d is the file's length, and that exactly the hex string of a
 * /Contents entry lies between b and c.
 */
static const char *
check_byte_range(const char *pdf, size_t len, ByteRange *br)
{
	const char *p = find_last(pdf, len, "/ByteRange");
	const char *end = pdf + len;
	size_t		a;
	const char *q;

	if (p == NULL)
		return "the file has no signature dictionary with a /ByteRange";
	p += strlen("/ByteRange");
	while (p < end && is_pdf_space((unsigned char) *p))
		p++;
	if (p >= end || *p != '[')
		return "the /ByteRange is not an array";
	p++;
	if (!read_offset(&p, end, &a) || !read_offset(&p, end, &br->b) ||
		!read_offset(&p, end, &br->c) || !read_offset(&p, end, &br->d))
		return "the /ByteRange does not hold four non-negative integers";
	if (a != 0 || br->b == 0 || br->c <= br->b + 1 || br->c > len ||
		br->d > len - br->c || br->c + br->d != len)
		return "the /ByteRange does not cover the whole file but the signature";

	if (pdf[br->b] != '<' || pdf[br->c - 1] != '>')
		return "the bytes left out of the /ByteRange are not a hex string";
	for (size_t i = br->b + 1; i < br->c - 1; i++)
		if (!isxdigit((unsigned char) pdf[i]) &&
			!is_pdf_space((unsigned char) pdf[i]))
			return "the bytes left out of the /ByteRange are not a hex string";

	/* the hex string must be the value of /Contents */
	q = pdf + br->b;
	while (q > pdf && is_pdf_space((unsigned char) q[-1]))
		q--;
	if (q - pdf < 9 || memcmp(q - 9, "/Contents", 9) != 0)
		return "the bytes left out of the /ByteRange are not the signature's /Contents";
	return NULL;
}

/*
 * Is there a "/key /value" pair (white space optional) in the object body?
 */
static bool
has_name_pair(const char *body, size_t len, const char *key,
			  const char *value)
{
	size_t		klen = strlen(key);
	size_t		vlen = strlen(value);

	for (size_t i = 0; i + klen <= len; i++)
	{
		size_t		j;

		if (body[i] != '/' || memcmp(body + i, key, klen) != 0 ||
			(i + klen < len &&
			 !is_pdf_delimiter((unsigned char) body[i + klen])))
			continue;
		j = i + klen;
		while (j < len && is_pdf_space((unsigned char) body[j]))
			j++;
		if (j + vlen <= len && memcmp(body + j, value, vlen) == 0 &&
			(j + vlen == len ||
			 is_pdf_delimiter((unsigned char) body[j + vlen])))
			return true;
	}
	return false;
}

/*
 * Does the update (the bytes after the original) add only a signature?
 * Allowed objects: the signature dictionary, the signature field and its
 * widget, the page that lists the widget, the catalog and the form
 * dictionary, and a cross-reference stream.  Any other stream, a page tree
 * or an object of another type is refused.
 *
 * XXX: an updated page is accepted without comparing it with the original
 * one, since that may sit in a compressed object stream; a page that
 * points its /Contents at another existing stream would pass.
 */
static const char *
check_update(const char *update, size_t len)
{
	const char *p = update;
	const char *end = update + len;
	bool		has_sig = false;
	int			objects = 0;

	while (p < end)
	{
		const char *obj = find_first(p, end - p, " obj");
		const char *body;
		const char *stop;
		size_t		blen;

		if (obj == NULL)
			break;
		body = obj + 4;
		stop = find_first(body, end - body, "endobj");
		if (stop == NULL)
			return "an object of the update has no end";
		blen = stop - body;
		objects++;

		if (has_name_pair(body, blen, "/Type", "/Sig"))
			has_sig = true;
		else if (has_name_pair(body, blen, "/Type", "/XRef"))
			;
		else if (find_first(body, blen, "stream") != NULL)
			return "the update adds a stream (content, image or font)";
		else if (has_name_pair(body, blen, "/Type", "/Pages"))
			return "the update changes the page tree";
		else if (!(has_name_pair(body, blen, "/FT", "/Sig") ||
				   has_name_pair(body, blen, "/Subtype", "/Widget") ||
				   has_name_pair(body, blen, "/Type", "/Page") ||
				   has_name_pair(body, blen, "/Type", "/Catalog") ||
				   find_first(body, blen, "/Fields") != NULL))
			return "the update adds an object that is not part of a signature";
		p = stop + 6;
	}
	if (objects == 0 || !has_sig)
		return "the update adds no signature dictionary";
	return NULL;
}

/* Decode the hex string of /Contents; trailing zero padding is harmless */
static unsigned char *
decode_hex(const char *hex, size_t len, size_t *out_len)
{
	unsigned char *out = palloc(len / 2 + 1);
	size_t		n = 0;
	int			high = -1;

	for (size_t i = 0; i < len; i++)
	{
		int			v;

		if (is_pdf_space((unsigned char) hex[i]))
			continue;
		v = hex[i] <= '9' ? hex[i] - '0' : (hex[i] | 0x20) - 'a' + 10;
		if (high < 0)
			high = v;
		else
		{
			out[n++] = (unsigned char) (high << 4 | v);
			high = -1;
		}
	}
	if (high >= 0)
		out[n++] = (unsigned char) (high << 4);
	*out_len = n;
	return out;
}

/* An ASN1_TIME as a timestamptz */
static bool
asn1_time_to_timestamptz(const ASN1_TIME *t, TimestampTz *result)
{
	struct tm	tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	*result = time_t_to_timestamptz((pg_time_t) timegm(&tm));
	return true;
}

/* An X509_NAME in RFC 2253 form, palloc'd */
static char *
x509_name_text(const X509_NAME *name)
{
	BIO		   *bio = BIO_new(BIO_s_mem());
	char	   *data;
	long		n;
	char	   *text;

	if (bio == NULL)
		return NULL;
	X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
	n = BIO_get_mem_data(bio, &data);
	text = pnstrdup(data, n);
	BIO_free(bio);
	return text;
}

/*
 * What the signer's certificate says: subject, issuer, serial, validity.
 */
static void
describe_signer(X509 *signer, QesVerdict *v)
{
	BIGNUM	   *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(signer), NULL);

	v->subject = x509_name_text(X509_get_subject_name(signer));
	v->issuer = x509_name_text(X509_get_issuer_name(signer));
	if (bn != NULL)
	{
		char	   *hex = BN_bn2hex(bn);

		if (hex != NULL)
			v->serial = pstrdup(hex);
		OPENSSL_free(hex);
		BN_free(bn);
	}
	v->has_validity =
		asn1_time_to_timestamptz(X509_get0_notBefore(signer), &v->valid_from) &&
		asn1_time_to_timestamptz(X509_get0_notAfter(signer), &v->valid_until);
}

/*
 * The signing time of the CMS signed attributes, if there is one.
 */
static void
read_signing_time(CMS_ContentInfo *cms, QesVerdict *v)
{
	STACK_OF(CMS_SignerInfo) *infos = CMS_get0_SignerInfos(cms);
	CMS_SignerInfo *si;
	int			idx;
	X509_ATTRIBUTE *attr;
	ASN1_TYPE  *type;

	if (infos == NULL || sk_CMS_SignerInfo_num(infos) < 1)
		return;
	si = sk_CMS_SignerInfo_value(infos, 0);
	idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	if (idx < 0 || (attr = CMS_signed_get_attr(si, idx)) == NULL)
		return;
	type = X509_ATTRIBUTE_get0_type(attr, 0);
	if (type != NULL &&
		(type->type == V_ASN1_UTCTIME || type->type == V_ASN1_GENERALIZEDTIME))
		v->has_signing_time =
			asn1_time_to_timestamptz((ASN1_TIME *) type->value.asn1_string,
									 &v->signing_time);
}

/*
 * Check the CMS signature over the covered bytes, describe the signer and,
 * with a trust file, whether its chain ends in one of its CAs.
 */
static void
check_signature(const char *pdf, const ByteRange *br, QesVerdict *v)
{
	size_t		derlen;
	unsigned char *der = decode_hex(pdf + br->b + 1, br->c - br->b - 2,
									&derlen);
	char	   *covered = palloc(br->b + br->d);
	volatile CMS_ContentInfo *cms = NULL;
	volatile BIO *data = NULL;
	volatile X509_STORE *store = NULL;
	volatile X509_STORE_CTX *ctx = NULL;
	volatile STACK_OF(X509) *certs = NULL;
	volatile STACK_OF(X509) *signers = NULL;	/* the stack is ours to free */

	memcpy(covered, pdf, br->b);
	memcpy(covered + br->b, pdf + br->c, br->d);

	PG_TRY();
	{
		const unsigned char *p = der;

		cms = d2i_CMS_ContentInfo(NULL, &p, (long) derlen);
		if (cms == NULL ||
			OBJ_obj2nid(CMS_get0_type((CMS_ContentInfo *) cms)) !=
			NID_pkcs7_signed)
			v->reason = "the signature is not a CMS SignedData";
		else
		{
			data = BIO_new_mem_buf(covered, (int) (br->b + br->d));
			v->signature_ok = data != NULL &&
				CMS_verify((CMS_ContentInfo *) cms, NULL, NULL, (BIO *) data,
						   NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) == 1;
			if (!v->signature_ok)
				v->reason = "the CMS signature does not verify over the signed bytes";
			read_signing_time((CMS_ContentInfo *) cms, v);
			signers = CMS_get0_signers((CMS_ContentInfo *) cms);
			if (signers != NULL && sk_X509_num((STACK_OF(X509) *) signers) > 0)
			{
				X509	   *signer;

				signer = sk_X509_value((STACK_OF(X509) *) signers, 0);

				describe_signer(signer, v);
				if (qes_trust_file != NULL && qes_trust_file[0] != '\0')
				{
					store = X509_STORE_new();
					ctx = X509_STORE_CTX_new();
					certs = CMS_get1_certs((CMS_ContentInfo *) cms);
					v->chain_trusted = store != NULL && ctx != NULL &&
						X509_STORE_load_file((X509_STORE *) store,
											 qes_trust_file) == 1 &&
						X509_STORE_CTX_init((X509_STORE_CTX *) ctx,
											(X509_STORE *) store, signer,
											(STACK_OF(X509) *) certs) == 1 &&
						X509_verify_cert((X509_STORE_CTX *) ctx) == 1;
				}
			}
			else if (v->signature_ok)
			{
				v->signature_ok = false;
				v->reason = "the CMS signature names no signer";
			}
		}
	}
	PG_FINALLY();
	{
		if (signers != NULL)
			sk_X509_free((STACK_OF(X509) *) signers);
		if (certs != NULL)
			sk_X509_pop_free((STACK_OF(X509) *) certs, X509_free);
		if (ctx != NULL)
			X509_STORE_CTX_free((X509_STORE_CTX *) ctx);
		if (store != NULL)
			X509_STORE_free((X509_STORE *) store);
		if (data != NULL)
			BIO_free((BIO *) data);
		if (cms != NULL)
			CMS_ContentInfo_free((CMS_ContentInfo *) cms);
		ERR_clear_error();
	}
	PG_END_TRY();
	pfree(covered);
	pfree(der);
}

/*
 * Verify a signed PDF against the original; see the file header.  Every
 * finding goes into *v, with the first reason the verdict fails.
 */
void
qes_verify_pdf(const char *orig, size_t olen, const char *pdf, size_t len,
			   QesVerdict *v)
{
	ByteRange	br;
	const char *problem;

	memset(v, 0, sizeof(QesVerdict));
	v->chain_trusted = -1;

	v->starts_with_original = olen > 0 && len > olen &&
		memcmp(orig, pdf, olen) == 0;
	problem = check_byte_range(pdf, len, &br);
	v->byte_range_ok = problem == NULL;
	if (v->starts_with_original)
	{
		const char *upd = check_update(pdf + olen, len - olen);

		v->update_only_signature = upd == NULL;
		if (problem == NULL)
			problem = upd;
	}
	if (v->byte_range_ok)
		check_signature(pdf, &br, v);

	if (!v->starts_with_original)
		v->reason = "the signed file does not start with the uploaded bytes";
	else if (problem != NULL)
		v->reason = problem;
	else if (v->reason == NULL && v->chain_trusted == -1)
		v->reason = "qes.trust_file is not set, so the chain was not checked";
	else if (v->reason == NULL && v->chain_trusted == 0)
		v->reason = "the signer's certificate does not chain to a CA of qes.trust_file";
	else if (v->reason == NULL && v->has_signing_time && v->has_validity &&
			 (v->signing_time < v->valid_from ||
			  v->signing_time > v->valid_until))
		v->reason = "the signing time lies outside the certificate's validity";
}
