/*
 * mail_smtp: the SMTP transport through libcurl (mail_smtp.h), after curl's
 * docs/examples/smtp-mail.c.
 */
#include "mail_smtp.h"

#include "libcurl.h"
#include "mail.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

struct upload {
	const char *p;
	size_t left;
};

static size_t upload_read(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->left)
		n = u->left;
	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* Loading libcurl and curl_global_init() are done once, by the first send. */
static int curl_ready;

/* 0, or -1 with err set ("smtp: ..."). */
static int curl_setup(char *err, size_t errlen)
{
	char why[256];

	if (curl_ready)
		return 0;
	if (libcurl_load(why, sizeof(why)) != 0) { /* also logged by the loader */
		snprintf(err, errlen, "smtp: could not load %s: %s", LIBCURL_SONAME, why);
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "smtp: could not initialize libcurl");
		return -1;
	}
	curl_ready = 1;
	return 0;
}

/* mail_sender.cleanup: curl_global_cleanup() after a curl_global_init(). */
static void smtp_cleanup(void)
{
	if (curl_ready) {
		curl_global_cleanup();
		curl_ready = 0;
	}
}

/* A host name or address literal for the URL: letters, digits, '.', '-', '_' or ':' (IPv6). */
static int host_ok(const char *h)
{
	if (h == NULL || h[0] == '\0' || strlen(h) > 253)
		return 0;
	for (const char *p = h; *p != '\0'; p++) {
		char ch = *p;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' || ch == ':'))
			return 0;
	}
	return 1;
}

/* mail_sender.send: from and to are valid addresses (mail.c checked them). */
static enum mail_send_rc smtp_send(const struct conf *c, const char *from, const char *to,
                                   const char *msg, size_t len, char *err, size_t errlen)
{
	const char *host = c->smtp_server != NULL ? c->smtp_server : "localhost";
	const char *scheme = c->smtp_security == SMTP_SECURITY_TLS ? "smtps" : "smtp";
	int v6 = strchr(host, ':') != NULL;
	struct upload up = {msg, len};
	struct curl_slist *rcpt = NULL;
	struct sigaction ign, old;
	char url[300], env_from[340], env_to[340];
	long timeout = c->smtp_timeout > 0 ? c->smtp_timeout : 10;
	long code = 0;
	CURL *h = NULL;
	CURLcode cr;
	enum mail_send_rc rc = MAIL_TEMPFAIL;

	if (!host_ok(host) || c->smtp_port <= 0 || c->smtp_port > 65535) {
		snprintf(err, errlen, "smtp: invalid SMTP_SERVER or SMTP_PORT");
		return MAIL_TEMPFAIL;
	}
	if (snprintf(url, sizeof(url), "%s://%s%s%s:%d", scheme, v6 ? "[" : "", host, v6 ? "]" : "",
	             c->smtp_port) >= (int)sizeof(url) ||
	    snprintf(env_from, sizeof(env_from), "<%s>", from) >= (int)sizeof(env_from) ||
	    snprintf(env_to, sizeof(env_to), "<%s>", to) >= (int)sizeof(env_to)) {
		snprintf(err, errlen, "smtp: address too long");
		return MAIL_PERMFAIL;
	}
	if (curl_setup(err, errlen) != 0)
		return MAIL_TEMPFAIL;
	h = curl_easy_init();
	rcpt = curl_slist_append(NULL, env_to);
	if (h == NULL || rcpt == NULL) {
		snprintf(err, errlen, "smtp: out of memory");
		goto out;
	}
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_FROM, env_from) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READDATA, &up) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) != CURLE_OK) {
		snprintf(err, errlen, "smtp: could not set up libcurl");
		goto out;
	}
	if (c->smtp_security != SMTP_SECURITY_NONE &&
	    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL) != CURLE_OK) {
		snprintf(err, errlen, "smtp: libcurl has no TLS");
		goto out;
	}
	if (c->smtp_ca_file != NULL && c->smtp_ca_file[0] != '\0' &&
	    curl_easy_setopt(h, CURLOPT_CAINFO, c->smtp_ca_file) != CURLE_OK) {
		snprintf(err, errlen, "smtp: could not set SMTP_CA_FILE");
		goto out;
	}
	if (c->smtp_password != NULL && c->smtp_password[0] != '\0' &&
	    (curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_email != NULL ? c->smtp_email : "") !=
	         CURLE_OK ||
	     curl_easy_setopt(h, CURLOPT_PASSWORD, c->smtp_password) != CURLE_OK)) {
		snprintf(err, errlen, "smtp: could not set the login");
		goto out;
	}

	/* A server that drops the connection must not kill the process. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	cr = curl_easy_perform(h);
	sigaction(SIGPIPE, &old, NULL);

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (cr == CURLE_OK) {
		rc = MAIL_SENT;
		goto out;
	}
	snprintf(err, errlen, "smtp: %s, reply %ld", curl_easy_strerror(cr), code);
	/* A refused login is the server's settings, not the message's fault:
	 * the mail waits until SMTP_EMAIL/SMTP_PASSWORD are put right. */
	if (cr == CURLE_LOGIN_DENIED)
		rc = MAIL_TEMPFAIL;
	else if ((cr == CURLE_SEND_ERROR || cr == CURLE_RECV_ERROR || cr == CURLE_UPLOAD_FAILED ||
	          cr == CURLE_WEIRD_SERVER_REPLY) &&
	         code >= 500 && code <= 599)
		rc = MAIL_PERMFAIL;
	else
		rc = MAIL_TEMPFAIL;
out:
	curl_slist_free_all(rcpt);
	if (h != NULL)
		curl_easy_cleanup(h);
	return rc;
}

static const struct mail_sender smtp_sender = {.send = smtp_send, .cleanup = smtp_cleanup};

void mail_smtp_enable(void)
{
	mail_set_smtp(&smtp_sender);
}
