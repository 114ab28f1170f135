/*
 * Reading captures (VL_DEBUG=capture, the VKRD records of docs/capture.md)
 * and walking the commands of a stream, for vl-dump and its replay.
 *
 * A capture is loaded whole and checked record by record; a damaged record
 * ends the list, with the reason kept.  Commands are found with the
 * generated decoders (no object table: handles stay guest ids), because a
 * stream has no framing: a command's length follows only from decoding it.
 */
#ifndef VL_CAPTURE_H
#define VL_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_arena.h"
#include "vl_capture_format.h"
#include "vl_cs.h"

struct vl_record {
   uint16_t kind;
   uint64_t seq;
   uint64_t ring; /* ring id; thread number for direct streams */
   uint32_t tag;  /* context */
   uint64_t ref;
   const uint8_t *data;
   uint32_t length;
   size_t offset; /* of the record header in the file */
   bool used;     /* an indirect stream already shown or replayed in place */
};

struct vl_capture {
   uint8_t *file;
   size_t size;
   struct vl_record *records;
   size_t count;
   char error[256]; /* why reading stopped early; "" when it did not */
};

const char *vl_record_kind_name(uint16_t kind);

/* Loads path; false (with the reason in c->error) when it cannot be read. */
bool vl_capture_load(struct vl_capture *c, const char *path);
/* raw: the file is one command stream, seen as a single direct record. */
bool vl_capture_load_raw(struct vl_capture *c, const char *path);
void vl_capture_free(struct vl_capture *c);

/* The next indirect stream of stream (tag, seq) not used yet, in file order. */
struct vl_record *vl_capture_take_indirect(struct vl_capture *c, uint32_t tag, uint64_t seq);

/* The reply record of stream (tag, seq) not used yet, or NULL. */
struct vl_record *vl_capture_take_reply(struct vl_capture *c, uint32_t tag, uint64_t seq);

/* ---- commands of one stream ------------------------------------------------ */

struct vl_walk {
   const uint8_t *data;
   size_t size;
   struct vl_arena arena;
   struct vl_decoder dec;
   /* the command just decoded, or the one that failed */
   int32_t id;
   uint32_t flags;
   size_t offset, length;
   void *args; /* struct vl_args_<command> */
   /* on failure: why, the id involved (if any) and where decoding stopped */
   const char *error;
   uint64_t error_id;
   size_t error_at;
};

/* The replies of a stream, taken in step with its commands. */
struct vl_replies {
   struct vl_decoder dec;
   const uint8_t *data;
   bool present, broken;
};

void vl_walk_init(struct vl_walk *w, const void *data, size_t size);
void vl_walk_finish(struct vl_walk *w);
/* 1: a command was decoded; 0: the stream ended cleanly; -1: it is malformed. */
int vl_walk_next(struct vl_walk *w);

/* record: the stream's reply record, or NULL when it has none. */
void vl_replies_init(struct vl_replies *r, const struct vl_record *record);
/* For the command w just decoded, if it asked for a reply: decodes the reply
 * into w->args (its result and outputs, as the guest would) and gives its
 * bytes.  False when the command asked for none, or the replies ran out or
 * do not match (r->broken). */
bool vl_replies_next(struct vl_replies *r, struct vl_walk *w, const uint8_t **bytes, size_t *size);

#endif
