#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *log_program = "medicalcare";
static int log_level = LOG_LEVEL_WARNING;
static int log_stamp;

void log_set_level(int level)
{
	if (level >= LOG_LEVEL_ERROR && level <= LOG_LEVEL_INFO)
		log_level = level;
}

void log_set_timestamps(int on)
{
	log_stamp = on != 0;
}

void log_time(char *out, unsigned long outlen)
{
	time_t now = time(NULL);
	struct tm tm;

	if (outlen == 0)
		return;
	if (gmtime_r(&now, &tm) == NULL || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}

void log_set_program(const char *name)
{
	if (name != NULL)
		log_program = name;
}

void log_escape(const char *in, char *out, unsigned long outlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned long o = 0;

	if (outlen == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
		char esc[5];
		size_t n;

		if (*p == '\n') {
			memcpy(esc, "\\n", 3);
		} else if (*p == '\r') {
			memcpy(esc, "\\r", 3);
		} else if (*p == '\t') {
			memcpy(esc, "\\t", 3);
		} else if (*p == '\\') {
			memcpy(esc, "\\\\", 3);
		} else if (*p < 0x20 || *p == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[*p >> 4];
			esc[3] = hex[*p & 0xf];
			esc[4] = '\0';
		} else {
			esc[0] = (char)*p;
			esc[1] = '\0';
		}
		n = strlen(esc);
		if (o + n >= outlen)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = '\0';
}

void log_stdout_time(void)
{
	char when[32];

	if (!log_stamp)
		return;
	log_time(when, sizeof(when));
	if (when[0] != '\0')
		fputs(when, stdout), fputc(' ', stdout);
}

static void log_line(int level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {"error: ", "warning: ", ""};
	char raw[1024];
	char line[2048];
	char when[32] = "";

	if (level > log_level)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_escape(raw, line, sizeof(line));
	if (log_stamp)
		log_time(when, sizeof(when));
	fprintf(stderr, "%s%smedicalcare %s: %s%s\n", when, when[0] != '\0' ? " " : "", log_program,
	        prefix[level], line);
	fflush(stderr);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_LEVEL_WARNING, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}
