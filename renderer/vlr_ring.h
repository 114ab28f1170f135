/* The renderer side of Venus rings (see vlr_ring.c). */
#include <stdbool.h>
#ifndef VLR_RING_H
#define VLR_RING_H

struct vlr_ring;
struct vlr_ring_set;
struct vlr_context;

/* Stops the ring's thread (without the context lock held) and frees it. */
void vlr_ring_destroy(struct vlr_ring *ring);

/* Whether x is a ring's executor and that ring is being destroyed. */
struct vlr_exec;
bool vlr_ring_of_exec_stopping(const struct vlr_exec *x);

/* The context's rings (made on first use; NULL when out of memory). */
struct vlr_ring_set *vlr_ring_set_of(struct vlr_context *ctx);
/* The context is lost: every ring shows FATAL, seqno waits give up. */
void vlr_ring_set_fatal(struct vlr_context *ctx);
/* Sets FATAL, stops every ring and the monitor (context teardown, without
 * the context lock). */
void vlr_ring_set_destroy(struct vlr_context *ctx);

#endif
