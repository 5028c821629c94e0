/*
 * check_auth.c: unit tests for the cluster key and the handshake proof
 * (src/common/auth.c).
 *
 * The proof is checked against cohort-protocol(7), not against auth.c:
 * one known answer computed apart from this code, and a transcript built
 * here from the manual's description for every other case.  Each field of
 * the transcript, and the key, must change the MAC.  MACs must be compared
 * with CRYPTO_memcmp for every configured key: this program defines
 * CRYPTO_memcmp, which the linker binds auth.c's call to, counts the
 * calls that compare a MAC, and hands each to OpenSSL's.
 *
 * Key files are written into a fresh directory per test case.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/auth.h"
#include "common/config.h"
#include "check_main.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* The MAC comparisons auth_verify makes. */

static const uint8_t	*watch_mac;	/* count compares against this */
static size_t		 mac_compares;

int
CRYPTO_memcmp(const void *a, const void *b, size_t len)
{
	static int	(*real)(const void *, const void *, size_t);

	if (real == NULL) {
		*(void **)&real = dlsym(RTLD_NEXT, "CRYPTO_memcmp");
		if (real == NULL)
			abort();
	}
	if (watch_mac != NULL && len == AUTH_MAC_LEN && (a == watch_mac ||
	    b == watch_mac))
		mac_compares++;
	return (real(a, b, len));
}

/* The transcript as cohort-protocol(7) describes it. */

static size_t
spec_field(uint8_t *buf, size_t off, const void *p, size_t len)
{
	buf[off++] = (uint8_t)(len >> 8);
	buf[off++] = (uint8_t)len;
	if (len > 0)
		memcpy(buf + off, p, len);
	return (off + len);
}

static size_t
spec_u64(uint8_t *buf, size_t off, uint64_t v)
{
	int	i;

	for (i = 56; i >= 0; i -= 8)
		buf[off++] = (uint8_t)(v >> i);
	return (off);
}

static void
spec_mac(const struct auth_key *k, const struct auth_transcript *t,
    uint8_t mac[AUTH_MAC_LEN])
{
	static const char	label[] = "cohort hello-ack v2";
	uint8_t			role = t->from_initiator ? 1 : 0;
	uint8_t			buf[1024];
	unsigned int		len = AUTH_MAC_LEN;
	size_t			n = 0;

	n = spec_field(buf, n, label, strlen(label));
	n = spec_field(buf, n, t->cluster, strlen(t->cluster));
	n = spec_field(buf, n, t->from_id, strlen(t->from_id));
	n = spec_field(buf, n, t->to_id, strlen(t->to_id));
	n = spec_field(buf, n, t->from_nonce, WIRE_NONCE_LEN);
	n = spec_field(buf, n, t->to_nonce, WIRE_NONCE_LEN);
	n = spec_u64(buf, n, t->from_inc);
	n = spec_u64(buf, n, t->to_inc);
	n = spec_field(buf, n, &role, 1);
	n = spec_field(buf, n, t->channel, t->channel != NULL ?
	    t->channel_len : 0);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), k->k, (int)k->len, buf, n,
	    mac, &len));
	ck_assert_uint_eq(len, AUTH_MAC_LEN);
}

/* Fixtures: a key, nonces and a transcript to vary. */

struct case_data {
	struct auth_key		key;
	uint8_t			from_nonce[WIRE_NONCE_LEN];
	uint8_t			to_nonce[WIRE_NONCE_LEN];
	char			cluster[WIRE_ID_MAX + 1];
	char			from_id[WIRE_ID_MAX + 1];
	char			to_id[WIRE_ID_MAX + 1];
	uint8_t			channel[AUTH_CHANNEL_LEN];
	struct auth_transcript	t;
};

static void
case_init(struct case_data *c)
{
	size_t	i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < AUTH_KEY_MIN; i++)
		c->key.k[i] = (uint8_t)i;
	c->key.len = AUTH_KEY_MIN;
	for (i = 0; i < WIRE_NONCE_LEN; i++) {
		c->from_nonce[i] = (uint8_t)(0x40 + i);
		c->to_nonce[i] = (uint8_t)(0x80 + i);
	}
	strcpy(c->cluster, "prod");
	strcpy(c->from_id, "n1");
	strcpy(c->to_id, "n2");
	c->t.cluster = c->cluster;
	c->t.from_id = c->from_id;
	c->t.to_id = c->to_id;
	c->t.from_nonce = c->from_nonce;
	c->t.to_nonce = c->to_nonce;
	c->t.from_inc = 0x0102030405060708ULL;
	c->t.to_inc = 42;
	c->t.from_initiator = 1;
}

static void
hex_mac(const uint8_t *mac, char *out)
{
	size_t	i;

	for (i = 0; i < AUTH_MAC_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

/* The proof */

/*
 * The case_init() handshake, its MAC computed apart from this code (with
 * Python's hmac module, from the manual's description).
 */
START_TEST(test_mac_known_answer)
{
	struct case_data	c;
	uint8_t			mac[AUTH_MAC_LEN];
	char			hex[2 * AUTH_MAC_LEN + 1];

	case_init(&c);
	auth_mac(&c.key, &c.t, mac);
	hex_mac(mac, hex);
	ck_assert_str_eq(hex, "f6d23dd7716b36dad1906d98ef99d45a"
	    "f348d0b4e849c07cde1715679a7509d4");
}
END_TEST

/* Field lengths from empty to the wire's maximum, and longer keys. */
START_TEST(test_mac_matches_manual)
{
	struct case_data	c;
	uint8_t			got[AUTH_MAC_LEN], want[AUTH_MAC_LEN];
	size_t			lens[] = { 0, 1, 2, 31, 62, WIRE_ID_MAX };
	size_t			i, j, n = 0;

	case_init(&c);
	for (i = 0; i < NITEMS(lens); i++)
		for (j = 0; j < NITEMS(lens); j++) {
			memset(c.cluster, 'c', lens[i]);
			c.cluster[lens[i]] = '\0';
			memset(c.from_id, 'f', lens[j]);
			c.from_id[lens[j]] = '\0';
			memset(c.to_id, 't', lens[(i + j) % NITEMS(lens)]);
			c.to_id[lens[(i + j) % NITEMS(lens)]] = '\0';
			c.key.len = AUTH_KEY_MIN + (i + j) % (AUTH_KEY_MAX -
			    AUTH_KEY_MIN + 1);
			c.key.k[c.key.len - 1] = (uint8_t)(i * 7 + j);
			c.t.from_inc = (uint64_t)i << 60 | j;
			c.t.to_inc = UINT64_MAX - i - j;
			auth_mac(&c.key, &c.t, got);
			spec_mac(&c.key, &c.t, want);
			ck_assert_msg(memcmp(got, want, AUTH_MAC_LEN) == 0,
			    "MAC differs from the manual's transcript with "
			    "fields of %zu, %zu, %zu bytes, a key of %zu",
			    lens[i], lens[j], lens[(i + j) % NITEMS(lens)],
			    c.key.len);
			n++;
		}
	ck_assert_uint_eq(n, NITEMS(lens) * NITEMS(lens));
	/* The largest key, every byte used. */
	c.key.len = AUTH_KEY_MAX;
	for (i = 0; i < AUTH_KEY_MAX; i++)
		c.key.k[i] = (uint8_t)(0xff - i);
	auth_mac(&c.key, &c.t, got);
	spec_mac(&c.key, &c.t, want);
	ck_assert(memcmp(got, want, AUTH_MAC_LEN) == 0);
}
END_TEST

/* One change to the case_init() handshake each. */
enum mutation {
	M_CLUSTER, M_CLUSTER_LONGER, M_FROM_ID, M_TO_ID, M_SWAP_IDS,
	M_SPLICE_CLUSTER_FROM, M_SPLICE_FROM_TO, M_FROM_NONCE_FIRST,
	M_FROM_NONCE_LAST, M_TO_NONCE_FIRST, M_TO_NONCE_LAST, M_SWAP_NONCES,
	M_FROM_INC, M_FROM_INC_HIGH, M_TO_INC, M_TO_INC_HIGH, M_SWAP_INCS,
	M_KEY_FIRST, M_KEY_LAST, M_KEY_LONGER, M_KEY_SHORTER,
	M_REVERSE,		/* the other end's proof of the same exchange */
	M_ROLE,			/* the same proof, as the other role */
	M_CHANNEL,		/* bound to a TLS session */
	M_CHANNEL_OTHER,	/* bound to another TLS session */
	N_MUTATIONS
};

static const char *const mutation_names[N_MUTATIONS] = {
	"cluster", "cluster longer", "from id", "to id", "ids swapped",
	"cluster/from boundary", "from/to boundary", "from nonce first byte",
	"from nonce last byte", "to nonce first byte", "to nonce last byte",
	"nonces swapped", "from incarnation", "from incarnation high bit",
	"to incarnation", "to incarnation high bit", "incarnations swapped",
	"key first byte", "key last byte", "key one byte longer",
	"key one byte shorter", "the other direction", "the other role",
	"a TLS channel", "another TLS channel",
};

static void
mutate(struct case_data *c, enum mutation m)
{
	uint8_t	tmp[WIRE_NONCE_LEN];

	switch (m) {
	case M_CLUSTER:		c->cluster[0] = 'q'; break;
	case M_CLUSTER_LONGER:	strcat(c->cluster, "x"); break;
	case M_FROM_ID:		c->from_id[1] = '3'; break;
	case M_TO_ID:		c->to_id[1] = '3'; break;
	case M_SWAP_IDS:
		strcpy(c->from_id, "n2");
		strcpy(c->to_id, "n1");
		break;
	/* "prod" "n1" -> "prodn" "1": the same bytes, split elsewhere. */
	case M_SPLICE_CLUSTER_FROM:
		strcpy(c->cluster, "prodn");
		strcpy(c->from_id, "1");
		break;
	case M_SPLICE_FROM_TO:
		strcpy(c->from_id, "n1n");
		strcpy(c->to_id, "2");
		break;
	case M_FROM_NONCE_FIRST: c->from_nonce[0] ^= 1; break;
	case M_FROM_NONCE_LAST:	c->from_nonce[WIRE_NONCE_LEN - 1] ^= 0x80;
		break;
	case M_TO_NONCE_FIRST:	c->to_nonce[0] ^= 1; break;
	case M_TO_NONCE_LAST:	c->to_nonce[WIRE_NONCE_LEN - 1] ^= 0x80; break;
	case M_SWAP_NONCES:
		memcpy(tmp, c->from_nonce, sizeof(tmp));
		memcpy(c->from_nonce, c->to_nonce, sizeof(tmp));
		memcpy(c->to_nonce, tmp, sizeof(tmp));
		break;
	case M_FROM_INC:	c->t.from_inc++; break;
	case M_FROM_INC_HIGH:	c->t.from_inc ^= 1ULL << 63; break;
	case M_TO_INC:		c->t.to_inc++; break;
	case M_TO_INC_HIGH:	c->t.to_inc ^= 1ULL << 63; break;
	case M_SWAP_INCS:
		c->t.to_inc = c->t.from_inc;
		c->t.from_inc = 42;
		break;
	case M_KEY_FIRST:	c->key.k[0] ^= 1; break;
	case M_KEY_LAST:	c->key.k[c->key.len - 1] ^= 0x80; break;
	/*
	 * Not a zero byte: HMAC pads a short key with zeros, so a key and
	 * the same key with a 0 byte appended make the same MAC.
	 */
	case M_KEY_LONGER:	c->key.k[c->key.len++] = 0x5a; break;
	case M_KEY_SHORTER:	c->key.len--; break;
	case M_REVERSE:
		mutate(c, M_SWAP_IDS);
		mutate(c, M_SWAP_NONCES);
		mutate(c, M_SWAP_INCS);
		mutate(c, M_ROLE);
		break;
	case M_ROLE:
		c->t.from_initiator = !c->t.from_initiator;
		break;
	case M_CHANNEL:
		memset(c->channel, 0x33, sizeof(c->channel));
		c->t.channel = c->channel;
		c->t.channel_len = sizeof(c->channel);
		break;
	case M_CHANNEL_OTHER:
		/* The base has a channel too (see below): one byte differs. */
		mutate(c, M_CHANNEL);
		c->channel[AUTH_CHANNEL_LEN - 1] ^= 1;
		break;
	case N_MUTATIONS:
		break;
	}
}

START_TEST(test_mac_every_field)
{
	struct case_data	base, c;
	struct auth_keys	keys;
	uint8_t			mac0[AUTH_MAC_LEN], mac[AUTH_MAC_LEN];
	uint8_t			want[AUTH_MAC_LEN];

	case_init(&base);
	if (_i == M_CHANNEL_OTHER)
		mutate(&base, M_CHANNEL);
	ck_assert_int_eq(auth_mac(&base.key, &base.t, mac0), 0);
	case_init(&c);
	mutate(&c, (enum mutation)_i);
	auth_mac(&c.key, &c.t, mac);
	ck_assert_msg(memcmp(mac, mac0, AUTH_MAC_LEN) != 0,
	    "changing the %s leaves the MAC as it was",
	    mutation_names[_i]);
	/* Still the manual's transcript after the change. */
	spec_mac(&c.key, &c.t, want);
	ck_assert_msg(memcmp(mac, want, AUTH_MAC_LEN) == 0,
	    "with the %s changed, the MAC is not the manual's",
	    mutation_names[_i]);
	/* The first proof does not verify the changed handshake. */
	memset(&keys, 0, sizeof(keys));
	keys.key[0] = c.key;
	keys.n = 1;
	ck_assert_msg(auth_verify(&keys, &c.t, mac0) == 0,
	    "the proof of the original verifies with the %s changed",
	    mutation_names[_i]);
	ck_assert_int_eq(auth_verify(&keys, &c.t, mac), 1);
}
END_TEST

/* Verification */

START_TEST(test_verify)
{
	struct case_data	c;
	struct auth_keys	keys;
	uint8_t			mac[AUTH_MAC_LEN], bad[AUTH_MAC_LEN];
	size_t			bit;

	case_init(&c);
	memset(&keys, 0, sizeof(keys));
	keys.key[0] = c.key;
	keys.n = 1;
	auth_mac(&c.key, &c.t, mac);
	ck_assert_int_eq(auth_verify(&keys, &c.t, mac), 1);
	/* Every single bit flipped is refused. */
	for (bit = 0; bit < 8 * AUTH_MAC_LEN; bit++) {
		memcpy(bad, mac, sizeof(bad));
		bad[bit / 8] ^= (uint8_t)(1 << bit % 8);
		ck_assert_msg(auth_verify(&keys, &c.t, bad) == 0,
		    "a MAC with bit %zu flipped verifies", bit);
	}
	/* The zeros a HELLO_ACK carries without a key. */
	memset(bad, 0, sizeof(bad));
	ck_assert_int_eq(auth_verify(&keys, &c.t, bad), 0);
	/* No keys: nothing verifies. */
	keys.n = 0;
	ck_assert_int_eq(auth_verify(&keys, &c.t, mac), 0);
	ck_assert_int_eq(auth_verify(&keys, &c.t, bad), 0);
}
END_TEST

/* Rotation: a proof made with any configured key is accepted. */
START_TEST(test_verify_rotation)
{
	struct case_data	c;
	struct auth_keys	keys;
	struct auth_key		outsider;
	uint8_t			mac[AUTH_KEYS_MAX][AUTH_MAC_LEN];
	uint8_t			other[AUTH_MAC_LEN];
	size_t			i, j;

	case_init(&c);
	memset(&keys, 0, sizeof(keys));
	for (i = 0; i < AUTH_KEYS_MAX; i++) {
		keys.key[i] = c.key;
		keys.key[i].k[0] = (uint8_t)(0xa0 + i);
		keys.key[i].len = AUTH_KEY_MIN + i;
		auth_mac(&keys.key[i], &c.t, mac[i]);
	}
	outsider = c.key;
	outsider.k[0] = 0xee;
	auth_mac(&outsider, &c.t, other);
	/* With the first n keys: the proofs of those verify, others not. */
	for (keys.n = 1; keys.n <= AUTH_KEYS_MAX; keys.n++) {
		for (j = 0; j < AUTH_KEYS_MAX; j++)
			ck_assert_msg(auth_verify(&keys, &c.t, mac[j]) ==
			    (j < keys.n), "with %zu keys, key %zu's proof: %d",
			    keys.n, j, auth_verify(&keys, &c.t, mac[j]));
		ck_assert_int_eq(auth_verify(&keys, &c.t, other), 0);
	}
}
END_TEST

/*
 * CRYPTO_memcmp compares the MAC, once for every key whichever matches,
 * so that the time taken says nothing about which key, or how much of
 * the MAC, was right.
 */
START_TEST(test_verify_constant_time)
{
	struct case_data	c;
	struct auth_keys	keys;
	uint8_t			mac[AUTH_MAC_LEN], bad[AUTH_MAC_LEN];
	size_t			i;

	case_init(&c);
	memset(&keys, 0, sizeof(keys));
	for (i = 0; i < 3; i++) {
		keys.key[i] = c.key;
		keys.key[i].k[1] = (uint8_t)i;
	}
	keys.n = 3;
	auth_mac(&keys.key[0], &c.t, mac);
	memset(bad, 0xab, sizeof(bad));

	watch_mac = mac;
	mac_compares = 0;
	ck_assert_int_eq(auth_verify(&keys, &c.t, mac), 1);
	ck_assert_msg(mac_compares == 3, "a MAC matching the first of 3 keys "
	    "took %zu CRYPTO_memcmp calls, not 3", mac_compares);
	auth_mac(&keys.key[2], &c.t, mac);
	mac_compares = 0;
	ck_assert_int_eq(auth_verify(&keys, &c.t, mac), 1);
	ck_assert_uint_eq(mac_compares, 3);
	watch_mac = bad;
	mac_compares = 0;
	ck_assert_int_eq(auth_verify(&keys, &c.t, bad), 0);
	ck_assert_msg(mac_compares == 3, "a MAC matching none of 3 keys took "
	    "%zu CRYPTO_memcmp calls, not 3", mac_compares);
	watch_mac = NULL;
}
END_TEST

/* Key files */

static char	tmpdir[64];

static void
dir_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_auth.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		ck_abort_msg("mkdtemp: %s", strerror(errno));
}

static void
dir_teardown(void)
{
	struct dirent	*de;
	DIR		*d;

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..")
		    == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1)
			(void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
	rmdir(tmpdir);
}

/* tmpdir/name, holding len bytes of text (-1: strlen), mode given. */
static const char *
key_file(const char *name, const char *text, ssize_t len, mode_t mode)
{
	static char	path[256];
	int		fd;

	if (len < 0)
		len = (ssize_t)strlen(text);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600),
	    0);
	ck_assert_int_eq(write(fd, text, (size_t)len), len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	return (path);
}

/* n hex digits of the bytes 0, 1, 2, ... */
static void
hex_digits(char *out, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		out[i] = "0123456789abcdef"[i % 2 == 0 ? (i / 2) >> 4 & 0xf :
		    (i / 2) & 0xf];
	out[n] = '\0';
}

static void
load_ok(const char *path, size_t want_len)
{
	struct auth_key	key;
	char		err[512];
	size_t		i;

	memset(&key, 0xee, sizeof(key));
	ck_assert_msg(auth_load_key(path, &key, err, sizeof(err)) == 0,
	    "refused: %s", err);
	ck_assert_uint_eq(key.len, want_len);
	for (i = 0; i < want_len; i++)
		ck_assert_msg(key.k[i] == (uint8_t)i, "key byte %zu is %u", i,
		    key.k[i]);
	for (; i < AUTH_KEY_MAX; i++)
		ck_assert_msg(key.k[i] == 0, "byte %zu past the key is %u", i,
		    key.k[i]);
}

/* Refused, saying each of what (NULL ends the list). */
static void
load_fails(const char *path, const char *what, ...)
{
	struct auth_key	 key;
	char		 err[512];
	const char	*w;
	va_list		 ap;

	memset(err, 0, sizeof(err));
	memset(&key, 0xee, sizeof(key));
	ck_assert_int_eq(auth_load_key(path, &key, err, sizeof(err)), -1);
	ck_assert_uint_eq(key.len, 0);
	ck_assert_msg(strstr(err, path) != NULL, "\"%s\" does not name %s",
	    err, path);
	va_start(ap, what);
	for (w = what; w != NULL; w = va_arg(ap, const char *))
		ck_assert_msg(strstr(err, w) != NULL, "\"%s\" lacks \"%s\"",
		    err, w);
	va_end(ap);
}

START_TEST(test_key_good)
{
	char	hex[2 * AUTH_KEY_MAX + 1], text[1024];
	size_t	i, n;

	hex_digits(hex, 2 * AUTH_KEY_MIN);
	snprintf(text, sizeof(text), "%s\n", hex);
	load_ok(key_file("plain", text, -1, 0600), AUTH_KEY_MIN);
	/* As cohortd --keygen writes it, without the newline too. */
	load_ok(key_file("nonl", hex, -1, 0600), AUTH_KEY_MIN);
	/* Upper case; white space anywhere, even inside a byte. */
	for (i = 0; hex[i] != '\0'; i++)
		if (hex[i] >= 'a')
			hex[i] -= 'a' - 'A';
	for (i = 0, n = 0; hex[i] != '\0'; i++) {
		text[n++] = hex[i];
		if (i % 8 == 0)
			text[n++] = ' ';
		if (i % 13 == 0)
			text[n++] = '\t';
		if (i % 32 == 31)
			text[n++] = '\n';
	}
	memcpy(text + n, "\r\n\n", 4);
	load_ok(key_file("spaced", text, -1, 0600), AUTH_KEY_MIN);
	/* The longest key. */
	hex_digits(hex, 2 * AUTH_KEY_MAX);
	load_ok(key_file("max", hex, -1, 0600), AUTH_KEY_MAX);
	hex_digits(hex, 2 * AUTH_KEY_MIN + 2);
	load_ok(key_file("min+1", hex, -1, 0600), AUTH_KEY_MIN + 1);
	/* Group-readable is allowed: the message suggests it. */
	hex_digits(hex, 2 * AUTH_KEY_MIN);
	load_ok(key_file("group", hex, -1, 0640), AUTH_KEY_MIN);
	load_ok(key_file("owner-ro", hex, -1, 0400), AUTH_KEY_MIN);
}
END_TEST

START_TEST(test_key_length)
{
	char	hex[2 * AUTH_KEY_MAX + 8];

	hex_digits(hex, 2 * AUTH_KEY_MIN - 2);
	load_fails(key_file("short", hex, -1, 0600), "holds 62 hex digits",
	    "at least 32 bytes", "cohortd --keygen", NULL);
	hex_digits(hex, 2 * AUTH_KEY_MIN + 1);
	load_fails(key_file("odd", hex, -1, 0600), "holds 65 hex digits",
	    NULL);
	hex_digits(hex, 2 * AUTH_KEY_MAX + 1);
	load_fails(key_file("long", hex, -1, 0600), "64 to 128 hex digits",
	    NULL);
	hex_digits(hex, 2 * AUTH_KEY_MAX + 2);
	load_fails(key_file("long2", hex, -1, 0600), "64 to 128 hex digits",
	    NULL);
	load_fails(key_file("empty", "", -1, 0600), "holds 0 hex digits",
	    NULL);
	load_fails(key_file("blank", " \n\t\n", -1, 0600),
	    "holds 0 hex digits", NULL);
}
END_TEST

START_TEST(test_key_not_hex)
{
	char	hex[2 * AUTH_KEY_MIN + 8], text[256];

	hex_digits(hex, 2 * AUTH_KEY_MIN);
	hex[10] = 'g';
	load_fails(key_file("g", hex, -1, 0600), "64 to 128 hex digits",
	    "cohortd --keygen", NULL);
	hex_digits(hex, 2 * AUTH_KEY_MIN);
	snprintf(text, sizeof(text), "0x%s", hex);
	load_fails(key_file("0x", text, -1, 0600), "64 to 128 hex digits",
	    NULL);
	snprintf(text, sizeof(text), "%s # the key\n", hex);
	load_fails(key_file("comment", text, -1, 0600),
	    "64 to 128 hex digits", NULL);
	/* A NUL inside: the file is read as bytes, not as a C string. */
	memcpy(text, hex, sizeof(hex));
	text[2 * AUTH_KEY_MIN] = '\0';
	text[2 * AUTH_KEY_MIN + 1] = '0';
	text[2 * AUTH_KEY_MIN + 2] = '0';
	load_fails(key_file("nul", text, 2 * AUTH_KEY_MIN + 3, 0600),
	    "64 to 128 hex digits", NULL);
	/* Raw bytes instead of hex. */
	memset(text, 0xc3, 64);
	load_fails(key_file("raw", text, 64, 0600), "64 to 128 hex digits",
	    NULL);
}
END_TEST

START_TEST(test_key_permissions)
{
	static const mode_t	open_modes[] = { 0644, 0604, 0602, 0606, 0666,
				    0777, 0704 };
	char			hex[2 * AUTH_KEY_MIN + 1], mode[16];
	size_t			i;

	hex_digits(hex, 2 * AUTH_KEY_MIN);
	for (i = 0; i < NITEMS(open_modes); i++) {
		snprintf(mode, sizeof(mode), "(mode %04o)",
		    (unsigned)open_modes[i]);
		load_fails(key_file("open", hex, -1, open_modes[i]),
		    "may be read by other users", mode, "chmod 0600", NULL);
	}
}
END_TEST

START_TEST(test_key_missing)
{
	char	path[256];

	snprintf(path, sizeof(path), "%s/none", tmpdir);
	load_fails(path, "cannot read the key file", strerror(ENOENT), NULL);
	/* A directory is not a key file. */
	load_fails(tmpdir, "is not a regular file", NULL);
	load_fails("/dev/null", "is not a regular file", NULL);
}
END_TEST

START_TEST(test_keygen)
{
	struct auth_key	a, b;
	struct stat	st;
	char		path[256], path2[256], err[512], text[256];
	ssize_t		n;
	size_t		i;
	int		fd;

	snprintf(path, sizeof(path), "%s/gen", tmpdir);
	snprintf(path2, sizeof(path2), "%s/gen2", tmpdir);
	ck_assert_msg(auth_keygen(path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_msg((st.st_mode & 07777) == 0600, "mode %04o",
	    (unsigned)(st.st_mode & 07777));
	/* 64 hex digits and a newline. */
	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	n = read(fd, text, sizeof(text));
	close(fd);
	ck_assert_int_eq(n, 2 * AUTH_KEY_MIN + 1);
	ck_assert_int_eq(text[2 * AUTH_KEY_MIN], '\n');
	for (i = 0; i < 2 * AUTH_KEY_MIN; i++)
		ck_assert_msg(strchr("0123456789abcdef", text[i]) != NULL &&
		    text[i] != '\0', "byte %zu is '%c'", i, text[i]);
	ck_assert_msg(auth_load_key(path, &a, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_uint_eq(a.len, AUTH_KEY_MIN);
	/* Never overwritten. */
	ck_assert_int_eq(auth_keygen(path, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "never overwritten") != NULL &&
	    strstr(err, path) != NULL, "%s", err);
	ck_assert_msg(auth_load_key(path, &b, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert(a.len == b.len && memcmp(a.k, b.k, a.len) == 0);
	/* A second key is another key. */
	ck_assert_msg(auth_keygen(path2, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(auth_load_key(path2, &b, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert(memcmp(a.k, b.k, AUTH_KEY_MIN) != 0);
	/* Nowhere to write. */
	snprintf(path2, sizeof(path2), "%s/no/such/dir", tmpdir);
	ck_assert_int_eq(auth_keygen(path2, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "cannot create") != NULL, "%s", err);
}
END_TEST

/*
 * The rotation list as the daemon reads it: key_files in order, each
 * loaded; one bad file refuses them all and leaves no key behind.
 */
START_TEST(test_config_keys)
{
	struct cohort_conf	 conf;
	struct auth_keys	 keys;
	struct case_data	 c;
	uint8_t			 mac[AUTH_MAC_LEN];
	char			 hex[2 * AUTH_KEY_MAX + 1], a[256], b[256];
	char			 err[1024], *text;
	size_t			 i;

	hex_digits(hex, 2 * AUTH_KEY_MIN);
	snprintf(a, sizeof(a), "%s", key_file("new", hex, -1, 0600));
	hex_digits(hex, 2 * AUTH_KEY_MAX);
	hex[0] = 'f';
	snprintf(b, sizeof(b), "%s", key_file("old", hex, -1, 0600));
	ck_assert_int_gt(asprintf(&text,
	    "cluster = \"c\";\n"
	    "node_id = \"n1\";\n"
	    "nodes = ( { id = \"n1\"; address = \"127.0.0.1\"; port = 1; },\n"
	    "  { id = \"n2\"; address = \"127.0.0.2\"; port = 1; } );\n"
	    "security = { key_files = [ \"%s\", \"%s\" ]; };\n", a, b), 0);
	ck_assert_msg(config_load_string(text, "keys.conf", NULL, &conf, err,
	    sizeof(err)) == 0, "refused: %s", err);
	ck_assert_msg(config_load_keys(&conf, &keys, err, sizeof(err)) == 0,
	    "refused: %s", err);
	ck_assert_uint_eq(keys.n, 2);
	ck_assert_uint_eq(keys.key[0].len, AUTH_KEY_MIN);
	for (i = 0; i < AUTH_KEY_MIN; i++)
		ck_assert_uint_eq(keys.key[0].k[i], i);
	ck_assert_uint_eq(keys.key[1].len, AUTH_KEY_MAX);
	ck_assert_uint_eq(keys.key[1].k[0], 0xf0);
	for (i = 1; i < AUTH_KEY_MAX; i++)
		ck_assert_uint_eq(keys.key[1].k[i], i);
	/* A peer still on the old key is accepted. */
	case_init(&c);
	auth_mac(&keys.key[1], &c.t, mac);
	ck_assert_int_eq(auth_verify(&keys, &c.t, mac), 1);

	/* The old key's file opened to everyone: nothing is loaded. */
	ck_assert_int_eq(chmod(b, 0644), 0);
	ck_assert_int_eq(config_load_keys(&conf, &keys, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "keys.conf:5: ", 13) == 0 &&
	    strstr(err, b) != NULL && strstr(err, "other users") != NULL,
	    "%s", err);
	ck_assert_uint_eq(keys.n, 0);
	for (i = 0; i < AUTH_KEY_MAX; i++)
		ck_assert_msg(keys.key[0].k[i] == 0, "the first key's byte %zu "
		    "is left after a refusal", i);
	config_free(&conf);
	free(text);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("auth");

	tc = tcase_create("mac");
	tcase_add_test(tc, test_mac_known_answer);
	tcase_add_test(tc, test_mac_matches_manual);
	tcase_add_loop_test(tc, test_mac_every_field, 0, N_MUTATIONS);
	suite_add_tcase(s, tc);

	tc = tcase_create("verify");
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_verify_rotation);
	tcase_add_test(tc, test_verify_constant_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("key files");
	tcase_add_unchecked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_key_good);
	tcase_add_test(tc, test_key_length);
	tcase_add_test(tc, test_key_not_hex);
	tcase_add_test(tc, test_key_permissions);
	tcase_add_test(tc, test_key_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("keygen");
	tcase_add_unchecked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_keygen);
	suite_add_tcase(s, tc);

	tc = tcase_create("rotation list");
	tcase_add_unchecked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_config_keys);
	suite_add_tcase(s, tc);

	return (s);
}
