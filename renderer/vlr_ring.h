/* The renderer side of Venus rings (see vlr_ring.c). */
#ifndef VLR_RING_H
#define VLR_RING_H

struct vlr_ring;

/* Stops the ring's thread (without the context lock held) and frees it. */
void vlr_ring_destroy(struct vlr_ring *ring);

#endif
