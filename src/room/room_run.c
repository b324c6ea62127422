/*
 * room_run.c - the room's one run.
 *
 * A writer starts it on the room's text; the room subscribes to it with a
 * sub of its own that never pauses, so the run lives as long as the room
 * is open (closing the room detaches it: the engine kills it after its
 * orphan grace). Each member's dialect attaches its own subscription
 * (run_started() / room_run_active()) and gets the scrollback, then the
 * live output, with its own flow control.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "lib/log.h"
#include "room/room.h"
#include "room/room_internal.h"

#define room_of_sub(subp) \
	((struct room *)((char *)(subp) - offsetof(struct room, run_sub)))

static void on_output(struct run_sub *sub, enum run_stream stream,
		      const char *p, size_t n)
{
	(void)sub, (void)stream, (void)p, (void)n;
}

static void on_state(struct run_sub *sub, enum run_state state)
{
	(void)sub, (void)state;
}

static void on_exited(struct run_sub *sub, const struct run_result *res)
{
	struct room *r = room_of_sub(sub);

	log_info("room: '%s': run ended (%s)", r->rec.id,
		 run_status_name(res->status));
}

static const struct run_sub_ops room_sub_ops = {
	.output = on_output,
	.state = on_state,
	.exited = on_exited,
};

void room_run_init(struct room *r)
{
	memset(&r->run_sub, 0, sizeof(r->run_sub));
	r->run_sub.ops = &room_sub_ops;
}

void room_run_release(struct room *r)
{
	run_detach(&r->run_sub);
}

struct run *room_run_active(const struct room *r)
{
	struct run *run = r->run_sub.run;

	return run && run_get_state(run) != RUN_EXITED ? run : NULL;
}

int room_run_start(struct room_member *m, const char *lang, uint16_t rows,
		   uint16_t cols, struct run **out)
{
	struct room *r = m->room;
	const struct lang *l;
	struct run *run;
	size_t len;
	const char *text;
	int err;

	if (!r)
		return -ENOENT;
	if (!room_can_write(m))
		return -EACCES;
	if (room_run_active(r))
		return -EBUSY;
	l = lang_find(r->reg->langs, lang ? lang : r->rec.language);
	if (!l || !l->available)
		return -ENOENT;
	text = room_text(r, &len, NULL);
	struct run_request req = {
		.lang = l,
		.code = text,
		.code_len = len,
		.mode = RUN_TTY,
		.rows = rows,
		.cols = cols,
		.client = m->client[0] ? m->client : NULL,
	};
	run_detach(&r->run_sub);	/* a previous, ended run */
	if ((err = run_start(r->reg->engine, &req, &r->run_sub, &run)))
		return err;
	memcpy(r->run_by, m->id, sizeof(r->run_by));
	log_info("room: '%s': run %s started by '%s'", r->rec.id, run_id(run),
		 m->id);
	for (struct room_member *o = r->members; o; o = o->next)
		if (o->ops->run_started)
			o->ops->run_started(o, run);
	if (out)
		*out = run;
	return 0;
}

int room_run_stop(struct room_member *m)
{
	struct run *run;

	if (!m->room)
		return -ENOENT;
	if (!room_can_write(m))
		return -EACCES;
	if (!(run = room_run_active(m->room)))
		return -ESRCH;
	run_kill(run, RUN_KILL_USER);
	return 0;
}

int room_run_input(struct room_member *m, const char *p, size_t n)
{
	struct run *run;

	if (!m->room)
		return -ENOENT;
	if (!room_can_write(m))
		return -EACCES;
	if (!(run = room_run_active(m->room)))
		return -ESRCH;
	return run_input(run, p, n);
}

int room_run_resize(struct room_member *m, uint16_t rows, uint16_t cols)
{
	struct run *run;

	if (!m->room)
		return -ENOENT;
	if (!room_can_write(m))
		return -EACCES;
	if (!(run = room_run_active(m->room)))
		return -ESRCH;
	return run_resize(run, rows, cols);
}
