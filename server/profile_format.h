/* Session profile files (`run --profile FILE`, docs/profile-format.md): a
 * 64-byte header, then records, each an 8-byte record header and a payload.
 * Everything little-endian, no padding between records. The payloads of the
 * fixed-size types are the structs below byte for byte (their layout is
 * _Static_asserted); SAMPLE is struct sc_sample (session/shm/sample.h)
 * exactly as it travelled on the sample ring. Written by
 * server/profile_file.c, read by server/profile_read.c. */
#ifndef SC_SERVER_PROFILE_FORMAT_H
#define SC_SERVER_PROFILE_FORMAT_H
#include <stddef.h>
#include <stdint.h>

#include "session/shm/sample.h"

#define SC_PF_MAGIC "SCPROFL1"   /* 8 bytes, no NUL */
#define SC_PF_VERSION 2u     /* 2: SAMPLE_META records */
#define SC_PF_VERSION_MIN 1u /* the oldest this shadowcast reads */
#define SC_PF_MAX_RECORD (64u << 10) /* the longest payload (META) */

struct sc_pf_header {
	char magic[8];            /* SC_PF_MAGIC */
	uint32_t version;         /* SC_PF_VERSION */
	uint32_t header_bytes;    /* 64 */
	uint32_t sample_bytes;    /* sizeof(struct sc_sample): 104 */
	uint32_t passes;          /* SC_SAMPLE_PASSES: 8 */
	uint64_t max_bytes;       /* the size limit the writer kept to */
	uint64_t start_unix_ns;   /* CLOCK_REALTIME when the file was started */
	uint64_t start_mono_ns;   /* CLOCK_MONOTONIC at the same moment (the records' clock) */
	uint32_t layout_version;  /* SC_SESSION_LAYOUT_VERSION of the samples */
	uint32_t reserved[3];     /* 0 */
};
_Static_assert(sizeof(struct sc_pf_header) == 64, "profile header layout");

struct sc_pf_record {
	uint16_t type;   /* enum sc_pf_type */
	uint16_t flags;  /* 0 */
	uint32_t length; /* payload bytes after this header */
};
_Static_assert(sizeof(struct sc_pf_record) == 8, "profile record header layout");

enum sc_pf_type {
	SC_PF_META = 1,      /* JSON object, UTF-8, 2..SC_PF_MAX_RECORD bytes: one per encoder process start */
	SC_PF_SAMPLE = 2,    /* struct sc_sample */
	SC_PF_ENCODE = 3,    /* struct sc_pf_encode */
	SC_PF_CONDITION = 4, /* struct sc_pf_condition */
	SC_PF_INCIDENT = 5,  /* struct sc_pf_incident */
	SC_PF_CLIENT = 6,    /* struct sc_pf_client */
	SC_PF_MEASURE = 7,   /* struct sc_pf_measure */
	SC_PF_END = 8,       /* struct sc_pf_end: the last record of a cleanly closed file */
	SC_PF_SAMPLE_META = 9, /* struct sc_sample_meta: the game set a metadata key (version 2) */
};
#define SC_PF_TYPES 9

/* One video frame through the encoder. */
struct sc_pf_encode {
	uint64_t done_ns;   /* CLOCK_MONOTONIC, encoder returned */
	uint64_t encode_ns; /* time in the encoder */
	uint32_t tick;      /* the game tick the frame shows */
	uint32_t bytes;     /* the access unit */
	uint32_t keyframe;  /* 1: IDR */
	uint32_t reserved;
};
_Static_assert(sizeof(struct sc_pf_encode) == 32, "profile encode layout");

/* A target condition started to hold on this primary sample. */
struct sc_pf_condition {
	uint64_t time_ns;   /* the sample's tick start */
	uint32_t tick;
	uint32_t condition; /* index in META "conditions" */
	double value;       /* the metric's value */
	double threshold;
};
_Static_assert(sizeof(struct sc_pf_condition) == 32, "profile condition layout");

/* An incident (the session's fault record, session/shm/fault_record.h) as
 * the encoder process saw it become ready. */
struct sc_pf_incident {
	uint64_t detected_ns;   /* CLOCK_MONOTONIC */
	uint32_t incident;      /* 1, 2, ... */
	uint32_t detected;      /* enum sc_fault_detected */
	uint32_t path;          /* 724 self-reported, 734 external */
	uint32_t injected;      /* enum sc_fault_kind, 0 = not injected */
	uint32_t error_tick;
	uint32_t detected_tick;
};
_Static_assert(sizeof(struct sc_pf_incident) == 32, "profile incident layout");

/* One joined client's counters, every second and when it leaves. */
struct sc_pf_client {
	uint64_t time_ns;
	uint32_t client;        /* the connection's client_id */
	int32_t player;         /* -1 spectator */
	uint64_t frames_sent, frames_dropped;
	uint64_t bytes_sent;    /* WebSocket payload bytes written, all kinds */
	uint64_t bytes_dropped; /* video bytes dropped for this client (slow client) */
	uint32_t rtt_us;        /* the last WebSocket ping round trip, 0 = none yet */
	uint32_t left;          /* 1: the last record of this client (it left) */
};
_Static_assert(sizeof(struct sc_pf_client) == 56, "profile client layout");

enum sc_pf_measure_kind {
	SC_PF_RTT = 1,           /* a WebSocket ping's round trip, server-measured */
	SC_PF_INPUT_DISPLAY = 2, /* input sent to its frame shown, reported by the page */
};

/* One client measurement. */
struct sc_pf_measure {
	uint64_t time_ns;  /* when the server had it */
	uint32_t client;
	uint32_t kind;     /* enum sc_pf_measure_kind */
	uint64_t value_ns;
};
_Static_assert(sizeof(struct sc_pf_measure) == 24, "profile measure layout");

struct sc_pf_end {
	uint64_t time_ns;
	uint64_t records_dropped; /* not written: the buffer was full, or the size limit */
	uint64_t bytes_dropped;
	uint32_t limit_reached;   /* 1: records were dropped for the size limit */
	uint32_t reserved;
};
_Static_assert(sizeof(struct sc_pf_end) == 32, "profile end layout");

/* The payload size of a fixed-size type; 0 for META (variable) and unknown types. */
static inline uint32_t sc_pf_fixed_size(uint32_t type)
{
	switch (type) {
	case SC_PF_SAMPLE: return sizeof(struct sc_sample);
	case SC_PF_ENCODE: return sizeof(struct sc_pf_encode);
	case SC_PF_CONDITION: return sizeof(struct sc_pf_condition);
	case SC_PF_INCIDENT: return sizeof(struct sc_pf_incident);
	case SC_PF_CLIENT: return sizeof(struct sc_pf_client);
	case SC_PF_MEASURE: return sizeof(struct sc_pf_measure);
	case SC_PF_END: return sizeof(struct sc_pf_end);
	case SC_PF_SAMPLE_META: return sizeof(struct sc_sample_meta);
	default: return 0;
	}
}

#endif
