/*
 * Work in flight on the host driver (see vlr_inflight.c): the generated
 * executors call these around the commands that submit work, prove it
 * complete, or destroy, free or re-record what it may use.
 */
#ifndef VLR_INFLIGHT_H
#define VLR_INFLIGHT_H

#include <stdint.h>

struct vlr_exec;
struct vl_object;

/* Before a command that destroys, frees, resets or records: waits for the
 * device to go idle when the objects may be used by pending work. */
void vlr_inflight_before(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args);
/* After a command that submits work or proves it complete. */
void vlr_inflight_after(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args);

#endif
