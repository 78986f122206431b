/* src/upstream/origin_ver.c: a small fixed table, one mutex; a slot is
 * overwritten on collision (forgetting an origin only costs one chunked
 * request it cannot read). */
#include "core/wk.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/hash.h"
#include "core/idna.h"
#include "upstream/origin_ver.h"

#define VER_SLOTS 512
#define VER_TTL_S 3600

struct ver_slot {
	char key[WK_HOST_MAX + 8]; /* "host:port", "" when free */
	time_t until;
};

static struct ver_slot ver_slots[VER_SLOTS];
static pthread_mutex_t ver_mu = PTHREAD_MUTEX_INITIALIZER;

static struct ver_slot *
ver_slot(const char *host, uint16_t port, char *key, size_t len)
{
	int n = snprintf(key, len, "%s:%u", host, port);

	if (n < 0 || (size_t)n >= len)
		return NULL;
	return &ver_slots[wk_hash_fnv1a(key, (size_t)n) % VER_SLOTS];
}

void
wk_origin_ver_note(const char *host, uint16_t port, int minor)
{
	char key[sizeof(ver_slots[0].key)];
	struct ver_slot *v = ver_slot(host, port, key, sizeof(key));

	if (v == NULL)
		return;
	pthread_mutex_lock(&ver_mu);
	if (minor == 0) {
		memcpy(v->key, key, strlen(key) + 1);
		v->until = time(NULL) + VER_TTL_S;
	} else if (strcmp(v->key, key) == 0) {
		v->key[0] = '\0'; /* it speaks 1.1 now */
	}
	pthread_mutex_unlock(&ver_mu);
}

bool
wk_origin_ver_is10(const char *host, uint16_t port)
{
	char key[sizeof(ver_slots[0].key)];
	struct ver_slot *v = ver_slot(host, port, key, sizeof(key));
	bool is10;

	if (v == NULL)
		return false;
	pthread_mutex_lock(&ver_mu);
	is10 = strcmp(v->key, key) == 0 && v->until > time(NULL);
	pthread_mutex_unlock(&ver_mu);
	return is10;
}
