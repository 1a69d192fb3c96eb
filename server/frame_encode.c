#include "server/frame_encode.h"

bool sc_frame_encode(struct sc_encoder *enc, const struct sc_frame_take *take, atomic_bool *keyframe,
                     struct sc_encoded_packet *pkt)
{
	/* both: a request consumed here is not left for the next frame */
	bool requested = atomic_exchange(keyframe, false);
	if (sc_encoder_encode(enc, &take->nv12, requested || take->idr, pkt))
		return true;
	atomic_store(keyframe, true);
	return false;
}
