/*
 * Unit tests for jwt: the RFC 7515 A.1 HS256 example, sign/verify round trips,
 * the exact bytes jwt_sign writes, and a table of tokens jwt_verify refuses,
 * each with the error it must give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "jwt.h"
#include "token.h"

#define NOW 1700000000

/* The header jwt_sign writes, as JSON and as base64url. */
#define STD_HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define STD_HDR_B64 "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
/* A payload that verifies at NOW. */
#define STD_PAY "{\"sub\":\"42\",\"email\":\"a@b.co\",\"iat\":1700000000,\"exp\":1700003600}"

static const unsigned char key[40] = "0123456789abcdef0123456789abcdef-key-01";
static const unsigned char wrong_key[40] = "0123456789abcdef0123456789abcdef-key-02";

enum sig_mode {
	SIG_GOOD,  /* HMAC with key */
	SIG_WRONG, /* HMAC with wrong_key */
	SIG_EMPTY, /* nothing after the second dot */
};

/* Writes the base64url of s into out. */
static void enc(const char *s, char *out, size_t outlen)
{
	assert_true(b64url_encode(s, strlen(s), out, outlen) >= 0);
}

/* Builds "<hdr_b64>.<pay_b64>.<sig>" into out. */
static void build_raw(const char *hdr_b64, const char *pay_b64, enum sig_mode mode, char *out,
                      size_t outlen)
{
	unsigned char mac[TOKEN_DIGEST_LEN];
	char sig[64] = "";
	int n;

	n = snprintf(out, outlen, "%s.%s", hdr_b64, pay_b64);
	assert_true(n > 0 && (size_t)n < outlen);
	if (mode != SIG_EMPTY) {
		assert_int_equal(token_hmac(mode == SIG_GOOD ? key : wrong_key, sizeof(key), out,
		                            (size_t)n, mac),
		                 0);
		assert_int_equal(b64url_encode(mac, sizeof(mac), sig, sizeof(sig)), 43);
	}
	n = snprintf(out + n, outlen - (size_t)n, ".%s", sig);
	assert_true(n > 0);
}

/* Builds a token from header and payload JSON. */
static void build(const char *hdr, const char *pay, enum sig_mode mode, char *out, size_t outlen)
{
	char h[2 * JWT_MAX_LEN], p[2 * JWT_MAX_LEN];

	enc(hdr, h, sizeof(h));
	enc(pay, p, sizeof(p));
	build_raw(h, p, mode, out, outlen);
}

/* RFC 7515 Appendix A.1: the JWK "k" value and the compact serialization. */
static const char rfc_jwk_k[] =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
static const char rfc_token[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

static void jwt_signature_matches_rfc7515_a1_example(void **state)
{
	unsigned char k[64];
	char t[sizeof(rfc_token)];
	struct jwt_claims c;

	(void)state;
	assert_int_equal(b64url_decode(rfc_jwk_k, strlen(rfc_jwk_k), k, sizeof(k)), 64);
	assert_int_equal(k[0], 3);
	assert_int_equal(k[63], 163);
	assert_int_equal(jwt_hs256_signature_ok(rfc_token, k, sizeof(k)), 1);

	/* Flip one bit of the signature ('d' -> 'c' is 29 -> 28 in the first sextet). */
	memcpy(t, rfc_token, sizeof(t));
	assert_int_equal(t[strlen(t) - 43], 'd');
	t[strlen(t) - 43] = 'c';
	assert_int_equal(jwt_hs256_signature_ok(t, k, sizeof(k)), 0);

	/* Flip one bit of the payload ('c' -> 'd' is 28 -> 29, in "eyJpc3Mi..."). */
	memcpy(t, rfc_token, sizeof(t));
	assert_int_equal(t[45], 'c');
	t[45] = 'd';
	assert_int_equal(jwt_hs256_signature_ok(t, k, sizeof(k)), 0);

	/* Flip the last bit of the key. */
	k[63] ^= 1;
	assert_int_equal(jwt_hs256_signature_ok(rfc_token, k, sizeof(k)), 0);
	k[63] ^= 1;

	/*
	 * The full check gets past the header (typ then alg, CRLF whitespace)
	 * and the signature, then refuses the claims: there is no "sub".
	 */
	assert_int_equal(jwt_verify(rfc_token, k, sizeof(k), 1300819380 - 100, &c), JWT_MALFORMED);
	memcpy(t, rfc_token, sizeof(t));
	t[strlen(t) - 43] = 'c';
	assert_int_equal(jwt_verify(t, k, sizeof(k), 1300819380 - 100, &c), JWT_BAD_SIGNATURE);
}

static void jwt_sign_writes_the_exact_header_and_payload(void **state)
{
	struct jwt_claims in = {
	    .sub = 42, .email = "a/b@example.com", .iat = NOW, .exp = NOW + 3600};
	char *tok = NULL;
	char *dot1, *dot2;
	char json[512];
	long n;

	(void)state;
	assert_int_equal(jwt_sign(&in, key, sizeof(key), &tok), JWT_OK);
	assert_non_null(tok);
	dot1 = strchr(tok, '.');
	assert_non_null(dot1);
	dot2 = strchr(dot1 + 1, '.');
	assert_non_null(dot2);
	assert_null(strchr(dot2 + 1, '.'));
	assert_int_equal(dot1 - tok, strlen(STD_HDR_B64));
	assert_memory_equal(tok, STD_HDR_B64, strlen(STD_HDR_B64));
	n = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), json, sizeof(json) - 1);
	assert_true(n > 0);
	json[n] = '\0';
	assert_string_equal(
	    json,
	    "{\"sub\":\"42\",\"email\":\"a/b@example.com\",\"iat\":1700000000,\"exp\":1700003600}");
	assert_int_equal(strlen(dot2 + 1), 43);
	assert_int_equal(jwt_hs256_signature_ok(tok, key, sizeof(key)), 1);
	free(tok);
}

static void jwt_round_trip_gives_back_the_claims(void **state)
{
	static const struct jwt_claims cases[] = {
	    {.sub = 42, .email = "a@b.co", .iat = NOW, .exp = NOW + 3600},
	    {.sub = 1, .email = "", .iat = NOW - 10, .exp = NOW + 1},
	    {.sub = INT64_MAX, .email = "x\"y\\z@example.com", .iat = NOW, .exp = NOW + 60},
	    {.sub = 7, .email = "\xc3\xa9t\xc3\xa9@example.com", .iat = NOW, .exp = NOW + 60},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jwt_claims out;
		char *tok = NULL;

		assert_int_equal(jwt_sign(&cases[i], key, sizeof(key), &tok), JWT_OK);
		assert_int_equal(jwt_verify(tok, key, sizeof(key), NOW, &out), JWT_OK);
		assert_int_equal(out.sub, cases[i].sub);
		assert_string_equal(out.email, cases[i].email);
		assert_int_equal(out.iat, cases[i].iat);
		assert_int_equal(out.exp, cases[i].exp);
		assert_int_equal(jwt_verify(tok, wrong_key, sizeof(wrong_key), NOW, &out),
		                 JWT_BAD_SIGNATURE);
		assert_int_equal(out.sub, 0);
		free(tok);
	}
}

static void jwt_short_keys_are_refused(void **state)
{
	struct jwt_claims in = {.sub = 42, .email = "a@b.co", .iat = NOW, .exp = NOW + 3600};
	struct jwt_claims out;
	char tok[1024];
	char *signed_tok = (char *)1;

	(void)state;
	assert_int_equal(jwt_sign(&in, key, 31, &signed_tok), JWT_INTERNAL);
	assert_null(signed_tok);
	assert_int_equal(jwt_sign(&in, NULL, 0, &signed_tok), JWT_INTERNAL);
	assert_null(signed_tok);
	build(STD_HDR, STD_PAY, SIG_GOOD, tok, sizeof(tok));
	assert_int_equal(jwt_verify(tok, key, 31, NOW, &out), JWT_INTERNAL);
	assert_int_equal(jwt_verify(tok, key, 32, NOW, &out), JWT_BAD_SIGNATURE);
	assert_int_equal(jwt_verify(tok, key, sizeof(key), NOW, &out), JWT_OK);
}

static void jwt_sign_refuses_bad_claims(void **state)
{
	struct jwt_claims in = {.sub = 0, .email = "a@b.co", .iat = NOW, .exp = NOW + 3600};
	char *tok = NULL;

	(void)state;
	assert_int_equal(jwt_sign(&in, key, sizeof(key), &tok), JWT_INTERNAL);
	assert_null(tok);
	in.sub = -5;
	assert_int_equal(jwt_sign(&in, key, sizeof(key), &tok), JWT_INTERNAL);
	assert_null(tok);
}

/* Tokens built from JSON, each with the result jwt_verify must give at NOW. */
struct json_case {
	const char *name;
	const char *hdr;
	const char *pay;
	enum sig_mode sig;
	enum jwt_err want;
};

#define PAY(claims) "{" claims "}"
#define SUB "\"sub\":\"42\","
#define TIMES "\"iat\":1700000000,\"exp\":1700003600"

static const struct json_case json_cases[] = {
    /* Accepted. */
    {"standard token", STD_HDR, STD_PAY, SIG_GOOD, JWT_OK},
    {"typ absent", "{\"alg\":\"HS256\"}", STD_PAY, SIG_GOOD, JWT_OK},
    {"typ lower case", "{\"alg\":\"HS256\",\"typ\":\"jwt\"}", STD_PAY, SIG_GOOD, JWT_OK},
    {"header members reordered", "{\"typ\":\"JWT\",\"alg\":\"HS256\"}", STD_PAY, SIG_GOOD, JWT_OK},
    {"unknown header member", "{\"alg\":\"HS256\",\"kid\":\"1\"}", STD_PAY, SIG_GOOD, JWT_OK},
    {"email absent", STD_HDR, PAY(SUB TIMES), SIG_GOOD, JWT_OK},
    {"unknown claims ignored", STD_HDR,
     PAY(SUB TIMES ",\"jti\":\"x\",\"aud\":[\"a\",\"b\"],\"o\":{\"p\":[1]}"), SIG_GOOD, JWT_OK},
    {"whitespace in json", " { \"alg\" : \"HS256\" } ", "\r\n" STD_PAY "\t ", SIG_GOOD, JWT_OK},
    {"largest sub", STD_HDR, PAY("\"sub\":\"9223372036854775807\"," TIMES), SIG_GOOD, JWT_OK},
    {"nbf now", STD_HDR, PAY(SUB TIMES ",\"nbf\":1700000000"), SIG_GOOD, JWT_OK},
    {"exp within leeway", STD_HDR, PAY(SUB "\"iat\":1699990000,\"exp\":1699999941"), SIG_GOOD,
     JWT_OK},
    {"iat at the leeway", STD_HDR, PAY(SUB "\"iat\":1700000060,\"exp\":1700003600"), SIG_GOOD,
     JWT_OK},
    {"nbf at the leeway", STD_HDR, PAY(SUB TIMES ",\"nbf\":1700000060"), SIG_GOOD, JWT_OK},
    {"the longest lifetime", STD_HDR, PAY(SUB "\"iat\":1700000000,\"exp\":1700086400"), SIG_GOOD,
     JWT_OK},

    /* The algorithm is pinned, and checked before the signature. */
    {"alg none unsigned", "{\"alg\":\"none\",\"typ\":\"JWT\"}", STD_PAY, SIG_EMPTY, JWT_BAD_ALG},
    {"alg none with a valid mac", "{\"alg\":\"none\"}", STD_PAY, SIG_GOOD, JWT_BAD_ALG},
    {"alg None", "{\"alg\":\"None\"}", STD_PAY, SIG_EMPTY, JWT_BAD_ALG},
    {"alg RS256", "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", STD_PAY, SIG_GOOD, JWT_BAD_ALG},
    {"alg HS512", "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", STD_PAY, SIG_GOOD, JWT_BAD_ALG},
    {"alg HS384", "{\"alg\":\"HS384\"}", STD_PAY, SIG_GOOD, JWT_BAD_ALG},
    {"alg hs256", "{\"alg\":\"hs256\",\"typ\":\"JWT\"}", STD_PAY, SIG_GOOD, JWT_BAD_ALG},
    {"alg with a space", "{\"alg\":\"HS256 \"}", STD_PAY, SIG_GOOD, JWT_BAD_ALG},
    {"alg with a NUL", "{\"alg\":\"HS256\\u0000\"}", STD_PAY, SIG_GOOD, JWT_BAD_ALG},
    {"alg missing", "{\"typ\":\"JWT\"}", STD_PAY, SIG_GOOD, JWT_BAD_ALG},
    {"alg not a string", "{\"alg\":[\"HS256\"]}", STD_PAY, SIG_GOOD, JWT_BAD_ALG},
    {"alg null", "{\"alg\":null}", STD_PAY, SIG_GOOD, JWT_BAD_ALG},
    {"alg RS256 with a wrong mac", "{\"alg\":\"RS256\"}", STD_PAY, SIG_WRONG, JWT_BAD_ALG},
    {"typ not JWT", "{\"alg\":\"HS256\",\"typ\":\"JOSE\"}", STD_PAY, SIG_GOOD, JWT_MALFORMED},
    {"typ not a string", "{\"alg\":\"HS256\",\"typ\":1}", STD_PAY, SIG_GOOD, JWT_MALFORMED},
    {"crit header", "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", STD_PAY, SIG_GOOD, JWT_MALFORMED},

    /* The signature. */
    {"wrong key", STD_HDR, STD_PAY, SIG_WRONG, JWT_BAD_SIGNATURE},
    {"empty signature", STD_HDR, STD_PAY, SIG_EMPTY, JWT_BAD_SIGNATURE},
    {"wrong key beats expired", STD_HDR, PAY(SUB "\"iat\":1,\"exp\":2"), SIG_WRONG,
     JWT_BAD_SIGNATURE},
    {"wrong key beats bad claims", STD_HDR, "{\"sub\":1}", SIG_WRONG, JWT_BAD_SIGNATURE},

    /* Times. */
    {"expired", STD_HDR, PAY(SUB "\"iat\":1699990000,\"exp\":1699990001"), SIG_GOOD, JWT_EXPIRED},
    {"expired at the leeway", STD_HDR, PAY(SUB "\"iat\":1699990000,\"exp\":1699999940"), SIG_GOOD,
     JWT_EXPIRED},
    {"iat far in the future", STD_HDR, PAY(SUB "\"iat\":1700086400,\"exp\":1700090000"), SIG_GOOD,
     JWT_NOT_YET_VALID},
    {"iat past the leeway", STD_HDR, PAY(SUB "\"iat\":1700000061,\"exp\":1700003600"), SIG_GOOD,
     JWT_NOT_YET_VALID},
    {"nbf in the future", STD_HDR, PAY(SUB TIMES ",\"nbf\":1700000600"), SIG_GOOD,
     JWT_NOT_YET_VALID},
    {"lifetime a second too long", STD_HDR, PAY(SUB "\"iat\":1700000000,\"exp\":1700086401"),
     SIG_GOOD, JWT_MALFORMED},
    {"exp ten years ahead", STD_HDR, PAY(SUB "\"iat\":1700000000,\"exp\":2015360000"), SIG_GOOD,
     JWT_MALFORMED},
    {"exp far ahead, iat too", STD_HDR, PAY(SUB "\"iat\":9000000000,\"exp\":9000003600"), SIG_GOOD,
     JWT_NOT_YET_VALID},
    {"exp equal to iat", STD_HDR, PAY(SUB "\"iat\":1700000000,\"exp\":1700000000"), SIG_GOOD,
     JWT_MALFORMED},
    {"exp before iat, within the leeway of now", STD_HDR,
     PAY(SUB "\"iat\":1700000000,\"exp\":1699999970"), SIG_GOOD, JWT_MALFORMED},

    /* Claim types and values. */
    {"sub missing", STD_HDR, PAY(TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub a number", STD_HDR, PAY("\"sub\":42," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub null", STD_HDR, PAY("\"sub\":null," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub zero", STD_HDR, PAY("\"sub\":\"0\"," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub negative", STD_HDR, PAY("\"sub\":\"-1\"," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub with a plus", STD_HDR, PAY("\"sub\":\"+1\"," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub with a leading zero", STD_HDR, PAY("\"sub\":\"01\"," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub with a leading space", STD_HDR, PAY("\"sub\":\" 42\"," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub with a trailing space", STD_HDR, PAY("\"sub\":\"42 \"," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub with an inner space", STD_HDR, PAY("\"sub\":\"4 2\"," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub empty", STD_HDR, PAY("\"sub\":\"\"," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub with letters", STD_HDR, PAY("\"sub\":\"42a\"," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub in exponent form", STD_HDR, PAY("\"sub\":\"1e3\"," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"sub over int64", STD_HDR, PAY("\"sub\":\"9223372036854775808\"," TIMES), SIG_GOOD,
     JWT_MALFORMED},
    {"sub far over int64", STD_HDR, PAY("\"sub\":\"99999999999999999999\"," TIMES), SIG_GOOD,
     JWT_MALFORMED},
    {"sub with a NUL", STD_HDR, PAY("\"sub\":\"42\\u0000\"," TIMES), SIG_GOOD, JWT_MALFORMED},
    {"iat missing", STD_HDR, PAY(SUB "\"exp\":1700003600"), SIG_GOOD, JWT_MALFORMED},
    {"exp missing", STD_HDR, PAY(SUB "\"iat\":1700000000"), SIG_GOOD, JWT_MALFORMED},
    {"exp a string", STD_HDR, PAY(SUB "\"iat\":1700000000,\"exp\":\"1700003600\""), SIG_GOOD,
     JWT_MALFORMED},
    {"exp a float", STD_HDR, PAY(SUB "\"iat\":1700000000,\"exp\":1700003600.0"), SIG_GOOD,
     JWT_MALFORMED},
    {"exp in exponent form", STD_HDR, PAY(SUB "\"iat\":1700000000,\"exp\":1.7000036e9"), SIG_GOOD,
     JWT_MALFORMED},
    {"exp past int64", STD_HDR, PAY(SUB "\"iat\":1700000000,\"exp\":99999999999999999999"),
     SIG_GOOD, JWT_MALFORMED},
    {"exp negative", STD_HDR, PAY(SUB "\"iat\":1700000000,\"exp\":-1"), SIG_GOOD, JWT_MALFORMED},
    {"iat a boolean", STD_HDR, PAY(SUB "\"iat\":true,\"exp\":1700003600"), SIG_GOOD, JWT_MALFORMED},
    {"iat a float", STD_HDR, PAY(SUB "\"iat\":1700000000.5,\"exp\":1700003600"), SIG_GOOD,
     JWT_MALFORMED},
    {"nbf a string", STD_HDR, PAY(SUB TIMES ",\"nbf\":\"0\""), SIG_GOOD, JWT_MALFORMED},
    {"email a number", STD_HDR, PAY(SUB TIMES ",\"email\":5"), SIG_GOOD, JWT_MALFORMED},

    /* JSON that is not an object, or not JSON. */
    {"header an array", "[\"HS256\"]", STD_PAY, SIG_GOOD, JWT_MALFORMED},
    {"header a string", "\"HS256\"", STD_PAY, SIG_GOOD, JWT_MALFORMED},
    {"header not json", "alg=HS256", STD_PAY, SIG_GOOD, JWT_MALFORMED},
    {"header with trailing bytes", STD_HDR "x", STD_PAY, SIG_GOOD, JWT_MALFORMED},
    {"header two objects", STD_HDR "{}", STD_PAY, SIG_GOOD, JWT_MALFORMED},
    {"payload an array", STD_HDR, "[1]", SIG_GOOD, JWT_MALFORMED},
    {"payload a number", STD_HDR, "42", SIG_GOOD, JWT_MALFORMED},
    {"payload null", STD_HDR, "null", SIG_GOOD, JWT_MALFORMED},
    {"payload with a trailing comma", STD_HDR, PAY(SUB TIMES ","), SIG_GOOD, JWT_MALFORMED},
    {"payload with single quotes", STD_HDR, "{'sub':'42','iat':1700000000,'exp':1700003600}",
     SIG_GOOD, JWT_MALFORMED},
    {"payload with a comment", STD_HDR, PAY(SUB TIMES "/* x */"), SIG_GOOD, JWT_MALFORMED},
    {"payload not utf-8", STD_HDR, PAY(SUB TIMES ",\"x\":\"\xff\""), SIG_GOOD, JWT_MALFORMED},
    {"payload truncated", STD_HDR, "{\"sub\":\"42\"", SIG_GOOD, JWT_MALFORMED},
    {"deep nesting", STD_HDR, PAY(SUB TIMES ",\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]"),
     SIG_GOOD, JWT_MALFORMED},
    {"deep nesting in the header", "{\"alg\":\"HS256\",\"x\":{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}}",
     STD_PAY, SIG_GOOD, JWT_MALFORMED},
};

static void jwt_verify_gives_the_table_results(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		const struct json_case *tc = &json_cases[i];
		struct jwt_claims c;
		char tok[2 * JWT_MAX_LEN];
		enum jwt_err got;

		build(tc->hdr, tc->pay, tc->sig, tok, sizeof(tok));
		got = jwt_verify(tok, key, sizeof(key), NOW, &c);
		if (got != tc->want)
			fail_msg("%s: got %s, want %s", tc->name, jwt_strerror(got),
			         jwt_strerror(tc->want));
		if (got != JWT_OK && (c.sub != 0 || c.email[0] != '\0' || c.exp != 0))
			fail_msg("%s: claims not cleared on failure", tc->name);
	}
}

static void jwt_email_claim_is_bounded(void **state)
{
	char pay[512], email[300], tok[2048];
	struct jwt_claims c;

	(void)state;
	memset(email, 'e', sizeof(email));
	email[254] = '\0';
	snprintf(pay, sizeof(pay), "{" SUB TIMES ",\"email\":\"%s\"}", email);
	build(STD_HDR, pay, SIG_GOOD, tok, sizeof(tok));
	assert_int_equal(jwt_verify(tok, key, sizeof(key), NOW, &c), JWT_OK);
	assert_int_equal(strlen(c.email), 254);

	email[254] = 'e';
	email[255] = '\0';
	snprintf(pay, sizeof(pay), "{" SUB TIMES ",\"email\":\"%s\"}", email);
	build(STD_HDR, pay, SIG_GOOD, tok, sizeof(tok));
	assert_int_equal(jwt_verify(tok, key, sizeof(key), NOW, &c), JWT_MALFORMED);

	snprintf(pay, sizeof(pay), "{" SUB TIMES ",\"email\":\"a\\u0000b\"}");
	build(STD_HDR, pay, SIG_GOOD, tok, sizeof(tok));
	assert_int_equal(jwt_verify(tok, key, sizeof(key), NOW, &c), JWT_MALFORMED);
}

/* Tokens built from base64url parts, signed over exactly those parts. */
struct raw_case {
	const char *name;
	const char *hdr_b64;
	const char *pay_b64;
	enum sig_mode sig;
	enum jwt_err want;
};

/* STD_PAY is 63 bytes, so its base64url is 84 characters with no padding. */
static const struct raw_case raw_cases[] = {
    {"padding on the header", STD_HDR_B64 "==", NULL, SIG_GOOD, JWT_MALFORMED},
    /* {"sub":"42","iat":1700000000,"exp":1700003600}: 46 bytes, "==" in base64. */
    {"padding on the payload", STD_HDR_B64,
     "eyJzdWIiOiI0MiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ==", SIG_GOOD, JWT_MALFORMED},
    {"half padding on the payload", STD_HDR_B64,
     "eyJzdWIiOiI0MiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ=", SIG_GOOD, JWT_MALFORMED},
    {"payload without padding is fine", STD_HDR_B64,
     "eyJzdWIiOiI0MiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ", SIG_GOOD, JWT_OK},
    {"non-canonical last character", STD_HDR_B64,
     "eyJzdWIiOiI0MiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfR", SIG_GOOD, JWT_MALFORMED},
    {"standard alphabet in the payload", STD_HDR_B64,
     "eyJzdWIiOiI0MiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwf+", SIG_GOOD, JWT_MALFORMED},
    {"bad character in the header", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ*", NULL, SIG_GOOD,
     JWT_MALFORMED},
    {"length 1 mod 4", STD_HDR_B64 "e", NULL, SIG_GOOD, JWT_MALFORMED},
    {"space in the payload", STD_HDR_B64, "eyJzdWIiOiI0Mi IsImlhdCI6", SIG_GOOD, JWT_MALFORMED},
};

static void jwt_verify_rejects_bad_base64url(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(raw_cases) / sizeof(raw_cases[0]); i++) {
		const struct raw_case *tc = &raw_cases[i];
		char pay[256];
		char tok[1024];
		struct jwt_claims c;
		enum jwt_err got;

		if (tc->pay_b64 == NULL)
			enc(STD_PAY, pay, sizeof(pay));
		build_raw(tc->hdr_b64, tc->pay_b64 != NULL ? tc->pay_b64 : pay, tc->sig, tok,
		          sizeof(tok));
		got = jwt_verify(tok, key, sizeof(key), NOW, &c);
		if (got != tc->want)
			fail_msg("%s: got %s, want %s", tc->name, jwt_strerror(got),
			         jwt_strerror(tc->want));
	}
}

/* Splices a good token: its parts are called H, P and S below. */
struct shape_case {
	const char *name;
	const char *fmt; /* H, P, S stand for the three parts */
	enum jwt_err want;
};

static const struct shape_case shape_cases[] = {
    {"the good token itself", "H.P.S", JWT_OK},
    {"no dots", "HPS", JWT_MALFORMED},
    {"one dot", "H.PS", JWT_MALFORMED},
    {"one dot, no signature", "H.P", JWT_MALFORMED},
    {"extra part", "H.P.S.S", JWT_MALFORMED},
    {"trailing dot", "H.P.S.", JWT_MALFORMED},
    {"empty header", ".P.S", JWT_MALFORMED},
    {"empty payload", "H..S", JWT_MALFORMED},
    {"only dots", "..", JWT_MALFORMED},
    {"empty token", "", JWT_MALFORMED},
    {"leading space", " H.P.S", JWT_MALFORMED},
    {"trailing newline", "H.P.S\n", JWT_MALFORMED},
    {"padding on the signature", "H.P.S=", JWT_MALFORMED},
    {"signature twice", "H.P.SS", JWT_MALFORMED},
    {"signature of 3 bytes", "H.P.AAAA", JWT_BAD_SIGNATURE},
    {"signature of 33 bytes", "H.P.SA", JWT_BAD_SIGNATURE},
    {"bad character in the signature", "H.P.S*", JWT_MALFORMED},
    {"tampered header", "h.P.S", JWT_BAD_SIGNATURE},
    {"tampered payload", "H.p.S", JWT_BAD_SIGNATURE},
    {"payload of another token", "H.Q.S", JWT_BAD_SIGNATURE},
};

static void jwt_verify_rejects_bad_shapes_and_tampering(void **state)
{
	struct jwt_claims in = {.sub = 42, .email = "a@b.co", .iat = NOW, .exp = NOW + 3600};
	char *good = NULL, *other = NULL;
	char h[128], p[512], s[64], q[512];
	char tampered_h[128], tampered_p[512];
	char *d1, *d2;

	(void)state;
	assert_int_equal(jwt_sign(&in, key, sizeof(key), &good), JWT_OK);
	in.sub = 43;
	assert_int_equal(jwt_sign(&in, key, sizeof(key), &other), JWT_OK);

	d1 = strchr(good, '.');
	d2 = strchr(d1 + 1, '.');
	snprintf(h, sizeof(h), "%.*s", (int)(d1 - good), good);
	snprintf(p, sizeof(p), "%.*s", (int)(d2 - d1 - 1), d1 + 1);
	snprintf(s, sizeof(s), "%s", d2 + 1);
	d1 = strchr(other, '.');
	d2 = strchr(d1 + 1, '.');
	snprintf(q, sizeof(q), "%.*s", (int)(d2 - d1 - 1), d1 + 1);
	/* The header without "typ", and the payload with sub 1 instead of 42. */
	enc("{\"alg\":\"HS256\"}", tampered_h, sizeof(tampered_h));
	enc("{\"sub\":\"1\",\"email\":\"a@b.co\",\"iat\":1700000000,\"exp\":1700003600}",
	    tampered_p, sizeof(tampered_p));

	for (size_t i = 0; i < sizeof(shape_cases) / sizeof(shape_cases[0]); i++) {
		const struct shape_case *tc = &shape_cases[i];
		char tok[2048] = "";
		size_t n = 0;
		struct jwt_claims c;
		enum jwt_err got;

		for (const char *f = tc->fmt; *f != '\0'; f++) {
			const char *part;

			switch (*f) {
			case 'H':
				part = h;
				break;
			case 'P':
				part = p;
				break;
			case 'S':
				part = s;
				break;
			case 'Q':
				part = q;
				break;
			case 'h':
				part = tampered_h;
				break;
			case 'p':
				part = tampered_p;
				break;
			default:
				tok[n++] = *f;
				tok[n] = '\0';
				continue;
			}
			n += (size_t)snprintf(tok + n, sizeof(tok) - n, "%s", part);
		}
		got = jwt_verify(tok, key, sizeof(key), NOW, &c);
		if (got != tc->want)
			fail_msg("%s: got %s, want %s", tc->name, jwt_strerror(got),
			         jwt_strerror(tc->want));
	}
	assert_int_equal(jwt_verify(NULL, key, sizeof(key), NOW, &(struct jwt_claims){0}),
	                 JWT_MALFORMED);
	free(good);
	free(other);
}

/*
 * A token of exactly JWT_MAX_LEN characters verifies; one character more is
 * refused unparsed, even with a valid signature.
 */
static void jwt_verify_rejects_over_long_tokens(void **state)
{
	int seen_max = 0, seen_over = 0;

	(void)state;
	for (size_t pad = 2900; pad < 3100; pad++) {
		char padding[3200];
		char pay[3400];
		char tok[2 * JWT_MAX_LEN];
		struct jwt_claims c;
		size_t len;

		memset(padding, 'x', pad);
		padding[pad] = '\0';
		snprintf(pay, sizeof(pay), "{" SUB TIMES ",\"pad\":\"%s\"}", padding);
		build(STD_HDR, pay, SIG_GOOD, tok, sizeof(tok));
		len = strlen(tok);
		if (len == JWT_MAX_LEN) {
			seen_max = 1;
			assert_int_equal(jwt_verify(tok, key, sizeof(key), NOW, &c), JWT_OK);
		} else if (len > JWT_MAX_LEN) {
			seen_over = 1;
			assert_int_equal(jwt_hs256_signature_ok(tok, key, sizeof(key)), 0);
			assert_int_equal(jwt_verify(tok, key, sizeof(key), NOW, &c), JWT_MALFORMED);
		}
	}
	assert_true(seen_max);
	assert_true(seen_over);
}

static void jwt_strerror_names_every_error(void **state)
{
	(void)state;
	assert_string_equal(jwt_strerror(JWT_OK), "ok");
	assert_string_equal(jwt_strerror(JWT_MALFORMED), "malformed token");
	assert_string_equal(jwt_strerror(JWT_BAD_ALG), "unsupported algorithm");
	assert_string_equal(jwt_strerror(JWT_BAD_SIGNATURE), "bad signature");
	assert_string_equal(jwt_strerror(JWT_EXPIRED), "token expired");
	assert_string_equal(jwt_strerror(JWT_NOT_YET_VALID), "token not yet valid");
	assert_string_equal(jwt_strerror(JWT_INTERNAL), "internal error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(jwt_signature_matches_rfc7515_a1_example),
	    cmocka_unit_test(jwt_sign_writes_the_exact_header_and_payload),
	    cmocka_unit_test(jwt_round_trip_gives_back_the_claims),
	    cmocka_unit_test(jwt_short_keys_are_refused),
	    cmocka_unit_test(jwt_sign_refuses_bad_claims),
	    cmocka_unit_test(jwt_verify_gives_the_table_results),
	    cmocka_unit_test(jwt_email_claim_is_bounded),
	    cmocka_unit_test(jwt_verify_rejects_bad_base64url),
	    cmocka_unit_test(jwt_verify_rejects_bad_shapes_and_tampering),
	    cmocka_unit_test(jwt_verify_rejects_over_long_tokens),
	    cmocka_unit_test(jwt_strerror_names_every_error),
	};

	return cmocka_run_group_tests_name("jwt", tests, NULL, NULL);
}
