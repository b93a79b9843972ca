/*
 * crypto — the few primitives shopsync needs, on OpenSSL: HMAC-SHA256,
 * SHA-256, AES-256-GCM seal/open for secrets at rest, random bytes,
 * constant-time comparison and hex encoding.
 */
#ifndef SHOPSYNC_CRYPTO_H
#define SHOPSYNC_CRYPTO_H

#include <stddef.h>

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_KEY_LEN 32

/* out = HMAC-SHA256(key, msg). key and msg are borrowed. Returns 0 or -1. */
int crypto_hmac_sha256(const void *key, size_t key_len, const void *msg,
                       size_t msg_len, unsigned char out[CRYPTO_SHA256_LEN]);

/* Incremental HMAC-SHA256, for messages assembled from several parts. */
typedef struct crypto_hmac crypto_hmac_t;

/* New context keyed with key (borrowed); NULL on failure. */
crypto_hmac_t *crypto_hmac_new(const void *key, size_t key_len);
/* Feed n bytes (borrowed). Returns 0 or -1. */
int crypto_hmac_update(crypto_hmac_t *h, const void *p, size_t n);
/* Finish into out and free the context (stolen). Returns 0 or -1. */
int crypto_hmac_final(crypto_hmac_t *h, unsigned char out[CRYPTO_SHA256_LEN]);
/* Free a context that will not be finished (NULL is fine). */
void crypto_hmac_free(crypto_hmac_t *h);

/* out = SHA-256(msg). Returns 0 or -1. */
int crypto_sha256(const void *msg, size_t n, unsigned char out[CRYPTO_SHA256_LEN]);

/* Lowercase hex MD5 of msg (borrowed) into out: only where a peer asks for
 * it as a file checksum (TikTok's customer files), never for secrets. */
#define CRYPTO_MD5_HEX 33
int crypto_md5_hex(const void *msg, size_t n, char out[CRYPTO_MD5_HEX]);

/* Fill out with n cryptographically strong random bytes. Returns 0 or -1. */
int crypto_random(void *out, size_t n);

/* 1 when the n bytes of a and b are equal, else 0, in time independent of
 * where they differ. */
int crypto_ct_equal(const void *a, const void *b, size_t n);

/* 1 when the two NUL-terminated hex strings are equal ignoring case, in time
 * that depends only on their lengths; 0 otherwise. */
int crypto_hex_equal(const char *a, const char *b);

/* Lowercase hex of n bytes into out, which holds 2n+1 bytes. */
void crypto_hex(const unsigned char *in, size_t n, char *out);

/* Decode exactly out_len bytes from a hex string of 2*out_len characters.
 * Returns 0, or -1 on a wrong length or a non-hex character. */
int crypto_unhex(const char *hex, unsigned char *out, size_t out_len);

/* Seal plaintext with AES-256-GCM under key, binding aad (may be NULL).
 * *out is a new string "v1.<hex nonce>.<hex ciphertext+tag>" the caller
 * frees. Returns 0 or -1. */
int crypto_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *aad,
                const void *pt, size_t pt_len, char **out);

/* Open a string made by crypto_seal with the same key and aad. *out is a new
 * NUL-terminated buffer (caller frees) of *out_len bytes. Returns 0, or -1
 * when the input is malformed or fails authentication. */
int crypto_open(const unsigned char key[CRYPTO_KEY_LEN], const char *aad,
                const char *sealed, char **out, size_t *out_len);

/* A new random token of n_bytes random bytes as lowercase hex into out
 * (2*n_bytes+1 bytes). Returns 0 or -1. */
int crypto_random_hex(size_t n_bytes, char *out);

#endif
