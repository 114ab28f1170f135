/*
 * Any command by id: decode its arguments, or encode them again with the guest
 * encoder.  Generated switch statements (vl_protocol_any.c) back these; the
 * stream dumper and the corpus test use them.
 */
#ifndef VL_PROTOCOL_ANY_H
#define VL_PROTOCOL_ANY_H

#include "vl_protocol_host.h"

/* Size of struct vl_args_<command> for this id; 0 outside the protocol. */
size_t vl_args_size(int32_t id);
/* Decodes the parameters that follow a command header into args. */
bool vl_decode_any_args(struct vl_decoder *dec, int32_t id, void *args);
/* Encodes a whole command (header included) from decoded args. */
bool vl_reencode_any(struct vl_encoder *enc, int32_t id, uint32_t flags, const void *args);

/* Decodes a reply into the output storage of decoded args, as the guest does. */
bool vl_decode_any_reply(struct vl_decoder *dec, int32_t id, void *args);
/* The renderer's reply for decoded (and executed) args. */
size_t vl_sizeof_any_reply_args(int32_t id, const void *args);
bool vl_encode_any_reply_args(struct vl_encoder *enc, int32_t id, const void *args);

#endif
