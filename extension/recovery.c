/*-------------------------------------------------------------------------
 *
 * recovery.c
 *	  Durable connection-state recovery (ARCHITECTURE path 3):
 *	  recover(token, pid, after_pos, within, lim) returns a reconnecting
 *	  Socket.IO session's rooms and the events it missed, in pos order.
 *
 *	  Why C and not PL/pgSQL: recover() asks each room's policy again, and
 *	  a room policy is application code that must run as the caller with
 *	  the caller's own search_path (docs/security-extension.md). A
 *	  PL/pgSQL body would need SET search_path for its own statements, and
 *	  that path would reach the policies. Here the statements run in pinned
 *	  SPI sections (rcspi.h) and the policies are called between them.
 *
 *	  Everything runs as the caller: socket_rooms and events are read under
 *	  row-level security, with explicit tenant predicates as well.
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "rcspi.h"
#include "identity.h"
#include "rooms.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

/* Most missed events one recovery returns */
#define RC_RECOVER_MAX	10000

static RcPlan rooms_plan = {
	"SELECT s.room FROM roomcast.socket_rooms s "
	"WHERE s.tenant_id OPERATOR(pg_catalog.=) $1 AND s.pid OPERATOR(pg_catalog.=) $2 "
	"AND s.user_id OPERATOR(pg_catalog.=) $3 ORDER BY s.room",
	3, {UUIDOID, TEXTOID, UUIDOID}
};

/*
 * $1 tenant, $2 after_pos, $3 within, $4 rooms, $5 lim. The offset must be
 * an event of this tenant committed within the window, and at most lim
 * events may have been missed; otherwise not recovered (rooms only).
 */
static RcPlan events_plan = {
	"WITH ok AS ("
	"  SELECT $2 IS NOT NULL AND EXISTS (SELECT 1 FROM roomcast.events e "
	"    WHERE e.tenant_id OPERATOR(pg_catalog.=) $1 AND e.pos OPERATOR(pg_catalog.=) $2 "
	"      AND e.created_at OPERATOR(pg_catalog.>=) (pg_catalog.now() OPERATOR(pg_catalog.-) $3)) AS ok), "
	"x AS ("
	"  SELECT e.pos, e.room, e.nsp, e.event, e.data FROM roomcast.events e, ok "
	"   WHERE ok.ok AND e.tenant_id OPERATOR(pg_catalog.=) $1 AND e.pos OPERATOR(pg_catalog.>) $2 "
	"     AND e.room OPERATOR(pg_catalog.=) ANY ($4) "
	"   ORDER BY e.pos LIMIT $5 OPERATOR(pg_catalog.+) 1), "
	"agg AS ("
	"  SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
	"           'p', x.pos, 'r', x.room, 'n', x.nsp, 'e', x.event, 'd', x.data) ORDER BY x.pos), "
	"         '[]'::pg_catalog.jsonb) AS evs, pg_catalog.count(*) AS n FROM x) "
	"SELECT pg_catalog.jsonb_build_object("
	"  'recovered', ok.ok AND agg.n OPERATOR(pg_catalog.<=) $5, "
	"  'rooms', pg_catalog.to_jsonb($4), "
	"  'events', CASE WHEN ok.ok AND agg.n OPERATOR(pg_catalog.<=) $5 THEN agg.evs "
	"                 ELSE '[]'::pg_catalog.jsonb END) "
	"FROM ok, agg",
	5, {UUIDOID, INT8OID, INTERVALOID, TEXTARRAYOID, INT4OID}
};

/*
 * The rooms pid joined in this tenant as this user (from rpc join), in
 * name order, as palloc'd strings in the caller's context; *n their count.
 */
static char **
JoinedRooms(const RcIdentity *ident, text *pid, int *n)
{
	Datum		values[3];
	RcSpiSection spi;
	char	  **rooms;

	values[0] = UUIDPGetDatum(&ident->tenant);
	values[1] = PointerGetDatum(pid);
	values[2] = UUIDPGetDatum(&ident->user);
	RcSpiConnect(&spi);
	RcPlanExec(&rooms_plan, values, NULL, true, 0);
	*n = (int) SPI_processed;
	rooms = SPI_palloc(sizeof(char *) * (*n + 1));
	for (int i = 0; i < *n; i++)
	{
		char	   *room = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		size_t		len = strlen(room) + 1;

		rooms[i] = SPI_palloc(len);
		memcpy(rooms[i], room, len);
	}
	RcSpiFinish(&spi);
	return rooms;
}

/*
 * Ask the policy of room tenant:{t}:{kind}:{id} (parsed) again: true when
 * the current user may still join it, false when it refuses (RC404) or the
 * kind or id is refused (RC413); any other error propagates. The policy
 * runs as the caller, with the caller's search_path: no section is open.
 */
static bool
MayStillJoin(const rc_room *room)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool allowed = false;

	/* a subtransaction, as PL/pgSQL's EXCEPTION block: a refusal undoes the policy's work */
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		(void) RcRoomAuthorizeJoin(room->kind, room->kind_len, room->id, room->id_len);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		allowed = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode != RC_ERRCODE_FORBIDDEN &&
			edata->sqlerrcode != RC_ERRCODE_LIMIT_EXCEEDED)
			ReThrowError(edata);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return allowed;
}

/*
 * SQL function: recover(token text, pid text, after_pos bigint,
 * within interval, lim int) returns jsonb
 *
 * Verify the token (setting the identity); the session's rooms are the
 * tenant and user rooms plus those pid joined as this user that the user
 * may still join; its missed events are those after after_pos in them.
 */
PG_FUNCTION_INFO_V1(recover);
Datum
recover(PG_FUNCTION_ARGS)
{
	text	   *token;
	RcIdentity	ident;
	int32		lim;
	char	  **joined = NULL;
	int			njoined = 0;
	Datum	   *rooms;
	int			nrooms = 0;
	char		tenant[RC_UUID_LEN + 1];
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	RcSpiSection spi;
	bool		isnull;
	Datum		result;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(RC_ERRCODE_UNAUTHORIZED),
				 errmsg("no token"),
				 errdetail("roomcast.recover needs the reconnecting client's access token.")));
	token = PG_GETARG_TEXT_PP(0);
	RcIdentityAuthenticate(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token));
	RcIdentityRequireUser(&ident);
	if (PG_ARGISNULL(4))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("lim must not be null")));
	lim = PG_GETARG_INT32(4);
	if (lim < 1 || lim > RC_RECOVER_MAX)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("recovery of %d events is outside 1..%d", lim, RC_RECOVER_MAX),
				 errdetail("Recover at most %d missed events.", RC_RECOVER_MAX)));

	if (!PG_ARGISNULL(1))
		joined = JoinedRooms(&ident, PG_GETARG_TEXT_PP(1), &njoined);
	rooms = palloc(sizeof(Datum) * (njoined + 2));
	rooms[nrooms++] = CStringGetTextDatum(RcRoomTenant(&ident.tenant));
	rooms[nrooms++] = CStringGetTextDatum(RcRoomUser(&ident.tenant, &ident.user));
	RcUuidFormat(&ident.tenant, tenant);
	for (int i = 0; i < njoined; i++)
	{
		rc_room		r;

		/* only kind rooms of this tenant are asked again; a name that does not parse is dropped */
		if (rc_room_parse(joined[i], strlen(joined[i]), &r) && r.type == RC_ROOM_KIND &&
			memcmp(r.tenant, tenant, RC_UUID_LEN) == 0 && MayStillJoin(&r))
			rooms[nrooms++] = CStringGetTextDatum(joined[i]);
	}

	values[0] = UUIDPGetDatum(&ident.tenant);
	values[1] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	nulls[1] = PG_ARGISNULL(2) ? 'n' : ' ';
	values[2] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	nulls[2] = PG_ARGISNULL(3) ? 'n' : ' ';
	values[3] = PointerGetDatum(construct_array(rooms, nrooms, TEXTOID, -1, false, TYPALIGN_INT));
	values[4] = Int32GetDatum(lim);
	RcSpiConnect(&spi);
	RcPlanExec(&events_plan, values, nulls, true, 1);
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	result = SPI_datumTransfer(result, false, -1);
	RcSpiFinish(&spi);
	PG_RETURN_DATUM(result);
}
