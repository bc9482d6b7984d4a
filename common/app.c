/*
 * app: one request's life around an endpoint's handler. The order of the
 * checks in app_serve() is the contract's precedence (see app.h).
 */
#include "app.h"

#include "db.h"
#include "log.h"
#include "mail.h"
#include "notice.h"
#include "reload.h"
#include "req.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcgios.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Set in a long-lived (FastCGI) process: requests use the kept connection (db.h). */
static int app_long_lived;

/* The request's connection: the kept one in a long-lived process, else a new one. */
static int app_connect(const struct conf *conf, PGconn **db)
{
	return app_long_lived ? db_keep_acquire(conf, db) : db_connect(conf, db);
}

/* The end of the request's use of its connection. */
static void app_disconnect(struct ctx *ctx)
{
	if (ctx->db == NULL)
		return;
	if (app_long_lived)
		db_keep_release(ctx->db);
	else
		db_close(ctx->db);
	ctx->db = NULL;
}

PGconn *app_db(struct ctx *ctx)
{
	PGconn *db = NULL;
	int rc = DB_UNAVAILABLE;

	if (ctx->db != NULL)
		return ctx->db;
	if (ctx->conf != NULL)
		rc = app_connect(ctx->conf, &db);
	if (rc != DB_OK || db == NULL) {
		/* db_connect() has logged why. */
		if (db != NULL && !app_long_lived)
			db_close(db);
		if (rc == DB_MISCONFIGURED || rc == DB_CONFIG)
			http_resp_internal(ctx->resp); /* the settings must change: no retry */
		else
			http_resp_unavailable(ctx->resp);
		return NULL;
	}
	ctx->db = db;
	return db;
}

/* 1 if the request's method is m (methods are case-sensitive, RFC 9110). */
static int app_method_is(const struct http_req *req, const char *m)
{
	return req->method != NULL && strcmp(req->method, m) == 0;
}

/* Adds Allow: "<ep->method>, OPTIONS" (with ep->also after the method). */
static void app_allow(const struct endpoint *ep, struct http_resp *resp)
{
	if (http_resp_header(resp, "Allow", "%s%s%s, OPTIONS", ep->method, ep->also ? ", " : "",
	                     ep->also ? ep->also : "") != 0)
		log_error("could not add the Allow header");
}

/* 1 if the request is a PATCH that ep serves (its second method): its body goes through the gates. */
static int app_is_patch(const struct endpoint *ep, const struct http_req *req)
{
	return ep->also != NULL && strcmp(ep->also, "PATCH") == 0 && app_method_is(req, "PATCH");
}

/* 1 if the request's body is absent: a declared length of 0, or nothing read without one. */
static int app_body_absent(const struct http_req *req)
{
	if (req->content_length != NULL)
		return http_req_content_length(req) == 0;
	return !req->body_too_large && !req->body_incomplete && req->body_len == 0;
}

/* OPTIONS: 204 and Allow; the preflight headers for an allowed origin that asked. */
static void app_options(const struct endpoint *ep, const struct http_req *req,
                        struct http_resp *resp, int cors_ok)
{
	resp->status = 204;
	app_allow(ep, resp);
	if (!cors_ok || req->acr_method == NULL || *req->acr_method == '\0')
		return;
	if (http_resp_header(resp, "Access-Control-Allow-Methods", "%s%s%s, OPTIONS", ep->method,
	                     ep->also ? ", " : "", ep->also ? ep->also : "") != 0 ||
	    http_resp_header(resp, "Access-Control-Allow-Headers", "Authorization, Content-Type") !=
	        0 ||
	    http_resp_header(resp, "Access-Control-Max-Age", "600") != 0)
		log_error("could not add the CORS preflight headers");
}

/*
 * The POST gates: 413, 415, 400. Returns the parsed object (the caller
 * json_object_put()s it), or NULL with the response set.
 */
static json_object *app_post_body(const struct http_req *req, struct http_resp *resp)
{
	json_object *obj = NULL;

	if (http_req_content_length(req) > HTTP_BODY_MAX || req->body_too_large) {
		http_resp_detail(resp, 413, "Request body too large");
		return NULL;
	}
	if (!http_req_is_json(req)) {
		http_resp_detail(resp, 415, "Unsupported media type: use application/json");
		return NULL;
	}
	if (req->body_incomplete || req->body == NULL || req->body_len == 0 ||
	    req_json_parse(req->body, req->body_len, &obj) != 0 || obj == NULL) {
		http_resp_detail(resp, 400, "Invalid JSON body");
		return NULL;
	}
	return obj;
}

void app_mail_after(struct ctx *ctx, int64_t mail_id)
{
	if (mail_id > 0)
		ctx->mail_id = mail_id;
}

void app_answer_not_before(struct ctx *ctx, long ms)
{
	ctx->answer_floor_ms = ms > 0 ? ms : 0;
}

/* Sleeps until ctx->answer_floor_ms after ctx->started, if that is still ahead. */
static void app_wait_for_floor(const struct ctx *ctx)
{
	struct timespec until = ctx->started;

	if (ctx->answer_floor_ms <= 0)
		return;
	until.tv_sec += ctx->answer_floor_ms / 1000;
	until.tv_nsec += (ctx->answer_floor_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
}

/*
 * Warns, at most once a day across every process (notice.h), that
 * X-Forwarded-For came through a proxy TRUSTED_PROXIES does not name.
 */
static void app_warn_proxy(struct ctx *ctx)
{
	if (!ctx->client.forwarded_ignored || ctx->db == NULL)
		return;
	if (notice_due(ctx->db, "trusted_proxies", NOTICE_EVERY_DAY) == 1)
		log_warn(
		    "X-Forwarded-For came from %s, which is not in TRUSTED_PROXIES: every client "
		    "behind that proxy shares one address budget; set TRUSTED_PROXIES (said at "
		    "most once a day)",
		    ctx->client.addr);
}

/*
 * Everything app_serve() does but delivering mail and releasing: the gates in
 * the contract's order, then the handler. *body gets the parsed POST body
 * (the caller json_object_put()s it).
 */
static void app_dispatch(const struct endpoint *ep, struct ctx *ctx, json_object **body)
{
	const struct conf *conf = ctx->conf;
	const struct http_req *req = ctx->req;
	struct http_resp *resp = ctx->resp;
	int cors_ok = 0;

	*body = NULL;
	if (conf == NULL) {
		/* The configuration error was logged once, where it was loaded. */
		http_resp_internal(resp);
		return;
	}
	if (ep == NULL || ep->method == NULL || ep->handle == NULL) {
		log_error("endpoint is not declared completely");
		http_resp_internal(resp);
		return;
	}
	/* First, so that every response below, errors included, carries them. */
	cors_ok = http_cors(resp, conf->cors_origins, req->origin);

	if (app_method_is(req, "OPTIONS")) {
		app_options(ep, req, resp, cors_ok);
		return;
	}
	/*
	 * A page of an allowed origin may read only CORS-safelisted response
	 * headers and those listed here: a 401's WWW-Authenticate (refresh on
	 * error="invalid_token") and the Retry-After of a 429 or 503.
	 */
	if (cors_ok && http_resp_header(resp, "Access-Control-Expose-Headers",
	                                "WWW-Authenticate, Retry-After") != 0)
		log_error("could not add the CORS expose header");
	/* HEAD is GET without the body (RFC 9110 9.3.2): same status and headers. */
	if (strcmp(ep->method, "GET") == 0 && app_method_is(req, "HEAD")) {
		resp->head = 1;
	} else if (!app_method_is(req, ep->method) &&
	           (ep->also == NULL || !app_method_is(req, ep->also))) {
		http_resp_detail(resp, 405, "Method Not Allowed");
		app_allow(ep, resp);
		return;
	}
	if ((strcmp(ep->method, "POST") == 0 || app_is_patch(ep, req)) &&
	    !(ep->body_optional && app_body_absent(req))) {
		*body = app_post_body(req, resp);
		if (*body == NULL)
			return;
		ctx->body = *body;
	}
	/* The request's client, once: REMOTE_ADDR, X-Forwarded-For, User-Agent. */
	client_resolve(&ctx->client, conf != NULL ? conf->trusted_proxies : NULL, req->remote_addr,
	               req->forwarded_for, req->user_agent);
	ep->handle(ctx);
	if (resp->status == 0) {
		log_error("handler left no response");
		http_resp_internal(resp);
	}
	app_warn_proxy(ctx);
}

static void app_ctx_init(struct ctx *ctx, const struct conf *conf, const struct http_req *req,
                         struct http_resp *resp)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->conf = conf;
	ctx->req = req;
	ctx->resp = resp;
	ctx->now = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &ctx->started);
}

/* Delivers the queued mail, if any, on the request's connection (opened if need be). */
static void app_deliver(struct ctx *ctx)
{
	if (ctx->mail_id <= 0 || ctx->conf == NULL)
		return;
	if (ctx->db == NULL && app_connect(ctx->conf, &ctx->db) != DB_OK) {
		ctx->db = NULL;
		log_warn("mail %lld waits in the outbox", (long long)ctx->mail_id);
		return;
	}
	(void)mail_outbox_deliver_id(ctx->db, ctx->conf, ctx->mail_id);
	ctx->mail_id = 0;
}

void app_serve(const struct endpoint *ep, const struct conf *conf, const struct http_req *req,
               struct http_resp *resp)
{
	struct ctx ctx;
	json_object *body = NULL;

	app_ctx_init(&ctx, conf, req, resp);
	app_dispatch(ep, &ctx, &body);
	app_deliver(&ctx);
	app_disconnect(&ctx);
	json_object_put(body);
}

/* 1 if fd is a pipe or socket: a web server reading it until it ends. */
static int app_fd_is_stream(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/* Points fd at /dev/null. */
static void app_fd_null(int fd, int flags)
{
	int n = open("/dev/null", flags);

	if (n >= 0 && n != fd) {
		(void)dup2(n, fd);
		close(n);
	}
}

/*
 * After the answer is ended (app_end_cgi_answer(); stream: stderr was a pipe
 * or socket, and is /dev/null now): delivers the queued mail from a child process in a session of its own, which
 * outlives whatever a web server does to this one once the answer is
 * complete (Apache's mod_cgi sends SIGTERM, then SIGKILL after 3 s; lighttpd
 * sends SIGTERM), so a slow mail server is waited for by nobody. Until then
 * this process ignores SIGTERM (from the answer's end on).
 *
 * When stderr is a pipe or socket, the web server also waits for it to end:
 * it was pointed at /dev/null with the answer's end, mail or not, so every
 * answer ends at the same point; this process then returns without waiting, and the child
 * runs at a lower priority with its log lines lost. Otherwise (a shell, the
 * tests, a server that logs the program's stderr to a file) the child logs
 * as usual and this process waits for it, so the mail is out when it exits.
 * A child that could not be started leaves the mail to medicalcare-outbox.
 */
static void app_after_answer(struct ctx *ctx, int stream)
{
	pid_t pid;

	if (ctx->mail_id <= 0 || ctx->conf == NULL)
		return;
	/* The child opens its own connection: this one ends with this process. */
	if (ctx->db != NULL) {
		db_close(ctx->db);
		ctx->db = NULL;
	}
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		log_warn("could not start the mail sender: mail %lld waits in the outbox",
		         (long long)ctx->mail_id);
		return;
	}
	if (pid > 0) {
		if (!stream)
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		return;
	}
	(void)setsid();
	app_fd_null(STDIN_FILENO, O_RDONLY);
	app_fd_null(STDOUT_FILENO, O_WRONLY);
	if (stream)
		(void)setpriority(PRIO_PROCESS, 0, 10);
	app_deliver(ctx);
}

/*
 * Reads the body of a request that will be parsed: a 413 is answered unread,
 * and one without a length (chunked) is read up to HTTP_BODY_MAX, then
 * refused. A short body sets body_incomplete: a 400.
 */
static void app_read_body(const struct endpoint *ep, struct http_req *req, FILE *in)
{
	long long len = http_req_content_length(req);

	if (ep->method != NULL &&
	    ((strcmp(ep->method, "POST") == 0 && app_method_is(req, "POST")) ||
	     app_is_patch(ep, req)) &&
	    (http_req_is_json(req) || (ep->body_optional && req->content_length == NULL)) &&
	    (req->content_length == NULL || (len >= 0 && len <= HTTP_BODY_MAX)))
		(void)http_req_read_body(req, in);
}

/*
 * One request, from its parameters and body to the written answer: the
 * body read from in, served, held back to its floor, written to out.
 * *body gets the parsed POST body (the caller json_object_put()s it); ctx
 * keeps what comes after the answer (mail, the connection).
 */
static void app_answer(const struct endpoint *ep, struct ctx *ctx, struct http_req *req, FILE *in,
                       FILE *out, json_object **body)
{
	app_read_body(ep, req, in);
	app_dispatch(ep, ctx, body);
	app_wait_for_floor(ctx);
	if (http_resp_write(ctx->resp, out) != 0)
		log_warn("could not write the response");
}

/* 1 if fd 0 is a listening socket: started by a FastCGI process manager. */
static int app_fd0_listening(void)
{
	int on = 0;
	socklen_t len = sizeof(on);

	return getsockopt(STDIN_FILENO, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

/* A FastCGI stream as a stdio FILE (fopencookie), so http.c reads and writes it as stdin and stdout. */
static ssize_t app_fcgx_read(void *cookie, char *buf, size_t n)
{
	int got = FCGX_GetStr(buf, n > INT_MAX ? INT_MAX : (int)n, (FCGX_Stream *)cookie);

	return got < 0 ? -1 : got;
}

static ssize_t app_fcgx_write(void *cookie, const char *buf, size_t n)
{
	int put = FCGX_PutStr(buf, n > INT_MAX ? INT_MAX : (int)n, (FCGX_Stream *)cookie);

	return put < 0 ? 0 : put; /* fopencookie: 0 is the error */
}

static FILE *app_fcgx_file(FCGX_Stream *stream, const char *mode)
{
	cookie_io_functions_t io = {.read = app_fcgx_read, .write = app_fcgx_write};

	return fopencookie(stream, mode, io);
}

/*
 * The FastCGI request in hand, and whether the loop waits in FCGX_Accept_r():
 * SIGTERM then ends the process at once (nothing is in hand while no
 * connection is accepted yet, ipcFd < 0), and otherwise only once the request
 * in hand is answered. (Plain loads of an int and a sig_atomic_t.)
 */
static FCGX_Request app_fcgx;
static volatile sig_atomic_t app_waiting;
static volatile sig_atomic_t app_stop;

static void app_on_term(int sig)
{
	(void)sig;
	app_stop = 1;
	if (app_waiting && app_fcgx.ipcFd < 0)
		_exit(0);
}

/* One FastCGI request: answered, finished (the web server has it all), then its mail. */
static void app_fcgi_one(const struct endpoint *ep, const struct conf *conf)
{
	struct http_req req;
	struct http_resp resp;
	struct ctx ctx;
	json_object *body = NULL;
	FILE *in = app_fcgx_file(app_fcgx.in, "r");
	FILE *out = app_fcgx_file(app_fcgx.out, "w");

	http_req_from_params(&req, app_fcgx.envp);
	http_resp_init(&resp);
	app_ctx_init(&ctx, conf, &req, &resp);
	if (in == NULL || out == NULL) {
		log_error("out of memory for the request's streams");
		http_resp_internal(&resp);
		if (out != NULL)
			(void)http_resp_write(&resp, out);
	} else {
		app_answer(ep, &ctx, &req, in, out, &body);
	}
	if (in != NULL)
		fclose(in);
	if (out != NULL && fclose(out) != 0)
		log_warn("could not write the response");
	/* The answer is complete; the request's parameters are gone after this. */
	FCGX_Finish_r(&app_fcgx);
	app_deliver(&ctx);
	app_disconnect(&ctx);
	json_object_put(body);
	http_resp_release(&resp);
	http_req_release(&req);
}

/*
 * The FastCGI loop: requests on the listening socket on fd 0 until
 * FCGI_MAX_REQUESTS were served, SIGTERM, or accepting fails. The settings
 * are read again when the env file changes (reload.h); the database
 * connection is kept (db.h) and dropped when the settings change.
 */
static int app_fcgi_main(const struct endpoint *ep)
{
	struct reload rl;
	struct sigaction sa;
	long served = 0;
	int changed = 0;

	memset(&rl, 0, sizeof(rl));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = app_on_term;
	sa.sa_flags = SA_RESTART; /* reads and writes of a request are not cut short */
	sigemptyset(&sa.sa_mask);
	app_long_lived = 1;
#ifdef M_MMAP_THRESHOLD
	/*
	 * A fixed threshold: blocks of 128 KiB and more are always mapped on
	 * their own and unmapped by free(). glibc's default raises the
	 * threshold after each such free, so the second 19 MiB Argon2 block
	 * would come from the heap and stay resident in an idle process.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
	if (FCGX_Init() != 0 || FCGX_InitRequest(&app_fcgx, STDIN_FILENO, 0) != 0) {
		log_error("could not start FastCGI");
		return 1;
	}
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	while (!app_stop) {
		const struct conf *conf;
		int rc;

		app_waiting = 1;
		if (app_stop) /* SIGTERM came before the flag was up */
			break;
		rc = FCGX_Accept_r(&app_fcgx);
		app_waiting = 0;
		if (rc < 0) {
			if (!app_stop)
				log_error("FastCGI: could not accept a request (%d)", rc);
			break;
		}
		conf = reload_current(&rl, &changed);
		if (changed)
			db_keep_drop(); /* the database settings may have changed */
		app_fcgi_one(ep, conf);
		served++;
		if (conf != NULL && served >= conf->fcgi_max_requests)
			break;
	}
	FCGX_Free(&app_fcgx, 1);
	OS_LibShutdown(); /* FCGX_Init's table of libfcgi, else never freed */
	db_keep_drop();
	reload_release(&rl);
	return 0;
}

/* What app_end_cgi_answer() discards of a body left unread, at most. */
#define APP_DRAIN_MAX (8 * 1024 * 1024)
#define APP_DRAIN_MS 5000

/*
 * Ends a CGI answer: written, its end sent at once (shutdown() where stdout
 * is a socket, as under mod_cgid, whose one socket is stdin too and so
 * stays open after fclose(stdout)), stdout closed, and stderr pointed at
 * /dev/null where it is a pipe or socket (Apache reads it with stdout, and
 * the answer has not ended for it until both have). Apache ignores a CGI
 * program's Content-Length and sets one only when it finds the whole answer
 * and its end there together (else it sends it chunked; mod_buffer, which
 * stock Debian lacks, reads it all first), so the sooner the end, the
 * likelier a Content-Length. Returns 1 if stderr was a pipe or socket (see
 * app_after_answer()). Where stdin is a socket and req's body was left
 * unread (a chunked body refused past HTTP_BODY_MAX, a declared one refused
 * unread), what the server still sends of it is then read and discarded,
 * up to its end (mod_cgid shuts its side once the body is sent) or
 * APP_DRAIN_MAX bytes or APP_DRAIN_MS: closing a socket with data unread
 * resets it, and the answer in flight would be lost (mod_cgid: no answer
 * at all). Without a declared length and nothing read, only what has come
 * already is read (there may be no body at all).
 */
static int app_end_cgi_answer(const struct http_req *req)
{
	long long cl = http_req_content_length(req);
	int limit_ms;
	int stream = app_fd_is_stream(STDERR_FILENO);
	char buf[16384];
	size_t drained = 0;
	int type = 0;
	socklen_t len = sizeof(type);
	struct timespec start, now;
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};

	/* A web server may end this process once the answer has ended (see app_after_answer()). */
	signal(SIGTERM, SIG_IGN);
	if (fflush(stdout) != 0)
		log_warn("could not write the response");
	if (stream) {
		fflush(stderr);
		app_fd_null(STDERR_FILENO, O_WRONLY);
	}
	(void)shutdown(STDOUT_FILENO, SHUT_WR); /* ENOTSOCK for a pipe: fclose() is the end then */
	(void)fclose(stdout);
	if (req->body_too_large || (cl > 0 && req->body == NULL && !req->body_incomplete))
		limit_ms = APP_DRAIN_MS;
	else if (cl < 0 && req->body == NULL)
		limit_ms = 0;
	else
		return stream;
	if (getsockopt(STDIN_FILENO, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		return stream;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (drained < APP_DRAIN_MAX) {
		long ms;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L;
		if (ms > limit_ms || poll(&pfd, 1, ms >= limit_ms ? 0 : (int)(limit_ms - ms)) <= 0)
			break;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		drained += (size_t)n;
	}
	return stream;
}

/* The CGI main: one request from the environment and stdin. */
static int app_cgi_main(const struct endpoint *ep, const struct timespec *started)
{
	struct conf conf;
	const struct conf *cp = NULL;
	struct http_req req;
	struct http_resp resp;
	struct ctx ctx;
	json_object *body = NULL;
	char err[512] = "";
	int stream;

	memset(&conf, 0, sizeof(conf));
	if (conf_load(&conf, err, sizeof(err)) != 0)
		log_error("configuration error: %s", err);
	else
		cp = &conf;

	http_req_from_env(&req);
	http_resp_init(&resp);
	app_ctx_init(&ctx, cp, &req, &resp);
	ctx.started = *started;
	app_answer(ep, &ctx, &req, stdin, stdout, &body);
	/*
	 * The end of the answer, at once rather than at exit: a web server that
	 * reads the answer before the program's exit cleanup is over would
	 * otherwise see no end yet and send it chunked.
	 */
	stream = app_end_cgi_answer(&req);
	app_after_answer(&ctx, stream);

	app_disconnect(&ctx);
	json_object_put(body);
	http_resp_release(&resp);
	http_req_release(&req);
	conf_release(&conf);
	return 0;
}

int app_main(const struct endpoint *ep)
{
	struct timespec started;

	clock_gettime(CLOCK_MONOTONIC, &started);
	signal(SIGPIPE, SIG_IGN);
	log_set_program(ep->name);
	if (app_fd0_listening())
		return app_fcgi_main(ep);
	return app_cgi_main(ep, &started);
}
