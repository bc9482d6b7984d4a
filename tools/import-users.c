/*
 * medicalcare-import-users: imports the accounts of the FastAPI version from
 * a CSV export of its users table (docs/MIGRATION.md says how to make one).
 *
 *   medicalcare-import-users [--dry-run] [--skip-invalid] FILE.csv
 *   medicalcare-import-users [--dry-run] [--skip-invalid] -     (standard input)
 *
 * The CSV has a header row naming the columns email, full_name, password_hash,
 * is_verified, in that order. PostgreSQL parses it (COPY ... FORMAT csv into
 * a temporary table); each row is then checked here with the rules of signup:
 * the email is normalized as signup does (trimmed, lower-cased) and must be
 * valid, the full name likewise, the hash must be one pw_verify() accepts
 * (bcrypt $2a$/$2b$/$2y$ cost 4 to 16, or argon2id), is_verified one of
 * true/false/t/f/1/0 (any case). Two rows with the same email are both
 * invalid but the first. The valid rows go in in one transaction, each under
 * its email's advisory lock as every email-keyed transaction of the service
 * takes it; an existing account (same email, any case) is never changed: its
 * row is skipped.
 *
 * Output on stdout: one line per skipped row, "line N: <reason>" (N is the
 * file line where the row starts; never a hash or any other field's value),
 * then a summary: "imported N, skipped M"; with --dry-run, "would import N,
 * skip M (dry run: nothing changed)". Exit status:
 *   0  done (existing accounts skipped are fine)
 *   1  a fault: configuration, database, unreadable file, a CSV PostgreSQL
 *      refuses; nothing imported ("nothing imported: <why>"; details on stderr)
 *   2  usage error
 *   3  invalid rows and no --skip-invalid: nothing imported, every invalid row
 *      listed ("nothing imported: N invalid rows ...")
 * With --skip-invalid, invalid rows are skipped and the rest imported (0).
 */
#include "conf.h"
#include "db.h"
#include "log.h"
#include "pw.h"
#include "sql.h"
#include "validate.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMPORT_CHUNK 65536
/* Rows per file: far more than one transaction's advisory locks allow. */
#define IMPORT_MAX_ROWS 1000000
#define MAX_ROWS_TEXT "1000000"
/* The longest stored hash taken (bcrypt is 60, ours 97). */
#define IMPORT_HASH_MAX 512

static void usage(FILE *f)
{
	fputs("usage: medicalcare-import-users [--dry-run] [--skip-invalid] FILE.csv|-\n"
	      "\n"
	      "Imports accounts from a CSV export of the FastAPI users table: a header\n"
	      "row email,full_name,password_hash,is_verified, then one row per account\n"
	      "(bcrypt or argon2id hashes; see docs/MIGRATION.md). Existing accounts are\n"
	      "never changed. Prints \"line N: <reason>\" for each skipped row, then\n"
	      "\"imported N, skipped M\".\n"
	      "\n"
	      "  --dry-run       check and count, change nothing\n"
	      "  --skip-invalid  import the valid rows even when some are invalid\n"
	      "                  (without it, any invalid row means nothing is imported)\n"
	      "\n"
	      "Exit status: 0 done, 1 fault (nothing imported), 2 usage, 3 invalid rows.\n",
	      f);
}

/*
 * Where each CSV record starts, tracked the way PostgreSQL's CSV reader
 * splits records (a quote toggles quoting anywhere, "" toggles twice; a line
 * end outside quotes ends the record; CRLF, LF and CR are line ends), only to
 * name file lines in the report: the parsing is PostgreSQL's.
 */
struct scan {
	long *start; /* start[k]: file line of record k (0 is the header); owned */
	size_t n;
	size_t cap;
	long line;
	int in_quote;
	int at_start;
	int prev_cr;
};

/* 0; -1 past IMPORT_MAX_ROWS rows (and the header); -2 out of memory. */
static int scan_feed(struct scan *s, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (s->prev_cr) {
			s->prev_cr = 0;
			if (c == '\n')
				continue;
		}
		if (s->at_start) {
			if (s->n == s->cap) {
				size_t cap = s->cap == 0 ? 256 : s->cap * 2;
				long *start;

				start = realloc(s->start, cap * sizeof(*start));
				if (start == NULL)
					return -2;
				s->start = start;
				s->cap = cap;
			}
			if (s->n > IMPORT_MAX_ROWS)
				return -1;
			s->start[s->n++] = s->line;
			s->at_start = 0;
		}
		if (c == '"') {
			s->in_quote = !s->in_quote;
		} else if (c == '\n' || c == '\r') {
			s->line++;
			s->prev_cr = c == '\r';
			if (!s->in_quote)
				s->at_start = 1;
		}
	}
	return 0;
}

/* The file line where record k starts (k 0 is the header), or 0 if unknown. */
static long scan_line(const struct scan *s, long k)
{
	return k >= 0 && (size_t)k < s->n ? s->start[k] : 0;
}

enum row_state {
	ROW_VALID,
	ROW_INVALID,   /* why[] says why */
	ROW_DUPLICATE, /* same email as the row of line dup_of */
	ROW_EXISTS,    /* an account has the email: skipped */
	ROW_IMPORTED,
};

/* One reason a row is invalid: "<field>: <msg>", or msg alone. Static texts. */
struct why {
	const char *field;
	const char *msg;
};

struct row {
	long line; /* where the row starts in the file */
	enum row_state state;
	struct why why[4]; /* at most one per column */
	size_t nwhy;
	long dup_of;
	char *email;      /* normalized; owned */
	char *full_name;  /* normalized; owned */
	const char *hash; /* borrowed from the rows' PGresult */
	int verified;
};

static void row_why(struct row *r, const char *field, const char *msg)
{
	if (r->nwhy < sizeof(r->why) / sizeof(r->why[0])) {
		r->why[r->nwhy].field = field;
		r->why[r->nwhy].msg = msg;
		r->nwhy++;
	}
	r->state = ROW_INVALID;
}

/* The reason for a hash that pw_kind() refuses (v is the stored text). */
static const char *hash_why(const char *v, int len)
{
	if (len == 0)
		return "password_hash is empty";
	if (strncmp(v, "$2", 2) == 0)
		return "password_hash is not a bcrypt hash this service takes ($2a$, $2b$ or $2y$,"
		       " cost 4 to 16, 60 characters)";
	if (strncmp(v, "$argon2id$", 10) == 0)
		return "password_hash is a malformed argon2id hash, or its cost is out of bounds";
	return "password_hash is neither a bcrypt nor an argon2id hash";
}

/*
 * Checks row i of the ST_IMPORT_ROWS result (columns n, email, full_name,
 * password_hash, is_verified) into r. 0, or -1 when out of memory.
 */
static int row_check(const PGresult *res, int i, struct row *r)
{
	struct ferrs errs;
	const char *v;
	int len;
	int rc;

	r->state = ROW_VALID;
	for (int col = 1; col <= 2; col++) {
		const char *field = col == 1 ? "email" : "full_name";

		memset(&errs, 0, sizeof(errs));
		v = PQgetvalue(res, i, col); /* "" for NULL */
		len = PQgetlength(res, i, col);
		if (col == 1)
			rc = valid_email(&errs, field, v, (size_t)len, &r->email);
		else
			rc = valid_full_name(&errs, field, v, (size_t)len, &r->full_name);
		if (rc == -2)
			return -1;
		if (rc != 0)
			row_why(r, field, errs.n > 0 ? errs.e[0].msg : "invalid");
	}

	v = PQgetvalue(res, i, 3);
	len = PQgetlength(res, i, 3);
	r->hash = v;
	if (len == 0 || len > IMPORT_HASH_MAX || pw_kind(v) == PW_UNUSABLE)
		row_why(r, NULL, hash_why(v, len));

	v = PQgetvalue(res, i, 4);
	if (strcasecmp(v, "true") == 0 || strcasecmp(v, "t") == 0 || strcmp(v, "1") == 0)
		r->verified = 1;
	else if (strcasecmp(v, "false") == 0 || strcasecmp(v, "f") == 0 || strcmp(v, "0") == 0)
		r->verified = 0;
	else
		row_why(r, NULL, "is_verified is not one of true, false, t, f, 1, 0");
	return 0;
}

/* For qsort: rows with an email by email, then by line. */
static int row_cmp(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a;
	const struct row *y = *(const struct row *const *)b;
	int c = strcmp(x->email, y->email);

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * Marks every valid row whose email a valid row before it has as
 * ROW_DUPLICATE. 0, or -1 when out of memory.
 */
static int mark_duplicates(struct row *rows, size_t n)
{
	struct row **v = NULL;
	size_t k = 0;

	if (n == 0)
		return 0;
	v = calloc(n, sizeof(*v));
	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (rows[i].state == ROW_VALID)
			v[k++] = &rows[i];
	qsort(v, k, sizeof(*v), row_cmp);
	for (size_t i = 1, first = 0; i < k; i++) {
		if (strcmp(v[i]->email, v[first]->email) == 0) {
			v[i]->state = ROW_DUPLICATE;
			v[i]->dup_of = v[first]->line;
		} else {
			first = i;
		}
	}
	free(v);
	return 0;
}

/* The file to read: stdin for "-". NULL (logged) when it cannot be opened. */
static FILE *open_input(const char *path)
{
	FILE *f;

	if (strcmp(path, "-") == 0)
		return stdin;
	f = fopen(path, "rb");
	if (f == NULL)
		log_error("could not open %s: %s", path, strerror(errno));
	return f;
}

/* Copies the first line of PostgreSQL's primary message into out. */
static void pg_primary(const PGresult *res, PGconn *db, char *out, size_t outlen)
{
	const char *m = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	size_t n;

	if (m == NULL)
		m = PQerrorMessage(db);
	n = strcspn(m, "\r\n");
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, m, n);
	out[n] = '\0';
}

/*
 * The file line PostgreSQL names in its context ("COPY import_users, line 4:
 * ..."; it counts line ends inside quoted fields too), or 0. The rest of the context (it quotes the row) is never
 * printed: it may hold a hash.
 */
static long pg_copy_line(const PGresult *res)
{
	const char *ctx = res != NULL ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	const char *p;
	char *end = NULL;
	long k;

	if (ctx == NULL || strncmp(ctx, "COPY import_users, line ", 24) != 0)
		return 0;
	p = ctx + 24;
	errno = 0;
	k = strtol(p, &end, 10);
	if (errno != 0 || end == p || k < 1)
		return 0;
	return k;
}

/* What went wrong, for the "nothing imported: ..." line. */
struct fault {
	char text[512];
};

static void fault_set(struct fault *f, const char *text)
{
	snprintf(f->text, sizeof(f->text), "%s", text);
}

/*
 * Runs the COPY and streams the file into it, tracking record starts in sc.
 * 0 and *loaded (the rows PostgreSQL read), or -1 with f set (logged).
 */
static int copy_in(PGconn *db, FILE *in, const char *path, struct scan *sc, long *loaded,
                   struct fault *f)
{
	enum sql_stmt st = PQserverVersion(db) >= 150000 ? ST_IMPORT_COPY : ST_IMPORT_COPY_OLD;
	const struct sql_def *def = sql_def(st);
	PGresult *res = NULL;
	char *buf = NULL;
	const char *abort_msg = NULL;
	char msg[300];
	int rc;
	int ret = -1;

	buf = malloc(IMPORT_CHUNK);
	if (buf == NULL) {
		log_error("out of memory");
		fault_set(f, "out of memory");
		return -1;
	}
	res = PQexecParams(db, def->text, 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		pg_primary(res, db, msg, sizeof(msg));
		log_error("statement %s failed: %s", def->name, msg);
		fault_set(f, "the database refused the import (see the error above)");
		goto out;
	}
	PQclear(res);
	res = NULL;
	for (;;) {
		size_t n = fread(buf, 1, IMPORT_CHUNK, in);

		rc = n > 0 ? scan_feed(sc, buf, n) : 0;
		if (rc != 0) {
			abort_msg = rc == -1 ? "more than " MAX_ROWS_TEXT " rows" : "out of memory";
			break;
		}
		if (n > 0 && PQputCopyData(db, buf, (int)n) != 1)
			break; /* the connection is gone: PQgetResult says so */
		if (n < IMPORT_CHUNK) {
			if (ferror(in))
				abort_msg = "could not read the file";
			break;
		}
	}
	if (abort_msg != NULL)
		log_error("%s: %s", path, abort_msg);
	if (abort_msg == NULL && sc->n == 0)
		abort_msg = "the file is empty: it needs at least the header row";
	PQputCopyEnd(db, abort_msg);
	res = PQgetResult(db);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		long line = pg_copy_line(res);

		if (abort_msg != NULL) {
			fault_set(f, abort_msg);
		} else if (PQstatus(db) != CONNECTION_OK) {
			pg_primary(res, db, msg, sizeof(msg));
			log_error("could not import: %s", msg);
			fault_set(f, "the database connection was lost (see the error above)");
		} else {
			pg_primary(res, db, msg, sizeof(msg));
			/* A CSV PostgreSQL refuses: about the file, so on stdout. */
			/* An unterminated quote: PostgreSQL names the end of the
			 * file, the line where the field's record starts says more. */
			if (sc->in_quote && sc->n > 0)
				line = sc->start[sc->n - 1];
			if (line > 0)
				snprintf(f->text, sizeof(f->text), "line %ld: %s", line, msg);
			else
				snprintf(f->text, sizeof(f->text), "%s", msg);
			log_error("the CSV file was refused: %s", f->text);
		}
		goto out;
	}
	*loaded = strtol(PQcmdTuples(res), NULL, 10);
	ret = 0;
out:
	PQclear(res);
	/* Drain: after a COPY, libpq has one more result (NULL) to hand out. */
	while ((res = PQgetResult(db)) != NULL)
		PQclear(res);
	free(buf);
	return ret;
}

struct counts {
	long imported; /* or would be, in a dry run */
	long exists;
	long invalid; /* invalid rows and duplicates */
};

/* Prints the line of each skipped row, in file order. */
static void print_skipped(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		switch (r->state) {
		case ROW_INVALID:
			log_stdout_time();
			printf("line %ld: ", r->line);
			for (size_t k = 0; k < r->nwhy; k++) {
				if (r->why[k].field != NULL)
					printf("%s%s: %s", k > 0 ? "; " : "", r->why[k].field,
					       r->why[k].msg);
				else
					printf("%s%s", k > 0 ? "; " : "", r->why[k].msg);
			}
			printf("\n");
			break;
		case ROW_DUPLICATE:
			log_stdout_time();
			printf("line %ld: email: the same address as line %ld\n", r->line,
			       r->dup_of);
			break;
		case ROW_EXISTS:
			log_stdout_time();
			printf("line %ld: an account with this email exists: left as it is\n",
			       r->line);
			break;
		case ROW_VALID:
		case ROW_IMPORTED:
		default:
			break;
		}
	}
}

/*
 * Inserts the valid rows in file order, each under its email's advisory
 * lock (held to the end of the transaction, as signup holds it), inside the
 * open transaction. DB_OK with each valid row now ROW_IMPORTED or ROW_EXISTS
 * and cnt counted, or a db_rc (logged) and *at_line the failed row's line.
 */
static int insert_rows(PGconn *db, struct row *rows, size_t n, struct counts *cnt, long *at_line)
{
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[i];
		const char *lock[1] = {r->email};
		const char *params[4];
		PGresult *res = NULL;
		int rc;

		if (r->state != ROW_VALID)
			continue;
		params[0] = r->email;
		params[1] = r->full_name;
		params[2] = r->hash;
		params[3] = r->verified ? "t" : "f";
		rc = db_exec(db, ST_LOCK_EMAIL, lock, 1, NULL);
		if (rc == DB_OK)
			rc = db_exec(db, ST_IMPORT_INSERT, params, 4, &res);
		if (rc != DB_OK) {
			*at_line = r->line;
			return rc;
		}
		if (PQntuples(res) == 1) {
			r->state = ROW_IMPORTED;
			cnt->imported++;
		} else {
			r->state = ROW_EXISTS;
			cnt->exists++;
		}
		PQclear(res);
	}
	return DB_OK;
}

struct opts {
	int dry_run;
	int skip_invalid;
	const char *path;
};

/* The import itself. The exit status (0, 1 or 3); prints the report. */
static int import(const struct conf *c, const struct opts *o)
{
	struct scan sc;
	struct counts cnt;
	struct fault f;
	struct row *rows = NULL;
	PGconn *db = NULL;
	PGresult *res = NULL;
	FILE *in = NULL;
	long loaded = 0;
	long at_line = 0;
	size_t n = 0;
	int ntuples;
	int rc;
	int ret = 1;

	memset(&sc, 0, sizeof(sc));
	memset(&cnt, 0, sizeof(cnt));
	sc.at_start = 1;
	sc.line = 1;
	fault_set(&f, "the database failed (see the error above)");

	in = open_input(o->path);
	if (in == NULL) {
		fault_set(&f, "could not open the file (see the error above)");
		goto out;
	}
	if (db_connect(c, &db) != DB_OK) {
		fault_set(&f, "could not connect to the database (see the error above)");
		goto out;
	}
	if (PQsetClientEncoding(db, "UTF8") != 0) {
		log_error("could not set the client encoding to UTF8");
		goto out;
	}
	if (db_begin(db) != DB_OK || db_exec(db, ST_IMPORT_CREATE, NULL, 0, NULL) != DB_OK)
		goto out;
	if (copy_in(db, in, strcmp(o->path, "-") == 0 ? "standard input" : o->path, &sc, &loaded,
	            &f) != 0)
		goto out;
	/* Every record but the header became a row; else PostgreSQL stopped
	 * early (a line "\." ends COPY data). */
	if ((size_t)loaded != sc.n - 1) {
		snprintf(f.text, sizeof(f.text),
		         "PostgreSQL read %ld of the %zu rows: a line \\. ends CSV data for it",
		         loaded, sc.n - 1);
		log_error("the CSV file was refused: %s", f.text);
		goto out;
	}
	if (db_exec(db, ST_IMPORT_ROWS, NULL, 0, &res) != DB_OK)
		goto out;
	ntuples = PQntuples(res);
	if (ntuples > 0) {
		rows = calloc((size_t)ntuples, sizeof(*rows));
		if (rows == NULL)
			goto oom;
	}
	for (int i = 0; i < ntuples; i++) {
		/* n counts the data rows from 1; record 0 is the header. */
		rows[i].line = scan_line(&sc, strtol(PQgetvalue(res, i, 0), NULL, 10));
		n++;
		if (row_check(res, i, &rows[i]) != 0)
			goto oom;
	}
	if (mark_duplicates(rows, n) != 0)
		goto oom;
	for (size_t i = 0; i < n; i++)
		if (rows[i].state == ROW_INVALID || rows[i].state == ROW_DUPLICATE)
			cnt.invalid++;

	if (cnt.invalid > 0 && !o->skip_invalid) {
		print_skipped(rows, n);
		log_stdout_time();
		printf("nothing imported: %ld invalid row%s (fix %s, or pass --skip-invalid to"
		       " import the others)\n",
		       cnt.invalid, cnt.invalid == 1 ? "" : "s", cnt.invalid == 1 ? "it" : "them");
		ret = 3;
		goto out;
	}
	rc = insert_rows(db, rows, n, &cnt, &at_line);
	if (rc != DB_OK) {
		/* With thousands of rows, likely "out of shared memory": one
		 * advisory lock per row is more than PostgreSQL's lock table holds. */
		snprintf(f.text, sizeof(f.text),
		         "the database failed at line %ld (see the error above; for \"out of shared"
		         " memory\", see docs/MIGRATION.md)",
		         at_line);
		goto out;
	}
	if (!o->dry_run && db_commit(db) != DB_OK)
		goto out;
	print_skipped(rows, n);
	log_stdout_time();
	if (o->dry_run)
		printf("would import %ld, skip %ld (dry run: nothing changed)\n", cnt.imported,
		       cnt.exists + cnt.invalid);
	else
		printf("imported %ld, skipped %ld\n", cnt.imported, cnt.exists + cnt.invalid);
	ret = 0;
	goto out;
oom:
	log_error("out of memory");
	fault_set(&f, "out of memory");
out:
	if (ret == 1) {
		log_stdout_time();
		printf("nothing imported: %s\n", f.text);
	}
	PQclear(res);
	if (db != NULL) {
		db_rollback(db);
		db_close(db);
	}
	for (size_t i = 0; i < n; i++) {
		free(rows[i].email);
		free(rows[i].full_name);
	}
	free(rows);
	free(sc.start);
	if (in != NULL && in != stdin)
		fclose(in);
	return ret;
}

int main(int argc, char **argv)
{
	struct conf c;
	struct opts o;
	char err[512];
	int rc;

	log_set_program("import-users");
	log_set_timestamps(1);
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));
	memset(&o, 0, sizeof(o));

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--dry-run") == 0) {
			o.dry_run = 1;
		} else if (strcmp(argv[i], "--skip-invalid") == 0) {
			o.skip_invalid = 1;
		} else if (o.path == NULL && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
			o.path = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (o.path == NULL) {
		usage(stderr);
		return 2;
	}
	if (conf_load(&c, err, sizeof(err)) != 0) {
		log_error("%s", err);
		log_stdout_time();
		printf("nothing imported: the configuration is invalid (see the error above)\n");
		return 1;
	}
	rc = import(&c, &o);
	if (fflush(stdout) != 0)
		rc = 1;
	conf_release(&c);
	return rc;
}
