/*
 * auth.c: cluster keys and the handshake MAC.  See auth.h.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth.h"

#define KEY_FILE_MAX	4096

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

int
auth_open_secret(const char *path, const char *what, char *err, size_t errlen)
{
	struct stat	 st;
	int		 fd;

	/* Non-blocking: a FIFO must be refused, not waited on. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		snprintf(err, errlen, "cannot read the %s %s: %s", what, path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s is not a regular file", what,
		    path);
		close(fd);
		return (-1);
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		snprintf(err, errlen, "%s %s may be read by other users "
		    "(mode %04o): chmod 0600 %s (or 0640 for a group)", what,
		    path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return (-1);
	}
	/* Reads of a regular file do not block: back to blocking mode. */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return (fd);
}

int
auth_load_key(const char *path, struct auth_key *key, char *err,
    size_t errlen)
{
	char		 buf[KEY_FILE_MAX + 1];
	ssize_t		 n;
	size_t		 i, nib = 0;
	int		 fd, v, hi = 0;

	memset(key, 0, sizeof(*key));
	if ((fd = auth_open_secret(path, "key file", err, errlen)) == -1)
		return (-1);
	n = read(fd, buf, KEY_FILE_MAX);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read the key file %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	buf[n] = '\0';
	for (i = 0; i < (size_t)n; i++) {
		if (isspace((unsigned char)buf[i]))
			continue;
		if ((v = hexval((unsigned char)buf[i])) == -1 ||
		    nib / 2 >= AUTH_KEY_MAX) {
			snprintf(err, errlen, "key file %s must hold 64 to 128 "
			    "hex digits (cohortd --keygen writes one)", path);
			explicit_bzero(buf, sizeof(buf));
			explicit_bzero(key, sizeof(*key));
			return (-1);
		}
		if (nib % 2 == 0)
			hi = v;
		else
			key->k[nib / 2] = (uint8_t)(hi << 4 | v);
		nib++;
	}
	explicit_bzero(buf, sizeof(buf));
	if (nib % 2 != 0 || nib / 2 < AUTH_KEY_MIN) {
		snprintf(err, errlen, "key file %s holds %zu hex digits: a key "
		    "is at least %d bytes, %d hex digits (cohortd --keygen "
		    "writes one)", path, nib, AUTH_KEY_MIN, 2 * AUTH_KEY_MIN);
		explicit_bzero(key, sizeof(*key));
		return (-1);
	}
	key->len = nib / 2;
	return (0);
}

int
auth_keygen(const char *path, char *err, size_t errlen)
{
	uint8_t		 k[AUTH_KEY_MIN];
	char		 hex[2 * AUTH_KEY_MIN + 2];
	size_t		 i;
	int		 fd;

	if (RAND_bytes(k, sizeof(k)) != 1) {
		snprintf(err, errlen, "no random bytes from OpenSSL");
		return (-1);
	}
	for (i = 0; i < sizeof(k); i++)
		snprintf(hex + 2 * i, 3, "%02x", k[i]);
	hex[2 * sizeof(k)] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "cannot create %s: %s%s", path,
		    strerror(errno), errno == EEXIST ?
		    " (a key is never overwritten: remove it first)" : "");
		explicit_bzero(k, sizeof(k));
		explicit_bzero(hex, sizeof(hex));
		return (-1);
	}
	if (write(fd, hex, 2 * sizeof(k) + 1) != (ssize_t)(2 * sizeof(k) +
	    1) || fsync(fd) == -1) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
		close(fd);
		unlink(path);
		return (-1);
	}
	close(fd);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(hex, sizeof(hex));
	return (0);
}

/* Append a length-prefixed field, so that no two transcripts collide. */
static size_t
put_field(uint8_t *buf, size_t off, const void *p, size_t len)
{
	buf[off++] = (uint8_t)(len >> 8);
	buf[off++] = (uint8_t)len;
	if (len > 0)		/* an empty field may come with no pointer */
		memcpy(buf + off, p, len);
	return (off + len);
}

static size_t
put_u64(uint8_t *buf, size_t off, uint64_t v)
{
	int	i;

	for (i = 7; i >= 0; i--)
		buf[off++] = (uint8_t)(v >> (8 * i));
	return (off);
}

static size_t
transcript(const struct auth_transcript *t, uint8_t *buf)
{
	static const char	label[] = "cohort hello-ack v2";
	size_t			off = 0;
	uint8_t			role = t->from_initiator ? 1 : 0;

	off = put_field(buf, off, label, sizeof(label) - 1);
	off = put_field(buf, off, t->cluster, strlen(t->cluster));
	off = put_field(buf, off, t->from_id, strlen(t->from_id));
	off = put_field(buf, off, t->to_id, strlen(t->to_id));
	off = put_field(buf, off, t->from_nonce, WIRE_NONCE_LEN);
	off = put_field(buf, off, t->to_nonce, WIRE_NONCE_LEN);
	off = put_u64(buf, off, t->from_inc);
	off = put_u64(buf, off, t->to_inc);
	off = put_field(buf, off, &role, 1);
	off = put_field(buf, off, t->channel, t->channel != NULL ?
	    t->channel_len : 0);
	return (off);
}

#define TRANSCRIPT_MAX	(2 + 32 + 3 * (2 + WIRE_ID_MAX) + \
	2 * (2 + WIRE_NONCE_LEN) + 16 + 3 + 2 + AUTH_CHANNEL_LEN)

int
auth_mac(const struct auth_key *key, const struct auth_transcript *t,
    uint8_t mac[AUTH_MAC_LEN])
{
	uint8_t		buf[TRANSCRIPT_MAX];
	unsigned int	len = AUTH_MAC_LEN;
	size_t		n;

	if (t->channel != NULL && t->channel_len > AUTH_CHANNEL_LEN) {
		memset(mac, 0, AUTH_MAC_LEN);
		return (-1);
	}
	n = transcript(t, buf);
	if (HMAC(EVP_sha256(), key->k, (int)key->len, buf, n, mac, &len) ==
	    NULL || len != AUTH_MAC_LEN) {
		memset(mac, 0, AUTH_MAC_LEN);
		return (-1);
	}
	return (0);
}

/* HMAC-SHA256 of label then data, keyed with key: 0 or -1. */
static int
auth_hmac2(const struct auth_key *key, const char *label, const void *data,
    size_t dlen, uint8_t out[32])
{
	uint8_t		 buf[64 + WIRE_ID_MAX + 1];
	unsigned int	 len = 32;
	size_t		 ll = strlen(label);
	int		 ok;

	if (ll + dlen > sizeof(buf))
		return (-1);
	memcpy(buf, label, ll);
	memcpy(buf + ll, data, dlen);
	ok = HMAC(EVP_sha256(), key->k, (int)key->len, buf, ll + dlen, out,
	    &len) != NULL && len == 32;
	explicit_bzero(buf, sizeof(buf));
	if (!ok)
		memset(out, 0, 32);
	return (ok ? 0 : -1);
}

int
auth_psk(const struct auth_key *key, uint8_t psk[AUTH_PSK_LEN])
{
	return (auth_hmac2(key, "cohort tls1.3 psk v1", "", 0, psk));
}

int
auth_key_id(const struct auth_key *key, uint8_t id[AUTH_KEY_ID_LEN])
{
	uint8_t	full[32];

	if (auth_hmac2(key, "cohort key id v1", "", 0, full) == -1)
		return (-1);
	memcpy(id, full, AUTH_KEY_ID_LEN);
	explicit_bzero(full, sizeof(full));
	return (0);
}

int
auth_verify(const struct auth_keys *keys, const struct auth_transcript *t,
    const uint8_t mac[AUTH_MAC_LEN])
{
	uint8_t	want[AUTH_MAC_LEN];
	size_t	i;
	int	ok = 0;

	/* Try every key, whatever matched: the time says nothing. */
	for (i = 0; i < keys->n; i++) {
		/* A MAC that cannot be computed verifies nothing. */
		if (auth_mac(&keys->key[i], t, want) == -1)
			continue;
		ok |= CRYPTO_memcmp(want, mac, AUTH_MAC_LEN) == 0;
	}
	explicit_bzero(want, sizeof(want));
	return (ok);
}
