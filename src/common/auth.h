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

/* One side's view of a handshake: "from" proves to "to". */
struct auth_transcript {
	const char	*cluster;
	const char	*from_id;
	const char	*to_id;
	const uint8_t	*from_nonce;	/* WIRE_NONCE_LEN bytes each */
	const uint8_t	*to_nonce;
	uint64_t	 from_inc;
	uint64_t	 to_inc;
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
void	 auth_mac(const struct auth_key *, const struct auth_transcript *,
	    uint8_t [AUTH_MAC_LEN]);
/* 1 if mac was made with any of the keys, in constant time per key. */
int	 auth_verify(const struct auth_keys *, const struct auth_transcript *,
	    const uint8_t [AUTH_MAC_LEN]);

#endif /* COHORT_AUTH_H */
