#include "log.h"

#include <stdio.h>
#include <string.h>

static const char *log_program = "medicalcare";

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

static void log_line(const char *level, const char *fmt, va_list ap)
{
	char raw[1024];
	char line[2048];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_escape(raw, line, sizeof(line));
	fprintf(stderr, "medicalcare %s: %s%s\n", log_program, level, line);
	fflush(stderr);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("error: ", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}
