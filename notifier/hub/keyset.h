/*
 * keyset.h — the signing keys and token policy one shard's listener loaded
 * (db.c), and their merge into the one set the notifier verifies with
 * (auth_set_keys). With one --db the merge is that shard's set unchanged;
 * with several it is what every loaded shard agrees on (docs/scale-out-sharding.md,
 * "Signing keys"): a shard whose keys were retired or rotated apart from the
 * others can make the notifier stricter, never looser.
 */
#ifndef RC_NOTIFIER_KEYSET_H
#define RC_NOTIFIER_KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub/auth.h"

/* One shard's keys (newest first) and settings; all owned; NULL strings: not set */
typedef struct keyset
{
	bool		loaded;			/* the shard's keys query answered at least once */
	auth_key   *keys;
	size_t		n;
	int64_t		clock_skew;
	char	   *claim_user;
	char	   *claim_tenant;
	char	   *audience;
	char	   *issuer;
} keyset;

/* Free ks's keys, secrets and strings; ks becomes not loaded */
void		keyset_clear(keyset *ks);

/*
 * Merge the loaded sets among sets[0..n) (names[i] names shard i in
 * warnings) and install the result with auth_set_keys; nothing while none is
 * loaded. A kid is kept when every loaded shard has it with the same alg and
 * secret, retired when any has retired it; the clock skew is the smallest.
 * Claim names must be equal on every loaded shard and an audience or issuer
 * set on two shards must be equal (a shard that sets none does not loosen
 * the others); otherwise no key is installed, so every token is refused
 * (INVALID_TOKEN) until the settings agree. Every disagreement is logged.
 */
void		keyset_install(const keyset *sets, const char *const *names, size_t n);

#endif
