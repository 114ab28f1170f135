/*
 * Replaying a capture into fresh renderer contexts on the host driver, and
 * flattening it into one stream per context (fuzzing seeds).
 *
 * A capture records what the renderer decoded, but not the transport around
 * it: the rings, the reply stream and the memory that indirect streams were
 * read from belong to a process that is gone.  So the commands are replayed
 * one at a time, in the order the renderer decoded them (sequence order),
 * on the replaying thread as an application thread runs its calls
 * in-process (a wait may block; a reply comes back directly):
 *
 *  - ring commands (create, destroy, notify, write extra) and reply-stream
 *    commands (set, seek) are skipped: the ring streams themselves are
 *    records of their own;
 *  - a vkExecuteCommandStreamsMESA is replaced by the commands of the
 *    indirect streams it ran (their records follow it);
 *  - a command whose captured result says it polled until work was done
 *    (a fence wait, status or query) is repeated until the replay's result
 *    agrees, so that what follows does not overtake the work.
 *
 * Memory contents differ: the application wrote mapped memory directly,
 * which no stream carries.  Each context of the capture (one per VkInstance)
 * gets its own renderer context.  A wait that another thread's later
 * command ended in the captured process waits for ever here: the timeout
 * reports it.
 *
 * Flattening writes the same commands as one stream per context, in the
 * form a guest sends on a ring or transport stream: waits as polls (timeout
 * 0), and each reply preceded by a rewind of the reply stream (resource of
 * the stream's consumer; fuzz_renderer sets one).
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
