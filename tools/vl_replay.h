/*
 * Replaying a capture into fresh renderer contexts on the host driver, and
 * flattening it into one stream per context (fuzzing seeds).
 *
 * A capture records what the renderer decoded, but not the transport around
 * it: the rings, the reply stream and the memory that indirect streams were
 * read from belong to a process that is gone.  So the commands are replayed
 * one at a time, as direct submissions, in the order the renderer decoded
 * them (sequence order):
 *
 *  - ring commands (create, destroy, notify, write extra) and reply-stream
 *    commands (set, seek) are skipped: the ring streams themselves are
 *    records of their own;
 *  - a vkExecuteCommandStreamsMESA is replaced by the commands of the
 *    indirect streams it ran (their records follow it);
 *  - a command that asks for a reply writes it to a reply stream of the
 *    replay's own, rewound before each such command.
 *
 * Memory contents differ: the application wrote mapped memory directly,
 * which no stream carries.  Each context of the capture (one per VkInstance)
 * gets its own renderer context.
 */
#ifndef VL_REPLAY_H
#define VL_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vl_capture.h"

struct vl_replay_options {
   bool execute;               /* run on the host driver (else only flatten) */
   const char *flatten_prefix; /* write <prefix>.<n> per context, or NULL */
   unsigned timeout;           /* seconds per command before it counts as hung; 0: none */
   FILE *log;                  /* the report */
};

/* 0: every context replayed cleanly; 1: a context was lost, a stream was
 * malformed, or an indirect stream was missing; 2: an I/O error. */
int vl_replay(struct vl_capture *c, const struct vl_replay_options *o);

#endif
