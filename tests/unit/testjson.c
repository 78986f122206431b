/* tests/unit/testjson.c: the JSON reader of testjson.h. */
#include "core/wk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testjson.h"

static const char *
tj_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static void
tj_utf8(char *out, size_t *w, unsigned long cp)
{
	if (cp < 0x80) {
		out[(*w)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*w)++] = (char)(0xc0 | (cp >> 6));
		out[(*w)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*w)++] = (char)(0xe0 | (cp >> 12));
		out[(*w)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*w)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*w)++] = (char)(0xf0 | (cp >> 18));
		out[(*w)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*w)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*w)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static unsigned long
tj_hex4(const char *p)
{
	char h[5];

	memcpy(h, p, 4);
	h[4] = '\0';
	return strtoul(h, NULL, 16);
}

/* p at the opening quote; returns past the closing one, or NULL. */
static const char *
tj_str(const char *p, struct tj *v)
{
	size_t w = 0;
	char *out = malloc(strlen(p) + 1);

	assert_non_null(out);
	for (p++; *p != '"'; p++) {
		if (*p == '\0') {
			free(out);
			return NULL;
		}
		if (*p != '\\') {
			out[w++] = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'n':
			out[w++] = '\n';
			break;
		case 't':
			out[w++] = '\t';
			break;
		case 'r':
			out[w++] = '\r';
			break;
		case 'b':
			out[w++] = '\b';
			break;
		case 'f':
			out[w++] = '\f';
			break;
		case 'u': {
			unsigned long cp = tj_hex4(p + 1);

			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p[1] == '\\' &&
			    p[2] == 'u') {
				unsigned long lo = tj_hex4(p + 3);

				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			tj_utf8(out, &w, cp);
			break;
		}
		default:
			out[w++] = *p;
		}
	}
	out[w] = '\0';
	v->type = TJ_STR;
	v->s = out;
	v->len = w;
	return p + 1;
}

static const char *tj_value(const char *p, struct tj *v);

static const char *
tj_list(const char *p, struct tj *v, bool obj)
{
	char close = obj ? '}' : ']';

	v->type = obj ? TJ_OBJ : TJ_ARR;
	p = tj_ws(p + 1);
	while (p != NULL && *p != close) {
		struct tj key;

		v->kids = realloc(v->kids, (v->n + 1) * sizeof(*v->kids));
		v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
		assert_non_null(v->kids);
		assert_non_null(v->keys);
		memset(&v->kids[v->n], 0, sizeof(v->kids[0]));
		v->keys[v->n] = NULL;
		if (obj) {
			if (*p != '"' || (p = tj_str(p, &key)) == NULL)
				return NULL;
			v->keys[v->n] = key.s;
			p = tj_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = tj_value(tj_ws(p), &v->kids[v->n++]);
		if (p == NULL)
			return NULL;
		p = tj_ws(p);
		if (*p == ',')
			p = tj_ws(p + 1);
	}
	return p != NULL ? p + 1 : NULL;
}

static const char *
tj_value(const char *p, struct tj *v)
{
	memset(v, 0, sizeof(*v));
	if (*p == '"')
		return tj_str(p, v);
	if (*p == '[' || *p == '{')
		return tj_list(p, v, *p == '{');
	while (*p != '\0' && *p != ',' && *p != ']' && *p != '}')
		p++; /* null, true, false, numbers */
	return p;
}

void
tj_free(struct tj *v)
{
	for (size_t i = 0; i < v->n; i++) {
		tj_free(&v->kids[i]);
		free(v->keys[i]);
	}
	free(v->kids);
	free(v->keys);
	free(v->s);
}

const struct tj *
tj_get(const struct tj *o, const char *key)
{
	for (size_t i = 0; o->type == TJ_OBJ && i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return &o->kids[i];
	return NULL;
}

/* Reads and parses WK_TESTDATA/rel; false (test skipped) without data. */
bool
tj_load(const char *rel, struct tj *root)
{
	const char *dir = getenv("WK_TESTDATA");
	char path[1024];
	char *buf;
	long n;
	FILE *f;

	if (dir == NULL || dir[0] == '\0')
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((f = fopen(path, "rb")) == NULL)
		return false;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(tj_value(tj_ws(buf), root));
	free(buf);
	return true;
}
