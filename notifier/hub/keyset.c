/*
 * keyset.c — merge the shards' signing keys and token policy (see keyset.h).
 *
 * Why an intersection: every shard verifies the calls routed to it with its
 * own keys, but the notifier verifies CONNECT for tenants of all shards with
 * one set. Installing whichever shard answered last let a key retired on one
 * shard (a retirement through the proxy that failed half-way, or done on one
 * shard directly) stay valid at the notifier (docs/security-scale-out.md,
 * finding 4). A shard keeps its last loaded set while its connection is
 * down, so an outage cannot loosen the set either; a shard that has never
 * loaded contributes nothing yet (the notifier serves the others' tenants at
 * start, as with one --db). Disagreements during a rotation through the
 * proxy are expected for the moment between two shards' reloads.
 */
#include "hub/keyset.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"

void
keyset_clear(keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
	{
		if (ks->keys[i].secret)
			memset(ks->keys[i].secret, 0, ks->keys[i].secret_len);
		free(ks->keys[i].secret);
	}
	free(ks->keys);
	free(ks->claim_user);
	free(ks->claim_tenant);
	free(ks->audience);
	free(ks->issuer);
	memset(ks, 0, sizeof(*ks));
}

/* The key named kid in ks, or NULL */
static const auth_key *
keyset_find(const keyset *ks, const char *kid)
{
	for (size_t i = 0; i < ks->n; i++)
		if (strcmp(ks->keys[i].kid, kid) == 0)
			return &ks->keys[i];
	return NULL;
}

/*
 * A setting that must be equal on every loaded shard (claim names): false
 * and a warning when v (shard name's) differs from first_v (shard first_name's).
 * Unset (NULL or empty) means the extension's default dflt, so a shard that
 * leaves roomcast.claim_user unset agrees with one that sets it to "sub".
 */
static bool
keyset_equal_setting(const char *guc, const char *v, const char *first_v, const char *dflt,
					 const char *name, const char *first_name)
{
	if (strcmp(v && *v ? v : dflt, first_v && *first_v ? first_v : dflt) == 0)
		return true;
	log_warn("signing keys: %s is \"%s\" on shard %s but \"%s\" on shard %s: every token refused until they agree",
			 guc, first_v ? first_v : "", first_name, v ? v : "", name);
	return false;
}

/*
 * A check a shard may leave unset (audience, issuer): a set value is kept
 * (an unset shard does not loosen it); false and a warning when two shards
 * set different values
 */
static bool
keyset_strict_setting(const char *guc, const char *v, const char **out, const char **out_name,
					  const char *name)
{
	if (v == NULL)
		return true;
	if (*out == NULL)
	{
		*out = v;
		*out_name = name;
		return true;
	}
	if (strcmp(*out, v) == 0)
		return true;
	log_warn("signing keys: %s is \"%s\" on shard %s but \"%s\" on shard %s: every token refused until they agree",
			 guc, *out, *out_name, v, name);
	return false;
}

/* The policy every loaded shard agrees on, from shard first on; false on a conflict (logged) */
static bool
keyset_policy(const keyset *sets, const char *const *names, size_t n, size_t first, rc_jwt_policy *out)
{
	const char *aud_name = names[first],
			   *iss_name = names[first];
	bool		ok = true;

	out->claim_user = sets[first].claim_user;
	out->claim_tenant = sets[first].claim_tenant;
	out->audience = sets[first].audience;
	out->issuer = sets[first].issuer;
	out->clock_skew = sets[first].clock_skew;
	for (size_t i = first + 1; i < n; i++)
	{
		if (!sets[i].loaded)
			continue;
		ok &= keyset_equal_setting("roomcast.claim_user", sets[i].claim_user, out->claim_user, "sub",
									   names[i], names[first]);
		ok &= keyset_equal_setting("roomcast.claim_tenant", sets[i].claim_tenant, out->claim_tenant, "tenantId",
									   names[i], names[first]);
		ok &= keyset_strict_setting("roomcast.audience", sets[i].audience, &out->audience, &aud_name, names[i]);
		ok &= keyset_strict_setting("roomcast.issuer", sets[i].issuer, &out->issuer, &iss_name, names[i]);
		if (sets[i].clock_skew < out->clock_skew)
			out->clock_skew = sets[i].clock_skew;	/* the strictest */
	}
	return ok;
}

/*
 * Whether key k of shard first is usable on every other loaded shard:
 * false (logged) when one lacks it or has another alg or secret; *retired
 * set when one has retired it
 */
static bool
keyset_agreed(const keyset *sets, const char *const *names, size_t n, size_t first,
			  const auth_key *k, bool *retired)
{
	bool		keep = true;

	*retired = k->retired;
	for (size_t i = first + 1; i < n; i++)
	{
		const auth_key *o;

		if (!sets[i].loaded)
			continue;
		o = keyset_find(&sets[i], k->kid);
		if (o == NULL)
		{
			log_warn("signing keys: kid \"%s\" is on shard %s but not on shard %s: refused", k->kid, names[first], names[i]);
			keep = false;
		}
		else if (o->alg != k->alg || o->secret_len != k->secret_len || memcmp(o->secret, k->secret, k->secret_len) != 0)
		{
			log_warn("signing keys: kid \"%s\" has another alg or secret on shard %s than on shard %s: refused",
					 k->kid, names[i], names[first]);
			keep = false;
		}
		else if (o->retired != k->retired)
		{
			log_warn("signing keys: kid \"%s\" is retired on shard %s but active on shard %s: retired",
					 k->kid, o->retired ? names[i] : names[first], o->retired ? names[first] : names[i]);
			*retired = true;
		}
	}
	return keep;
}

void
keyset_install(const keyset *sets, const char *const *names, size_t n)
{
	size_t		first = 0,
				m = 0,
				nloaded = 0;
	rc_jwt_policy policy = {0};
	auth_key   *keys;
	bool		agree;

	while (first < n && !sets[first].loaded)
		first++;
	if (first == n)
		return;					/* nothing loaded yet: CONNECT stays UNAUTHORIZED */
	agree = keyset_policy(sets, names, n, first, &policy);
	keys = calloc(sets[first].n ? sets[first].n : 1, sizeof(auth_key));
	if (keys == NULL)
	{
		log_error("out of memory merging signing keys; keeping the old ones");
		return;
	}
	for (size_t j = 0; agree && j < sets[first].n; j++)
	{
		const auth_key *k = &sets[first].keys[j];
		bool		retired;

		if (!keyset_agreed(sets, names, n, first, k, &retired))
			continue;
		keys[m] = *k;
		keys[m].retired = retired;
		keys[m].secret = malloc(k->secret_len ? k->secret_len : 1);
		if (keys[m].secret == NULL)
			continue;			/* out of memory: that key is refused */
		memcpy(keys[m].secret, k->secret, k->secret_len);
		m++;
	}
	/* kids the first shard lacks are refused too: say so */
	for (size_t i = first; i < n; i++)
	{
		nloaded += sets[i].loaded;
		for (size_t j = 0; i > first && sets[i].loaded && j < sets[i].n; j++)
			if (keyset_find(&sets[first], sets[i].keys[j].kid) == NULL)
				log_warn("signing keys: kid \"%s\" is on shard %s but not on shard %s: refused",
						 sets[i].keys[j].kid, names[i], names[first]);
	}
	auth_set_keys(keys, m, &policy);
	if (nloaded > 1)
		log_info("signing keys: %zu in force, as the %zu loaded shards agree", m, nloaded);
}
