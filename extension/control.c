/*-------------------------------------------------------------------------
 *
 * control.c
 *	  The control log (SPEC §3, docs/security-delivery.md): what the
 *	  notifiers must obey - kick a user, kick a tenant, keys changed, room
 *	  kinds or rpc methods changed - written to roomcast.control_log, a
 *	  table only the extension owner writes, and announced by a hint on
 *	  NOTIFY channel roomcast. The hint carries nothing: a notifier obeys
 *	  only what it reads back from the log, so a role that can NOTIFY can
 *	  forge nothing.
 *
 *	  Order. Entries are buffered in the transaction, like events
 *	  (events.c), and get their ids at pre-commit from control_id_seq
 *	  (CACHE 1) while holding the NOTIFY lock, which is held until the
 *	  transaction is visible. So ids are commit-ordered, and a reader that
 *	  sees id N sees every committed id below N: a notifier's cursor "id >
 *	  last" never skips an entry that commits late.
 *
 *	  Memory. Pending entries live in TopTransactionContext, forgotten at
 *	  transaction end; a rolled-back subtransaction drops its own (each
 *	  carries its nesting level).
 *
 *-------------------------------------------------------------------------
 */
#include "roomcast.h"
#include "events.h"
#include "identity.h"
#include "rcspi.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

/* A control message stays below this (the notifier parses it in one buffer) */
#define RC_CONTROL_MAX	7900

/* An entry waiting for commit */
typedef struct RcPendingControl
{
	int			level;			/* transaction nesting level that wrote it */
	char	   *msg;			/* {"c":kind,...} */
} RcPendingControl;

static RcPendingControl *ctl_pending = NULL;	/* in TopTransactionContext */
static int	ctl_n = 0;
static int	ctl_cap = 0;
static Oid	ctl_seq_oid = InvalidOid;

/*
 * Buffer the control message {"c":kind,<fields>} for the log; see events.h.
 * Raises RC413 when it would exceed RC_CONTROL_MAX bytes.
 */
void
RcNotifyControl(const char *kind, const char *fields)
{
	char	   *msg = fields && fields[0]
		? psprintf("{\"c\":\"%s\",%s}", kind, fields)
		: psprintf("{\"c\":\"%s\"}", kind);
	MemoryContext old;

	if (strlen(msg) > RC_CONTROL_MAX)
		ereport(ERROR,
				(errcode(RC_ERRCODE_LIMIT_EXCEEDED),
				 errmsg("control message of %zu bytes exceeds %d bytes", strlen(msg), RC_CONTROL_MAX),
				 errdetail("Control messages carry identifiers, not content.")));
	old = MemoryContextSwitchTo(TopTransactionContext);
	if (ctl_n == ctl_cap)
	{
		ctl_cap = ctl_cap ? ctl_cap * 2 : 8;
		ctl_pending = ctl_pending ? repalloc(ctl_pending, ctl_cap * sizeof(RcPendingControl))
			: palloc(ctl_cap * sizeof(RcPendingControl));
	}
	ctl_pending[ctl_n].level = GetCurrentTransactionNestLevel();
	ctl_pending[ctl_n].msg = pstrdup(msg);
	ctl_n++;
	MemoryContextSwitchTo(old);
}

/*
 * The tenant of a message is its "tenant" member (the nil uuid for keys,
 * which concern every tenant); the SQL takes it from the jsonb so that the
 * callers' message formats stay the only definition.
 */
static RcPlan ctl_insert_plan = {
	"INSERT INTO roomcast.control_log (tenant_id, id, kind, data, created_at) "
	"SELECT COALESCE((m.d::pg_catalog.jsonb OPERATOR(pg_catalog.->>) 'tenant')::pg_catalog.uuid, "
	"                '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid), "
	"       m.i, m.d::pg_catalog.jsonb OPERATOR(pg_catalog.->>) 'c', m.d::pg_catalog.jsonb, $3 "
	"FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.int8[]), pg_catalog.unnest($2::pg_catalog.text[])) AS m(i, d)",
	3, {INT8ARRAYOID, TEXTARRAYOID, TIMESTAMPTZOID}
};

/* Give the pending entries their ids under the NOTIFY lock, log them, hint */
static void
FlushControl(void)
{
	int			n = ctl_n;
	Datum	   *ids = palloc(n * sizeof(Datum));
	Datum	   *msgs = palloc(n * sizeof(Datum));
	Datum		values[3];
	Oid			seq;

	RcCommitLockTake();
	seq = RcRelid("control_id_seq", &ctl_seq_oid);
	for (int i = 0; i < n; i++)
	{
		ids[i] = Int64GetDatum(nextval_internal(seq, false));
		msgs[i] = PointerGetDatum(cstring_to_text(ctl_pending[i].msg));
	}
	values[0] = PointerGetDatum(construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[1] = PointerGetDatum(construct_array(msgs, n, TEXTOID, -1, false, TYPALIGN_INT));
	values[2] = TimestampTzGetDatum(GetCurrentTimestamp());

	RcCommitLogInsert(&ctl_insert_plan, values, NULL, NULL);
	ctl_pending = NULL;
	ctl_n = ctl_cap = 0;
}

/* Flush at pre-commit, refuse PREPARE, forget everything at the end */
static void
RcControlXactCallback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			if (ctl_n > 0)
				FlushControl();
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (ctl_n > 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot prepare a transaction that wrote control messages"),
						 errdetail("The transaction queued %d control message(s) (a kick, a key change, a registration); they are ordered when the transaction commits, which a prepared transaction does not do.", ctl_n)));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			ctl_pending = NULL;
			ctl_n = ctl_cap = 0;
			break;
		default:
			break;
	}
}

/* Drop entries of a rolled-back subtransaction; hand a committed one's to its parent */
static void
RcControlSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	int			level;

	if (ctl_n == 0)
		return;
	level = GetCurrentTransactionNestLevel();
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		while (ctl_n > 0 && ctl_pending[ctl_n - 1].level >= level)
			ctl_n--;
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (int i = ctl_n - 1; i >= 0 && ctl_pending[i].level >= level; i--)
			ctl_pending[i].level = level - 1;
	}
}

/* The text of column name of tuple, or NULL */
static char *
TupleText(HeapTuple tuple, TupleDesc desc, const char *name)
{
	int			col = SPI_fnumber(desc, name);

	if (col <= 0)
		elog(ERROR, "roomcast: column \"%s\" is missing", name);
	return SPI_getvalue(tuple, desc, col);
}

/*
 * SQL function: _control_on_identity() returns trigger
 *
 * AFTER ROW trigger on roomcast.users (DELETE; UPDATE that disables a user
 * or changes its key) and roomcast.tenants (DELETE): log the kick that
 * disconnects that user's, or that tenant's, open sockets on every
 * notifier (SPEC §7). The WHEN clauses in 46_control.ddl.sql choose the rows;
 * this only writes the message of the old row. Nothing runs as the owner
 * here: the entry is written at pre-commit by FlushControl.
 */
PG_FUNCTION_INFO_V1(roomcast_control_on_identity);
Datum
roomcast_control_on_identity(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	const char *rel;
	char	   *tenant;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_INSERT(td->tg_event))
		elog(ERROR, "roomcast: _control_on_identity must be an AFTER UPDATE or DELETE row trigger");
	rel = RelationGetRelationName(td->tg_relation);
	if (RelationGetNamespace(td->tg_relation) != get_namespace_oid("roomcast", false))
		elog(ERROR, "roomcast: _control_on_identity fired on a table outside schema roomcast");
	desc = RelationGetDescr(td->tg_relation);
	if (strcmp(rel, "users") == 0)
	{
		const char *reason = TRIGGER_FIRED_BY_DELETE(td->tg_event) ? "user_deleted" : "user_disabled";

		tenant = TupleText(td->tg_trigtuple, desc, "tenant_id");
		/* uuid output is 36 lowercase hex digits and dashes: nothing to escape */
		RcNotifyControl("kick", psprintf("\"tenant\":\"%s\",\"user\":\"%s\",\"reason\":\"%s\"",
										  tenant, TupleText(td->tg_trigtuple, desc, "id"), reason));
	}
	else if (strcmp(rel, "tenants") == 0)
	{
		tenant = TupleText(td->tg_trigtuple, desc, "id");
		RcNotifyControl("kick_tenant", psprintf("\"tenant\":\"%s\",\"reason\":\"tenant_deleted\"", tenant));
	}
	else
		elog(ERROR, "roomcast: _control_on_identity fired on roomcast.%s", rel);
	return PointerGetDatum(NULL);
}

/* Queue the hint for channel roomcast; duplicates in a transaction fold into one */
void
RcNotifyHint(void)
{
	Async_Notify(RC_NOTIFY_CHANNEL, "");
}

/* Register the control log's transaction callbacks */
void
RcControlInit(void)
{
	RegisterXactCallback(RcControlXactCallback, NULL);
	RegisterSubXactCallback(RcControlSubXactCallback, NULL);
}
