/*
 * serve: a program's process around app_serve(): one CGI request, or the
 * FastCGI loop (serve.h).
 */
#include "serve.h"

#include "db.h"
#include "log.h"
#include "reload.h"

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

/* 1 if fd is a pipe or socket: a web server reading it until it ends. */
static int serve_fd_is_stream(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/* Points fd at /dev/null. */
static void serve_fd_null(int fd, int flags)
{
	int n = open("/dev/null", flags);

	if (n >= 0 && n != fd) {
		(void)dup2(n, fd);
		close(n);
	}
}

/*
 * After the answer is ended (serve_end_cgi_answer(); stream: stderr was a pipe
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
static void serve_after_answer(struct ctx *ctx, int stream)
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
	serve_fd_null(STDIN_FILENO, O_RDONLY);
	serve_fd_null(STDOUT_FILENO, O_WRONLY);
	if (stream)
		(void)setpriority(PRIO_PROCESS, 0, 10);
	app_deliver(ctx);
}

/* 1 if fd 0 is a listening socket: started by a FastCGI process manager. */
static int serve_fd0_listening(void)
{
	int on = 0;
	socklen_t len = sizeof(on);

	return getsockopt(STDIN_FILENO, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

/* A FastCGI stream as a stdio FILE (fopencookie), so http.c reads and writes it as stdin and stdout. */
static ssize_t serve_fcgx_read(void *cookie, char *buf, size_t n)
{
	int got = FCGX_GetStr(buf, n > INT_MAX ? INT_MAX : (int)n, (FCGX_Stream *)cookie);

	return got < 0 ? -1 : got;
}

static ssize_t serve_fcgx_write(void *cookie, const char *buf, size_t n)
{
	int put = FCGX_PutStr(buf, n > INT_MAX ? INT_MAX : (int)n, (FCGX_Stream *)cookie);

	return put < 0 ? 0 : put; /* fopencookie: 0 is the error */
}

static FILE *serve_fcgx_file(FCGX_Stream *stream, const char *mode)
{
	cookie_io_functions_t io = {.read = serve_fcgx_read, .write = serve_fcgx_write};

	return fopencookie(stream, mode, io);
}

/*
 * The FastCGI request in hand, and whether the loop waits in FCGX_Accept_r():
 * SIGTERM then ends the process at once (nothing is in hand while no
 * connection is accepted yet, ipcFd < 0), and otherwise only once the request
 * in hand is answered. (Plain loads of an int and a sig_atomic_t.)
 */
static FCGX_Request serve_fcgx;
static volatile sig_atomic_t serve_waiting;
static volatile sig_atomic_t serve_stop;

static void serve_on_term(int sig)
{
	(void)sig;
	serve_stop = 1;
	if (serve_waiting && serve_fcgx.ipcFd < 0)
		_exit(0);
}

/* One FastCGI request: answered, finished (the web server has it all), then its mail. */
static void serve_fcgi_one(const struct endpoint *ep, const struct conf *conf)
{
	struct http_req req;
	struct http_resp resp;
	struct ctx ctx;
	json_object *body = NULL;
	FILE *in = serve_fcgx_file(serve_fcgx.in, "r");
	FILE *out = serve_fcgx_file(serve_fcgx.out, "w");

	http_req_from_params(&req, serve_fcgx.envp);
	http_resp_init(&resp);
	app_begin(&ctx, conf, &req, &resp);
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
	FCGX_Finish_r(&serve_fcgx);
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
static int serve_fcgi_main(const struct endpoint *ep)
{
	struct reload rl;
	struct sigaction sa;
	long served = 0;
	int changed = 0;

	memset(&rl, 0, sizeof(rl));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = serve_on_term;
	sa.sa_flags = SA_RESTART; /* reads and writes of a request are not cut short */
	sigemptyset(&sa.sa_mask);
	app_set_long_lived();
#ifdef M_MMAP_THRESHOLD
	/*
	 * A fixed threshold: blocks of 128 KiB and more are always mapped on
	 * their own and unmapped by free(). glibc's default raises the
	 * threshold after each such free, so a later large block would come
	 * from the heap and stay resident in an idle process. (Argon2's 19 MiB
	 * does not come from malloc: argon2mem.h maps and unmaps it.)
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
	if (FCGX_Init() != 0 || FCGX_InitRequest(&serve_fcgx, STDIN_FILENO, 0) != 0) {
		log_error("could not start FastCGI");
		return 1;
	}
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	while (!serve_stop) {
		const struct conf *conf;
		int rc;

		serve_waiting = 1;
		if (serve_stop) /* SIGTERM came before the flag was up */
			break;
		rc = FCGX_Accept_r(&serve_fcgx);
		serve_waiting = 0;
		if (rc < 0) {
			if (!serve_stop)
				log_error("FastCGI: could not accept a request (%d)", rc);
			break;
		}
		conf = reload_current(&rl, &changed);
		if (changed)
			db_keep_drop(); /* the database settings may have changed */
		serve_fcgi_one(ep, conf);
		served++;
		if (conf != NULL && served >= conf->fcgi_max_requests)
			break;
	}
	FCGX_Free(&serve_fcgx, 1);
	OS_LibShutdown(); /* FCGX_Init's table of libfcgi, else never freed */
	db_keep_drop();
	reload_release(&rl);
	return 0;
}

/* What serve_end_cgi_answer() discards of a body left unread, at most. */
#define SERVE_DRAIN_MAX (8 * 1024 * 1024)
#define SERVE_DRAIN_MS 5000

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
 * serve_after_answer()). Where stdin is a socket and req's body was left
 * unread (a chunked body refused past HTTP_BODY_MAX, a declared one refused
 * unread), what the server still sends of it is then read and discarded,
 * up to its end (mod_cgid shuts its side once the body is sent) or
 * SERVE_DRAIN_MAX bytes or SERVE_DRAIN_MS: closing a socket with data unread
 * resets it, and the answer in flight would be lost (mod_cgid: no answer
 * at all). Without a declared length and nothing read, only what has come
 * already is read (there may be no body at all).
 */
static int serve_end_cgi_answer(const struct http_req *req)
{
	long long cl = http_req_content_length(req);
	int limit_ms;
	int stream = serve_fd_is_stream(STDERR_FILENO);
	char buf[16384];
	size_t drained = 0;
	int type = 0;
	socklen_t len = sizeof(type);
	struct timespec start, now;
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};

	/* A web server may end this process once the answer has ended (see serve_after_answer()). */
	signal(SIGTERM, SIG_IGN);
	if (fflush(stdout) != 0)
		log_warn("could not write the response");
	if (stream) {
		fflush(stderr);
		serve_fd_null(STDERR_FILENO, O_WRONLY);
	}
	(void)shutdown(STDOUT_FILENO, SHUT_WR); /* ENOTSOCK for a pipe: fclose() is the end then */
	(void)fclose(stdout);
	if (req->body_too_large || (cl > 0 && req->body == NULL && !req->body_incomplete))
		limit_ms = SERVE_DRAIN_MS;
	else if (cl < 0 && req->body == NULL)
		limit_ms = 0;
	else
		return stream;
	if (getsockopt(STDIN_FILENO, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		return stream;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (drained < SERVE_DRAIN_MAX) {
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
static int serve_cgi_main(const struct endpoint *ep, const struct timespec *started)
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
	app_begin(&ctx, cp, &req, &resp);
	ctx.started = *started;
	app_answer(ep, &ctx, &req, stdin, stdout, &body);
	/*
	 * The end of the answer, at once rather than at exit: a web server that
	 * reads the answer before the program's exit cleanup is over would
	 * otherwise see no end yet and send it chunked.
	 */
	stream = serve_end_cgi_answer(&req);
	serve_after_answer(&ctx, stream);

	app_disconnect(&ctx);
	json_object_put(body);
	http_resp_release(&resp);
	http_req_release(&req);
	conf_release(&conf);
	return 0;
}

int serve_main(const struct endpoint *ep)
{
	struct timespec started;

	clock_gettime(CLOCK_MONOTONIC, &started);
	signal(SIGPIPE, SIG_IGN);
	log_set_program(ep->name);
	if (serve_fd0_listening())
		return serve_fcgi_main(ep);
	return serve_cgi_main(ep, &started);
}
