/*
 * store_files.h - the files of a room (table room_files, schema 3): an id
 * that is never reused, a name (NULL for file 0 while it follows the
 * room's language), and the file's version (updates ever accepted into
 * it; store_log.h moves it).
 *
 * Adding a file writes its row, its first snapshot and the room's next id
 * in one transaction; deleting one drops its row, log and snapshots in
 * one. Errors are 0 or -errno: -ENOENT (no such room or file), -EEXIST
 * (the id is taken), and the store's (store.h).
 */
#ifndef CODEROOM_STORE_FILES_H
#define CODEROOM_STORE_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct store_file {
	uint32_t file;
	const char *name;	/* NULL: the language's file name */
	uint64_t version;
};

typedef int (*store_file_fn)(void *arg, const struct store_file *f);

/* Each file of the room, by increasing id; fn's non-zero return stops
 * the walk and is returned. Strings are valid during the call only. */
int store_files_each(struct store *s, const char *room, store_file_fn fn,
		     void *arg);
/* File 'file' named 'name' with 'text' as its snapshot at version 0; the
 * room's next_file becomes file + 1. */
int store_files_add(struct store *s, const char *room, uint32_t file,
		    const char *name, const char *text, size_t len);
int store_files_rename(struct store *s, const char *room, uint32_t file,
		       const char *name);
int store_files_delete(struct store *s, const char *room, uint32_t file);

#endif
