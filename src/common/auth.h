/*
 * auth.h: cluster key authentication of the peer handshake.
 *
 * Every node of a cluster holds the same secret key (32 random bytes or
 * more, as hex in a file readable by nobody else).  In HELLO each end
 * sends a fresh nonce; each then proves it holds the key with
 * HMAC-SHA256 over a transcript of the whole exchange: both node ids,
 * the cluster name, both nonces and both incarnations, in a fixed order
 * that says who is speaking.  A recorded exchange cannot be replayed
 * (the other end's nonce is new) and two exchanges cannot be spliced
 * (both nonces and both ids are bound).  MACs are compared in constant
 * time.  Several keys may be configured to rotate: a node signs with the
 * first and accepts any.
 */
#ifndef COHORT_AUTH_H
#define COHORT_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define AUTH_KEY_MIN		32	/* bytes */
#define AUTH_KEY_MAX		64
#define AUTH_KEYS_MAX		4
#define AUTH_MAC_LEN		WIRE_MAC_LEN

struct auth_key {
	uint8_t		 k[AUTH_KEY_MAX];
	size_t		 len;
};

struct auth_keys {
	struct auth_key	 key[AUTH_KEYS_MAX];
	size_t		 n;		/* 0: no authentication */
};

#define AUTH_CHANNEL_LEN	32	/* a TLS exporter value */
#define AUTH_PSK_LEN		32
#define AUTH_KEY_ID_LEN		8

/*
 * One side's view of a handshake: "from" proves to "to".  The role says
 * whether "from" dialled the stream (a proof made as one cannot be played
 * as the other), and channel, when the stream runs in TLS, is a value
 * exported from that TLS session (so a proof cannot be relayed into
 * another session).
 */
struct auth_transcript {
	const char	*cluster;
	const char	*from_id;
	const char	*to_id;
	const uint8_t	*from_nonce;	/* WIRE_NONCE_LEN bytes each */
	const uint8_t	*to_nonce;
	uint64_t	 from_inc;
	uint64_t	 to_inc;
	int		 from_initiator;
	const uint8_t	*channel;	/* channel_len bytes, or NULL */
	size_t		 channel_len;	/* 0 or AUTH_CHANNEL_LEN */
};

/*
 * Read a key file: hex digits (whitespace ignored), at least
 * AUTH_KEY_MIN bytes; refused if other users may read it.
 */
/*
 * Open a secret (a key file, a TLS private key) for reading: a regular
 * file that other users cannot read or write, else -1 and why.
 */
int	 auth_open_secret(const char *, const char *, char *, size_t);
int	 auth_load_key(const char *, struct auth_key *, char *, size_t);
/* Write a new random key to a new file, mode 0600. */
int	 auth_keygen(const char *, char *, size_t);
/* The proof; -1 (mac zeroed) if it cannot be computed: fail closed. */
int	 auth_mac(const struct auth_key *, const struct auth_transcript *,
	    uint8_t [AUTH_MAC_LEN]);
/* 1 if mac was made with any of the keys, in constant time per key. */
int	 auth_verify(const struct auth_keys *, const struct auth_transcript *,
	    const uint8_t [AUTH_MAC_LEN]);

/*
 * The TLS 1.3 external PSK a key gives (HMAC-SHA256 of a label, keyed
 * with the key: the key itself never keys TLS), and the key's public id
 * (the PSK identity offered, so that a node with several keys finds the
 * one the other end uses).  0, or -1 if it cannot be computed.  The
 * cluster name is not in the PSK: a node of another cluster with the same
 * key gets as far as HELLO, and a refusal that says why.
 */
int	 auth_psk(const struct auth_key *, uint8_t [AUTH_PSK_LEN]);
int	 auth_key_id(const struct auth_key *, uint8_t [AUTH_KEY_ID_LEN]);

#endif /* COHORT_AUTH_H */
