/* One frame taken from the mailbox (server/frame_reader.h) through the
 * encoder: an IDR when a client asked for one (*keyframe, consumed here) or
 * when the reader dropped a frame before this one (take->idr), so that every
 * client's picture recovers from what it did not get. */
#ifndef SC_SERVER_FRAME_ENCODE_H
#define SC_SERVER_FRAME_ENCODE_H
#include <stdatomic.h>
#include <stdbool.h>

#include "net/encoder/encoder.h"
#include "server/frame_reader.h"

/* take: an SC_FRAME_TAKEN frame (still held). False when the encoder failed
 * (then *keyframe is set again: the next good frame restarts the stream). */
bool sc_frame_encode(struct sc_encoder *enc, const struct sc_frame_take *take, atomic_bool *keyframe,
                     struct sc_encoded_packet *pkt);

#endif
