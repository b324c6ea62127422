/*
 * room_run.c - the room's one run.
 *
 * A writer starts it on the room's files (the entry first, every other
 * one beside it: compiled languages build each source file); the room subscribes to it with a
 * sub of its own that never pauses, so the run lives as long as the room
 * is open (closing the room detaches it: the engine kills it after its
 * orphan grace). Each member's dialect attaches its own subscription
 * (run_started() / room_run_active()) and gets the scrollback, then the
 * live output, with its own flow control.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "room/room.h"
#include "room/room_internal.h"
#include "sandbox/sandbox.h"

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
	struct sandbox_file files[ROOM_FILES_MAX];
	const struct lang *l;
	struct run *run;
	size_t n = 0;
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
	/* every file, the entry first under the name its language wants */
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->nfiles; i++) {
			const struct room_file *f = r->files[i];
			const char *name;
			if ((f->id == r->rec.entry) != (pass == 0))
				continue;
			/* file 0 without a name of its own follows the run's
			 * language, as the room's language */
			name = f->name ? f->name : l->file ? l->file : "main.txt";
			if (pass == 0)
				name = run_entry_name(l, name);
			for (size_t k = 0; k < n; k++)
				if (sandbox_paths_clash(files[k].name, name))
					return -EEXIST;
			files[n].name = name;
			files[n].data = room_file_text(f, &files[n].len, NULL);
			files[n].mode = 0644;
			n++;
		}
	}
	struct run_request req = {
		.lang = l,
		.files = files,
		.nfiles = n,
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
	if (r->reg->bus)	/* the other nodes' members watch it too */
		r->reg->bus->run(r->reg->bus_data, r, run, m->id);
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

void room_apply_run(struct room *r, struct run *run, const char *by)
{
	if (r->run_sub.run == run)
		return;
	run_detach(&r->run_sub);	/* a previous, ended run */
	run_attach(run, &r->run_sub);
	snprintf(r->run_by, sizeof(r->run_by), "%s", by);
	log_info("room: '%s': run %s started by '%s' on another node",
		 r->rec.id, run_id(run), by);
	for (struct room_member *o = r->members; o; o = o->next)
		if (o->ops->run_started)
			o->ops->run_started(o, run);
}
