/*
 * room_files.c - adding, renaming and deleting a room's files, and which
 * one is the entry.
 *
 * The rules are the edits': writers only, checked here whatever a client
 * sends; stored before any member hears of it (a store failure changes
 * nothing). Names follow the sandbox's path rules, as the run will write
 * them, and never clash with another file's (the same path, or a file
 * and a directory of that name).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "room/room.h"
#include "room/room_internal.h"
#include "sandbox/sandbox.h"

static int check_name(const struct room *r, const char *name, size_t len,
		      uint32_t self)
{
	if (!len || len > ROOM_FILE_NAME_MAX || strlen(name) != len ||
	    !sandbox_path_ok(name, len))
		return -EINVAL;
	for (size_t i = 0; i < r->nfiles; i++) {
		const struct room_file *f = r->files[i];
		if (f->id != self &&
		    sandbox_paths_clash(room_file_label(r, f), name))
			return -EEXIST;
	}
	return 0;
}

static void broadcast(struct room *r, enum room_file_event ev, uint32_t id,
		      const struct room_member *by)
{
	for (struct room_member *o = r->members; o; o = o->next)
		if (o->ops->files)
			o->ops->files(o, (int)ev, id, by);
}

static int writable(struct room_member *m)
{
	if (!m->room)
		return -ENOENT;
	if (!room_can_write(m))
		return -EACCES;
	if (!room_files_supported(m->room))
		return -EOPNOTSUPP;
	return 0;
}

int room_file_add(struct room_member *m, const char *name, size_t name_len,
		  const char *text, size_t len, uint32_t *id)
{
	struct room *r = m->room;
	const struct room_store *st;
	struct room_file *f;
	char *copy = NULL;
	uint32_t fid;
	size_t at;
	int err;

	if ((err = writable(m)))
		return err;
	st = &r->reg->store;
	if ((err = check_name(r, name, name_len, UINT32_MAX)))
		return err;
	if (r->nfiles >= ROOM_FILES_MAX)
		return -EMLINK;
	if (len > r->reg->lim.doc_bytes)
		return -E2BIG;
	if (r->rec.next_file == UINT32_MAX)
		return -EMLINK;
	/* the store keeps what clients will see: no "\r" */
	if ((err = room_text_copy(text, &len, &copy)))
		return err;
	fid = r->rec.next_file;
	if ((err = st->ops->file_add(st->impl, r->rec.id, fid, name, copy,
				     len)))
		goto out_free;
	r->rec.next_file = fid + 1;
	if ((err = room_file_open(r, fid, name, 0, &f))) {
		/* stored, but not loaded: the next load of the room has it */
		log_warn("room: '%s': file %u stored but not loaded: %s",
			 r->rec.id, (unsigned)fid, strerror(-err));
		goto out_free;
	}
	/* ids increase: the new file goes last */
	at = r->nfiles++;
	r->files[at] = f;
	if (id)
		*id = fid;
	broadcast(r, ROOM_FILE_ADDED, fid, m);
out_free:
	free(copy);
	return err;
}

int room_file_rename(struct room_member *m, uint32_t id, const char *name,
		     size_t name_len)
{
	struct room *r = m->room;
	const struct room_store *st;
	struct room_file *f;
	char *copy;
	int err;

	if ((err = writable(m)))
		return err;
	st = &r->reg->store;
	if (!(f = room_file_find(r, id)))
		return -ENOENT;
	if ((err = check_name(r, name, name_len, id)))
		return err;
	if (!(copy = strdup(name)))
		return -ENOMEM;
	if ((err = st->ops->file_rename(st->impl, r->rec.id, id, name))) {
		free(copy);
		return err;
	}
	free(f->name);
	f->name = copy;
	broadcast(r, ROOM_FILE_RENAMED, id, m);
	return 0;
}

int room_file_delete(struct room_member *m, uint32_t id)
{
	struct room *r = m->room;
	const struct room_store *st;
	struct room_record before;
	struct room_file *f;
	size_t i;
	int err;

	if ((err = writable(m)))
		return err;
	st = &r->reg->store;
	if (!(f = room_file_find(r, id)))
		return -ENOENT;
	if (id == 0)
		return -EPERM;
	before = r->rec;
	if (r->rec.entry == id) {	/* the entry goes back to file 0 */
		r->rec.entry = 0;
		r->rec.updated_ms = room_wall_ms();
		if ((err = st->ops->settings_put(st->impl, &r->rec))) {
			r->rec = before;
			return err;
		}
	}
	if ((err = st->ops->file_delete(st->impl, r->rec.id, id))) {
		if (before.entry != r->rec.entry) {
			r->rec = before;
			st->ops->settings_put(st->impl, &r->rec);
		}
		return err;
	}
	for (i = 0; r->files[i] != f; i++)
		;
	memmove(&r->files[i], &r->files[i + 1],
		(r->nfiles - i - 1) * sizeof(r->files[0]));
	r->nfiles--;
	room_file_free(f);
	/* the selections in it are gone */
	for (struct room_member *o = r->members; o; o = o->next) {
		if (o->has_sel && o->sel_file == id) {
			o->has_sel = false;
			room_broadcast_presence(r, o);
		}
	}
	broadcast(r, ROOM_FILE_DELETED, id, m);
	if (before.entry == id)
		broadcast(r, ROOM_FILE_ENTRY, 0, m);
	return 0;
}

int room_file_entry(struct room_member *m, uint32_t id)
{
	struct room *r = m->room;
	const struct room_store *st;
	struct room_record before;
	int err;

	if ((err = writable(m)))
		return err;
	st = &r->reg->store;
	if (!room_file_find(r, id))
		return -ENOENT;
	if (r->rec.entry == id) {	/* nothing to store; still the answer */
		broadcast(r, ROOM_FILE_ENTRY, id, m);
		return 0;
	}
	before = r->rec;
	r->rec.entry = id;
	r->rec.updated_ms = room_wall_ms();
	if ((err = st->ops->settings_put(st->impl, &r->rec))) {
		r->rec = before;
		return err;
	}
	broadcast(r, ROOM_FILE_ENTRY, id, m);
	return 0;
}
