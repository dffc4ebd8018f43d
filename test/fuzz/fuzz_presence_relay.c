/*
 * fuzz_presence_relay.c — libFuzzer target for the message side of
 * notifier/hub/presence_relay.c: what another instance (or anyone who can
 * PUBLISH to Redis) sends on the pattern subscription, as hiredis hands it
 * to rel_on_message. The file is included whole, so the static parser is
 * the one that ships; the room-map side (rpc_reply_tell_room_as) and the
 * namespace table are stubs that check what they are asked.
 *
 * Input: byte 0 picks the reply's shape (bits 0-1: "pmessage" with 4
 * elements, a "psubscribe" confirmation, a wrong element count, a non-array;
 * bit 2: the channel element is an integer instead of a string); byte 1 is
 * the channel's length; then the channel bytes; the rest is the message.
 *
 * Properties: a message is told at most once, and only when its channel is
 * the prefix followed by a kind room (rc_room_parse) that is exactly the
 * room told; the event is user-joined or user-left from a 'j' or 'l'
 * message of another instance; the user id is 36 bytes of lowercase UUID;
 * the email has no control character and at most 320 bytes; the namespace
 * index is one the table gave. Every pmessage is either told, refused
 * (metrics_g.relay_dropped + 1) or ours (neither), never both; each pmessage
 * counts once in metrics_g.relay_received.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/presence_relay.c"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "property violated: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

static const char *fz_channel;
static size_t fz_chlen;
static int	fz_told;

/* The namespaces configured here: "/" and "/chat" */
int
sio_nsp_index(const char *name, size_t len)
{
	if (len == 1 && name[0] == '/')
		return 0;
	if (len == 5 && memcmp(name, "/chat", 5) == 0)
		return 1;
	return -1;
}

/* The publishing side (presence_relay_message) is not fuzzed here: no user to give */
const char *
auth_email(const auth_user *u)
{
	(void) u;
	abort();
}

const char *
sio_nsp_name(const sio_socket *sock)
{
	(void) sock;
	return "/";
}

void
rpc_reply_tell_room_as(const sio_socket *except, int nsp, const char *user, const char *email,
					   const char *name, const char *room_nm)
{
	size_t		plen = strlen(PRES_RELAY_PREFIX);
	rc_room		r;

	CHECK(except == NULL);
	CHECK(nsp == 0 || nsp == 1);
	CHECK(strcmp(name, "user-joined") == 0 || strcmp(name, "user-left") == 0);
	/* the room told is the channel's, and a kind room */
	CHECK(fz_chlen == plen + strlen(room_nm));
	CHECK(memcmp(fz_channel, PRES_RELAY_PREFIX, plen) == 0);
	CHECK(memcmp(fz_channel + plen, room_nm, strlen(room_nm)) == 0);
	CHECK(rc_room_parse(room_nm, strlen(room_nm), &r) && r.type == RC_ROOM_KIND);
	CHECK(strlen(user) == 36);
	for (const char *c = user; *c; c++)
		CHECK((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || *c == '-');
	CHECK(strlen(email) <= 320);
	for (const unsigned char *c = (const unsigned char *) email; *c; c++)
		CHECK(*c >= 0x20 && *c != 0x7f);
	fz_told++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = {"pmessage", "psubscribe", "pmessage", "message"};
	redisReply	el[4] = {0},
				arr = {0};
	redisReply *els[4] = {&el[0], &el[1], &el[2], &el[3]};
	char	   *chan,
			   *msg;
	size_t		chlen,
				mlen;
	uint64_t	recv0 = metrics_g.relay_received,
				refused0 = metrics_g.relay_dropped;
	uint8_t		shape;

	if (size < 2)
		return 0;
	shape = data[0];
	chlen = data[1] < size - 2 ? data[1] : size - 2;
	mlen = size - 2 - chlen;
	/* hiredis hands NUL-terminated copies */
	chan = malloc(chlen + 1);
	msg = malloc(mlen + 1);
	if (chan == NULL || msg == NULL)
		abort();
	memcpy(chan, data + 2, chlen);
	chan[chlen] = '\0';
	memcpy(msg, data + 2 + chlen, mlen);
	msg[mlen] = '\0';
	rel_host = "fuzz";
	rel_port = 1;
	rel_instance = "me";
	el[0].type = REDIS_REPLY_STRING;
	el[0].str = (char *) kinds[shape & 3];
	el[0].len = strlen(el[0].str);
	el[1].type = REDIS_REPLY_STRING;
	el[1].str = (char *) PRES_RELAY_PREFIX "tenant:*";
	el[1].len = strlen(el[1].str);
	el[2].type = (shape & 4) ? REDIS_REPLY_INTEGER : REDIS_REPLY_STRING;
	el[2].str = chan;
	el[2].len = chlen;
	el[3].type = REDIS_REPLY_STRING;
	el[3].str = msg;
	el[3].len = mlen;
	arr.type = (shape & 3) == 3 && (shape & 8) ? REDIS_REPLY_STRING : REDIS_REPLY_ARRAY;
	arr.elements = (shape & 3) == 2 ? 3 : 4;
	arr.element = els;
	fz_channel = chan;
	fz_chlen = chlen;
	fz_told = 0;
	rel_ac = NULL;				/* rel_on_message accepts replies of the current context */
	rel_on_message(NULL, &arr, NULL);
	CHECK(fz_told <= 1);
	CHECK(metrics_g.relay_received - recv0 <= 1);
	CHECK(metrics_g.relay_dropped - refused0 <= metrics_g.relay_received - recv0);
	CHECK(!(fz_told && metrics_g.relay_dropped != refused0));
	CHECK(!fz_told || metrics_g.relay_received - recv0 == 1);
	if (fz_told)
	{
		/* told: a pmessage of 4 string elements, 'j' or 'l' from another instance */
		CHECK((shape & 3) == 0 && !(shape & 4));
		CHECK(mlen >= 2 && (msg[0] == 'j' || msg[0] == 'l') && msg[1] == '|');
		CHECK(strncmp(msg + 2, "me|", 3) != 0);
	}
	free(chan);
	free(msg);
	return 0;
}
