/*
 * adcheck._fastscore: the feature rule of adcheck.features, computed text by text in C.
 *
 * For each document: normalise (per-code-point table prepared in Python), split word tokens and the
 * squeezed character stream, hash every n-gram exactly as adcheck.features does, look the hashes up
 * in the vocabulary's open-addressing table, build sublinear-tf x idf weights with per-family L2
 * norms, and accumulate the decision value of every linear head. Optionally spread the first head's
 * contributions over the original characters (for explanations).
 *
 * Everything is passed as buffers prepared by adcheck/fastpath.py; no NumPy headers are needed.
 * The GIL is released while a batch is scored.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define P_MUL 0x9E3779B97F4A7C15ULL
#define LENGTH_MIX 0xC2B2AE3D27D4EB4FULL
#define PAIR_MIX 0x165667B19E3779F9ULL
#define SEED_WORD 0x51ED270B27A2B1D3ULL
#define SEED_CHAR 0x2545F4914F6CDD1DULL
#define SEED_WB 0x3C6EF372FE94F82BULL
#define SEED_BODY 0x6A09E667F3BCC909ULL /* a body n-gram's key: its word n-gram's key mixed again */
#define N_FAMILIES 4

/* score_doc's failures besides -1 (out of memory) */
#define UNKNOWN_CODEPOINT (-2)
#define BAD_TABLE (-3)

#define CLASS_WORD 1
#define CLASS_SYMBOL 2

static inline uint64_t fmix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
}

typedef struct {
    const uint64_t *pairs; /* slot i: pairs[2i] = key, pairs[2i + 1] = column, or UINT64_MAX if empty */
    uint64_t mask;
    int shift;
    const uint64_t *filter; /* one bit per (hash & filter_mask): clear means "not in the vocabulary" */
    uint64_t filter_mask;
} HashTable;

static inline int64_t table_lookup(const HashTable *t, uint64_t h) {
    uint64_t bit = h & t->filter_mask;
    if (!((t->filter[bit >> 6] >> (bit & 63)) & 1)) return -1;
    uint64_t slot = h >> t->shift;
    for (;;) {
        uint64_t v = t->pairs[2 * slot + 1];
        if (v == UINT64_MAX) return -1;
        if (t->pairs[2 * slot] == h) return (int64_t)v;
        slot = (slot + 1) & t->mask;
    }
}

typedef struct {
    /* growable scratch, reused across documents */
    uint32_t *norm; int64_t *orig; size_t norm_cap;
    uint32_t *sq; int64_t *sq_orig; size_t sq_cap;
    int64_t *tok_start, *tok_end; uint64_t *tok_hash, *running; size_t tok_cap;
    int64_t *occ_col, *occ_start, *occ_end; size_t occ_cap, occ_n; /* occ_col: touched index */
    int64_t *touched; size_t touched_n; /* the document's distinct columns, in first-seen order */
    /* per vocabulary column: (stamp << 32) | touched index, valid when the stamp is the current
     * document's; one read per occurrence (an array over all columns beat a small per-document
     * hash map: 8 bytes a column stays in the L2 cache, and there is no probing) */
    uint64_t *slot_of; size_t n_slots; uint32_t stamp; int64_t n_features;
    uint64_t *q_key; int64_t *q_start, *q_end; size_t q_cap, q_n; /* n-grams waiting for lookup */
    /* character 1-grams of BMP code points: their column, looked up once per call and cached
     * (UNI_UNSEEN until then); the 1-gram occurrences of a document wait in u_* like the queue */
    int32_t *uni; int64_t *u_col, *u_start, *u_end; size_t u_cap, u_n;
    double *values; /* per touched column: its tf-idf value in this document */
    size_t touched_cap;
    int32_t *tcount; /* per touched column: its count in the document */
} Scratch;

static int grow(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 256;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * size);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* Three parallel arrays of 8-byte items sharing one capacity (the n-gram queue, the occurrences,
 * the character 1-grams): grown together so that `*cap` always holds for all three. */
static int grow3_slow(void *a, void *b, void *c, size_t *cap, size_t need) {
    size_t c1 = *cap, c2 = *cap, c3 = *cap;
    if (grow((void **)a, &c1, need, 8) || grow((void **)b, &c2, need, 8) || grow((void **)c, &c3, need, 8)) return -1;
    size_t m = c1;
    if (c2 < m) m = c2;
    if (c3 < m) m = c3;
    *cap = m;
    return 0;
}

static inline int grow3(void *a, void *b, void *c, size_t *cap, size_t need) {
    return need <= *cap ? 0 : grow3_slow(a, b, c, cap, need);
}

static int grow_norm(Scratch *s, size_t need) {
    size_t cap = s->norm_cap;
    if (grow((void **)&s->norm, &cap, need, sizeof(uint32_t))) return -1;
    size_t cap2 = s->norm_cap;
    if (grow((void **)&s->orig, &cap2, need, sizeof(int64_t))) return -1;
    s->norm_cap = cap < cap2 ? cap : cap2;
    return 0;
}

static int grow_sq(Scratch *s, size_t need) {
    size_t cap = s->sq_cap, cap2 = s->sq_cap;
    if (grow((void **)&s->sq, &cap, need, sizeof(uint32_t))) return -1;
    if (grow((void **)&s->sq_orig, &cap2, need, sizeof(int64_t))) return -1;
    s->sq_cap = cap < cap2 ? cap : cap2;
    return 0;
}

static int grow_tok(Scratch *s, size_t need) {
    size_t c1 = s->tok_cap, c2 = s->tok_cap, c3 = s->tok_cap, c4 = s->tok_cap;
    if (grow((void **)&s->tok_start, &c1, need, sizeof(int64_t))) return -1;
    if (grow((void **)&s->tok_end, &c2, need, sizeof(int64_t))) return -1;
    if (grow((void **)&s->tok_hash, &c3, need, sizeof(uint64_t))) return -1;
    if (grow((void **)&s->running, &c4, need, sizeof(uint64_t))) return -1;
    size_t m = c1;
    if (c2 < m) m = c2;
    if (c3 < m) m = c3;
    if (c4 < m) m = c4;
    s->tok_cap = m;
    return 0;
}

static inline size_t touched_index(Scratch *s, int64_t col) {
    uint64_t e = s->slot_of[col];
    if ((uint32_t)(e >> 32) == s->stamp) return (size_t)(uint32_t)e;
    size_t t = s->touched_n++;
    s->slot_of[col] = ((uint64_t)s->stamp << 32) | (uint64_t)t;
    s->touched[t] = col;
    s->tcount[t] = 0;
    return t;
}

static inline int add_occurrence(Scratch *s, int64_t col, int64_t start, int64_t end, int keep_spans) {
    size_t t = touched_index(s, col);
    s->tcount[t] += 1;
    col = (int64_t)t;
    if (keep_spans) {
        if (grow3(&s->occ_col, &s->occ_start, &s->occ_end, &s->occ_cap, s->occ_n + 1)) return -1;
        s->occ_col[s->occ_n] = col;
        s->occ_start[s->occ_n] = start;
        s->occ_end[s->occ_n] = end;
        s->occ_n++;
    }
    return 0;
}

static inline int queue_key(Scratch *s, uint64_t key, int64_t start, int64_t end) {
    if (grow3(&s->q_key, &s->q_start, &s->q_end, &s->q_cap, s->q_n + 1)) return -1;
    s->q_key[s->q_n] = key;
    s->q_start[s->q_n] = start;
    s->q_end[s->q_n] = end;
    s->q_n++;
    return 0;
}

#define UNI_SIZE 0x10000
#define UNI_UNSEEN (-2)

/* The column of the character 1-gram of code point cp (< UNI_SIZE), or -1; cached per call. */
static inline int64_t unigram_column(const HashTable *t, Scratch *s, uint32_t cp, uint64_t key) {
    int32_t col = s->uni[cp];
    if (col == UNI_UNSEEN) {
        col = (int32_t)table_lookup(t, key);
        s->uni[cp] = col;
    }
    return col;
}

static inline int keep_unigram(Scratch *s, int64_t col, int64_t start, int64_t end) {
    if (grow3(&s->u_col, &s->u_start, &s->u_end, &s->u_cap, s->u_n + 1)) return -1;
    s->u_col[s->u_n] = col;
    s->u_start[s->u_n] = start;
    s->u_end[s->u_n] = end;
    s->u_n++;
    return 0;
}

/* The slot array outlives a call: one per thread (the GIL is released while scoring, so threads
 * score at once), freed when the thread ends. Stamps carry on from call to call, so the array is
 * zeroed only when it is made or grown, not on every call (a single text would pay for zeroing
 * 8 bytes per vocabulary column). A slot whose stamp is not the current document's is empty,
 * whichever model wrote it. */
typedef struct {
    uint64_t *slots;
    size_t n;
    uint32_t stamp;
} SlotCache;

static pthread_key_t slot_key;
static int slot_key_ready = 0;

static void free_slot_cache(void *p) {
    SlotCache *c = p;
    if (c) {
        free(c->slots);
        free(c);
    }
}

/* This thread's cache with room for n columns, or NULL when out of memory. Without a thread key
 * (pthread_key_create failed) the caller gets a cache of its own and frees it after the call. */
static SlotCache *slot_cache(size_t n, int *owned) {
    SlotCache *c = slot_key_ready ? pthread_getspecific(slot_key) : NULL;
    *owned = 0;
    if (!c) {
        c = calloc(1, sizeof(SlotCache));
        if (!c) return NULL;
        if (!slot_key_ready || pthread_setspecific(slot_key, c) != 0) *owned = 1;
    }
    if (c->n < n || !c->slots) {
        free(c->slots);
        c->n = 0;
        c->stamp = 0;
        c->slots = calloc(n ? n : 1, sizeof(uint64_t));
        if (!c->slots) {
            if (*owned) free(c);
            return NULL;
        }
        c->n = n ? n : 1;
    }
    return c;
}

/* Look the queued n-grams up, prefetching the filter word and table slot a few keys ahead so
 * that the memory reads overlap instead of waiting one after another. */
#define PREFETCH_AHEAD 16
static int flush_queue(const HashTable *t, Scratch *s, int keep_spans) {
    /* at most q_n + u_n distinct columns: size the touched arrays for that */
    size_t need = s->q_n + s->u_n + 1;
    if (need > UINT32_MAX) return -1; /* touched indexes are stored in 32 bits */
    if (need > s->touched_cap) {
        size_t c1 = s->touched_cap, c2 = s->touched_cap, c3 = s->touched_cap;
        if (grow((void **)&s->touched, &c1, need, sizeof(int64_t))) return -1;
        if (grow((void **)&s->values, &c2, need, sizeof(double))) return -1;
        if (grow((void **)&s->tcount, &c3, need, sizeof(int32_t))) return -1;
        size_t m = c1;
        if (c2 < m) m = c2;
        if (c3 < m) m = c3;
        s->touched_cap = m;
    }
    if (++s->stamp == 0) { /* stamps wrapped: clear them once */
        memset(s->slot_of, 0, s->n_slots * sizeof(uint64_t));
        s->stamp = 1;
    }
    for (size_t i = 0; i < s->u_n; i++) {
        if (s->u_col[i] >= s->n_features) return BAD_TABLE;
        __builtin_prefetch(&s->slot_of[s->u_col[i]]);
    }
    for (size_t i = 0; i < s->u_n; i++)
        if (add_occurrence(s, s->u_col[i], s->u_start[i], s->u_end[i], keep_spans)) return -1;
    s->u_n = 0;
    /* first every key's column (kept in place of the key, -1 when absent), prefetching the
     * column's slot; then the occurrences in queue order, whose slots are by then in the cache */
    int64_t *q_col = (int64_t *)s->q_key;
    for (size_t i = 0; i < s->q_n; i++) {
        if (i + PREFETCH_AHEAD < s->q_n) {
            uint64_t ahead = s->q_key[i + PREFETCH_AHEAD];
            __builtin_prefetch(&t->filter[(ahead & t->filter_mask) >> 6]);
            __builtin_prefetch(&t->pairs[2 * (ahead >> t->shift)]);
        }
        int64_t col = table_lookup(t, s->q_key[i]);
        if (col >= s->n_features) return BAD_TABLE; /* a table inconsistent with the columns */
        q_col[i] = col;
        if (col >= 0) __builtin_prefetch(&s->slot_of[col]);
    }
    for (size_t i = 0; i < s->q_n; i++)
        if (q_col[i] >= 0 && add_occurrence(s, q_col[i], s->q_start[i], s->q_end[i], keep_spans)) return -1;
    s->q_n = 0;
    return 0;
}

typedef struct {
    const uint32_t *cps;
    const int64_t *doc_starts;
    Py_ssize_t n_docs;
    const uint8_t *map_known; /* 0 for code points the Python side has not mapped yet */
    const int64_t *map_len;
    const int64_t *map_first;
    const uint32_t *map_flat;
    int64_t map_flat_len;
    const uint8_t *char_class;
    HashTable table;
    const float *columns; /* per column: idf, then one weight per head (float32-exact parameters) */
    const uint8_t *families;
    Py_ssize_t n_features;
    int n_heads;
    int word_max, char_min, char_max, wb_min, wb_max, wb_mode, body_max;
    double *out_decision;
    double *out_chars; /* may be NULL */
} Job;

#define MAX_HEADS 64
/* 1 + log(count) for small counts, filled once at module start with the same libm log */
#define LOG_TABLE_SIZE 256
static double log_table[LOG_TABLE_SIZE];

/* the word-boundary n-grams of norm[i:j] padded with a space on both sides; an opening pad stands
 * for the segment's first character, a closing pad for its last */
static int wb_segment(const Job *job, Scratch *s, size_t i, size_t j) {
    size_t len = j - i + 2;
    for (size_t p = 0; p < len; p++) {
        uint64_t h = 0, pw = 1;
        size_t first = p == 0 ? i : (p == len - 1 ? j - 1 : i + p - 1);
        for (int k = 0; k < job->wb_max && p + (size_t)k < len; k++) {
            size_t q = p + (size_t)k;
            uint32_t c = (q == 0 || q == len - 1) ? 32u : s->norm[i + q - 1];
            h += (uint64_t)c * pw;
            pw *= P_MUL;
            if (k + 1 >= job->wb_min) {
                size_t last = q == 0 ? i : (q == len - 1 ? j - 1 : i + q - 1);
                uint64_t key = fmix(h + (uint64_t)(k + 1) * LENGTH_MIX + SEED_WB);
                if (queue_key(s, key, s->orig[first], s->orig[last] + 1)) return -1;
            }
        }
    }
    return 0;
}

static int score_doc(const Job *job, Scratch *s, Py_ssize_t d) {
    int64_t begin = job->doc_starts[d], end = job->doc_starts[d + 1];
    int keep_spans = job->out_chars != NULL;
    /* 1. normalise: map each code point, collapse spaces, strip */
    size_t n = 0;
    for (int64_t i = begin; i < end; i++) {
        uint32_t cp = job->cps[i];
        if (cp >= 0x110000 || !job->map_known[cp]) return UNKNOWN_CODEPOINT;
        int64_t len = job->map_len[cp];
        /* an entry published after this call took its view of the flat table: ask for a rerun */
        if (job->map_first[cp] + len > job->map_flat_len) return UNKNOWN_CODEPOINT;
        if (grow_norm(s, n + (size_t)len + 1)) return -1;
        const uint32_t *out = job->map_flat + job->map_first[cp];
        for (int64_t k = 0; k < len; k++) {
            uint32_t c = out[k];
            if (c == 32 && (n == 0 || s->norm[n - 1] == 32)) continue;
            s->norm[n] = c;
            s->orig[n] = i - begin;
            n++;
        }
    }
    if (n && s->norm[n - 1] == 32) n--;
    /* digit shapes: every ASCII digit run becomes zeros, except "1" and "100" */
    for (size_t i = 0; i < n;) {
        if (s->norm[i] >= 48 && s->norm[i] <= 57) {
            size_t j = i;
            while (j < n && s->norm[j] >= 48 && s->norm[j] <= 57) j++;
            size_t len = j - i;
            int kept = (len == 1 && s->norm[i] == 49) ||
                       (len == 3 && s->norm[i] == 49 && s->norm[i + 1] == 48 && s->norm[i + 2] == 48);
            if (!kept)
                for (size_t k = i; k < j; k++) s->norm[k] = 48;
            i = j;
        } else {
            i++;
        }
    }
    /* 2. word tokens (runs of word characters; each symbol alone) and the squeezed stream */
    size_t nt = 0, nsq = 0;
    if (grow_tok(s, n + 1) || grow_sq(s, n + 1)) return -1;
    for (size_t i = 0; i < n;) {
        uint8_t cls = job->char_class[s->norm[i]];
        if (cls == CLASS_WORD) {
            size_t j = i;
            uint64_t h = 0, pw = 1;
            while (j < n && job->char_class[s->norm[j]] == CLASS_WORD) {
                h += (uint64_t)s->norm[j] * pw;
                pw *= P_MUL;
                s->sq[nsq] = s->norm[j];
                s->sq_orig[nsq] = s->orig[j];
                nsq++;
                j++;
            }
            s->tok_start[nt] = (int64_t)i;
            s->tok_end[nt] = (int64_t)j;
            s->tok_hash[nt] = fmix(h + (uint64_t)(j - i) * LENGTH_MIX + SEED_WORD);
            nt++;
            i = j;
        } else {
            if (cls == CLASS_SYMBOL) {
                s->tok_start[nt] = (int64_t)i;
                s->tok_end[nt] = (int64_t)i + 1;
                s->tok_hash[nt] = fmix((uint64_t)s->norm[i] + LENGTH_MIX + SEED_WORD);
                nt++;
            }
            i++;
        }
    }
    s->touched_n = 0;
    s->occ_n = 0;
    s->u_n = 0;
    const HashTable *table = &job->table;
    /* the body: word n-grams whose first token starts after the original text's first line break */
    int64_t line_break = -1;
    if (job->body_max > 0)
        for (int64_t i = begin; i < end; i++)
            if (job->cps[i] == 10) {
                line_break = i - begin;
                break;
            }
    for (size_t t = 0; t < nt; t++) {
        int64_t a = s->orig[s->tok_start[t]], b = s->orig[s->tok_end[t] - 1] + 1;
        if (queue_key(s, s->tok_hash[t], a, b)) return -1;
        if (line_break >= 0 && a > line_break && queue_key(s, fmix(s->tok_hash[t] + SEED_BODY), a, b)) return -1;
        s->running[t] = s->tok_hash[t];
    }
    for (int g = 2; g <= job->word_max; g++) {
        if ((size_t)g > nt) break;
        size_t count = nt - (size_t)g + 1;
        int body = line_break >= 0 && g <= job->body_max;
        for (size_t t = 0; t < count; t++) {
            uint64_t h = fmix(s->running[t] * PAIR_MIX + s->tok_hash[t + (size_t)g - 1] + SEED_WORD + (uint64_t)g);
            s->running[t] = h;
            int64_t a = s->orig[s->tok_start[t]], b = s->orig[s->tok_end[t + (size_t)g - 1] - 1] + 1;
            if (queue_key(s, h, a, b)) return -1;
            if (body && a > line_break && queue_key(s, fmix(h + SEED_BODY), a, b)) return -1;
        }
    }
    /* 3. character n-grams over the squeezed stream */
    for (size_t i = 0; i < nsq; i++) {
        uint64_t h = 0, pw = 1;
        for (int k = 0; k < job->char_max && i + (size_t)k < nsq; k++) {
            h += (uint64_t)s->sq[i + (size_t)k] * pw;
            pw *= P_MUL;
            if (k + 1 >= job->char_min) {
                uint64_t key = fmix(h + (uint64_t)(k + 1) * LENGTH_MIX + SEED_CHAR);
                if (k == 0 && s->sq[i] < UNI_SIZE) {
                    /* the same key and lookup, answered from the per-call cache */
                    int64_t col = unigram_column(table, s, s->sq[i], key);
                    if (col >= 0 && keep_unigram(s, col, s->sq_orig[i], s->sq_orig[i] + 1)) return -1;
                } else if (queue_key(s, key, s->sq_orig[i], s->sq_orig[i + (size_t)k] + 1)) {
                    return -1;
                }
            }
        }
    }
    /* 4. word-boundary n-grams: each segment (a word token, or with wb_mode 1 a run of non-space
     * characters, punctuation included) padded with a space on both sides */
    if (job->wb_max > 0 && job->wb_mode == 0) {
        for (size_t t = 0; t < nt; t++) {
            size_t i = (size_t)s->tok_start[t];
            if (job->char_class[s->norm[i]] != CLASS_WORD) continue;
            if (wb_segment(job, s, i, (size_t)s->tok_end[t])) return -1;
        }
    } else if (job->wb_max > 0) {
        for (size_t i = 0; i < n;) {
            if (s->norm[i] == 32) {
                i++;
                continue;
            }
            size_t j = i;
            while (j < n && s->norm[j] != 32) j++;
            if (wb_segment(job, s, i, j)) return -1;
            i = j;
        }
    }
    int flushed = flush_queue(table, s, keep_spans);
    if (flushed) return flushed;
    /* 5. tf-idf with per-family L2 norms, then every head's decision value (sums kept in locals,
     * in the same order as before, so the values are bit for bit those of the reference) */
    const size_t stride = (size_t)job->n_heads + 1;
    double sq0 = 0.0, sq1 = 0.0, sq2 = 0.0, sq3 = 0.0;
    for (size_t t = 0; t < s->touched_n; t++) {
        int64_t col = s->touched[t];
        int32_t count = s->tcount[t];
        double tf = count < LOG_TABLE_SIZE ? log_table[count] : 1.0 + log((double)count);
        double w = tf * (double)job->columns[(size_t)col * stride];
        s->values[t] = w;
        uint8_t f = job->families[col];
        double w2 = w * w;
        sq0 += f == 0 ? w2 : 0.0;
        sq1 += f == 1 ? w2 : 0.0;
        sq2 += f == 2 ? w2 : 0.0;
        sq3 += f == 3 ? w2 : 0.0;
    }
    double norm[N_FAMILIES] = {sq0 > 0 ? sqrt(sq0) : 1.0, sq1 > 0 ? sqrt(sq1) : 1.0, sq2 > 0 ? sqrt(sq2) : 1.0,
                               sq3 > 0 ? sqrt(sq3) : 1.0};
    double *decision = job->out_decision + d * job->n_heads;
    if (job->n_heads == 1) {
        double sum = 0.0;
        for (size_t t = 0; t < s->touched_n; t++) {
            int64_t col = s->touched[t];
            double value = s->values[t] / norm[job->families[col]];
            s->values[t] = value;
            sum += value * (double)job->columns[(size_t)col * 2 + 1];
        }
        decision[0] = sum;
    } else {
        double sums[MAX_HEADS];
        int nh = job->n_heads;
        for (int h = 0; h < nh; h++) sums[h] = 0.0;
        for (size_t t = 0; t < s->touched_n; t++) {
            int64_t col = s->touched[t];
            const float *record = job->columns + (size_t)col * stride;
            double value = s->values[t] / norm[job->families[col]];
            s->values[t] = value;
            for (int h = 0; h < nh; h++) sums[h] += value * (double)record[h + 1];
        }
        for (int h = 0; h < nh; h++) decision[h] = sums[h];
    }
    if (keep_spans) {
        double *chars = job->out_chars + begin;
        /* each occurrence's share of its column's risk contribution, computed once per column */
        for (size_t t = 0; t < s->touched_n; t++)
            s->values[t] = s->values[t] * (double)job->columns[(size_t)s->touched[t] * stride + 1] / (double)s->tcount[t];
        for (size_t o = 0; o < s->occ_n; o++) {
            double weight = s->values[s->occ_col[o]];
            int64_t a = s->occ_start[o], b = s->occ_end[o];
            if (b - a == 1) { /* weight / 1 is weight */
                chars[a] += weight;
                continue;
            }
            double density = weight / (double)(b > a ? b - a : 1);
            for (int64_t c = a; c < b; c++) chars[c] += density;
        }
    }
    return 0;
}

typedef struct {
    Py_buffer b;
    int held;
} Buf;

static int get_buf(PyObject *obj, Buf *buf, int writable, Py_ssize_t item, const char *name) {
    buf->held = 0;
    if (PyObject_GetBuffer(obj, &buf->b, (writable ? PyBUF_WRITABLE : 0) | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    buf->held = 1;
    if (buf->b.itemsize != item) {
        PyErr_Format(PyExc_TypeError, "%s: expected item size %zd, got %zd", name, item, buf->b.itemsize);
        return -1;
    }
    return 0;
}

static void release(Buf *bufs, int n) {
    for (int i = 0; i < n; i++)
        if (bufs[i].held) PyBuffer_Release(&bufs[i].b);
}

static PyObject *score_batch(PyObject *self, PyObject *args) {
    PyObject *o[13];
    int shift, n_heads, word_max, char_min, char_max, wb_min, wb_max, wb_mode, body_max;
    if (!PyArg_ParseTuple(args, "OOOOOOOOiOOOiiiiiiiiOO", &o[0], &o[1], &o[12], &o[2], &o[3], &o[4], &o[5], &o[6], &shift, &o[11],
                          &o[7], &o[8], &n_heads, &word_max, &char_min, &char_max, &wb_min, &wb_max, &wb_mode, &body_max,
                          &o[9], &o[10]))
        return NULL;
    enum { N = 13 };
    Buf b[N];
    memset(b, 0, sizeof(b));
    const char *names[N] = {"codepoints", "doc_starts", "map_len", "map_first", "map_flat", "char_class", "table_pairs",
                            "columns", "families", "out_decision", "out_chars", "filter", "map_known"};
    Py_ssize_t sizes[N] = {4, 8, 8, 8, 4, 1, 8, 4, 1, 8, 8, 8, 1};
    int has_chars = o[10] != Py_None;
    for (int i = 0; i < N; i++) {
        if (i == 10 && !has_chars) continue;
        if (get_buf(o[i], &b[i], i == 9 || i == 10, sizes[i], names[i]) < 0) {
            release(b, N);
            return NULL;
        }
    }
    Job job;
    job.cps = b[0].b.buf;
    job.doc_starts = b[1].b.buf;
    job.n_docs = b[1].b.len / 8 - 1;
    job.map_known = b[12].b.buf;
    job.map_len = b[2].b.buf;
    job.map_first = b[3].b.buf;
    job.map_flat = b[4].b.buf;
    job.map_flat_len = b[4].b.len / 4;
    job.char_class = b[5].b.buf;
    job.table.pairs = b[6].b.buf;
    job.table.mask = (uint64_t)(b[6].b.len / 16) - 1;
    job.table.shift = shift;
    job.table.filter = b[11].b.buf;
    job.table.filter_mask = (uint64_t)(b[11].b.len * 8) - 1;
    job.columns = b[7].b.buf;
    job.families = b[8].b.buf;
    job.n_features = b[8].b.len;
    job.n_heads = n_heads;
    job.word_max = word_max;
    job.char_min = char_min;
    job.char_max = char_max;
    job.wb_min = wb_min;
    job.wb_max = wb_max;
    job.wb_mode = wb_mode;
    job.body_max = body_max;
    job.out_decision = b[9].b.buf;
    job.out_chars = has_chars ? b[10].b.buf : NULL;
    if (job.n_docs < 0 || n_heads < 1 || (wb_max > 0 && (wb_min < 1 || wb_max < wb_min)) || wb_mode < 0 || wb_mode > 1 || body_max < 0 || body_max > word_max || b[9].b.len / 8 < job.n_docs * n_heads ||
        b[7].b.len / 4 != (Py_ssize_t)(n_heads + 1) * job.n_features ||
        (job.out_chars && b[10].b.len / 8 < b[0].b.len / 4) || (b[11].b.len & (b[11].b.len - 1)) != 0 ||
        b[12].b.len < 0x110000 || b[2].b.len / 8 < 0x110000 || b[3].b.len / 8 < 0x110000 || b[5].b.len < 0x110000) {
        release(b, N);
        PyErr_SetString(PyExc_ValueError, "buffer sizes do not match");
        return NULL;
    }
    if (n_heads > MAX_HEADS) {
        release(b, N);
        PyErr_Format(PyExc_ValueError, "the kernel scores at most %d heads at once", MAX_HEADS);
        return NULL;
    }
    Scratch s;
    memset(&s, 0, sizeof(s));
    s.uni = malloc(UNI_SIZE * sizeof(int32_t));
    if (!s.uni) {
        release(b, N);
        return PyErr_NoMemory();
    }
    for (size_t i = 0; i < UNI_SIZE; i++) s.uni[i] = UNI_UNSEEN;
    int owned_cache;
    SlotCache *cache = slot_cache((size_t)job.n_features, &owned_cache);
    if (!cache) {
        free(s.uni);
        release(b, N);
        return PyErr_NoMemory();
    }
    s.slot_of = cache->slots;
    s.n_slots = cache->n;
    s.stamp = cache->stamp;
    s.n_features = (int64_t)job.n_features;
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t d = 0; d < job.n_docs; d++) {
        int status = score_doc(&job, &s, d);
        if (status) {
            failed = status;
            break;
        }
    }
    Py_END_ALLOW_THREADS
    free(s.norm); free(s.orig); free(s.sq); free(s.sq_orig);
    free(s.tok_start); free(s.tok_end); free(s.tok_hash); free(s.running);
    free(s.occ_col); free(s.occ_start); free(s.occ_end);
    free(s.q_key); free(s.q_start); free(s.q_end);
    free(s.touched); free(s.values); free(s.tcount);
    cache->stamp = s.stamp;
    if (owned_cache) free_slot_cache(cache);
    free(s.uni); free(s.u_col); free(s.u_start); free(s.u_end);
    release(b, N);
    if (failed == UNKNOWN_CODEPOINT) return PyLong_FromLong(1); /* the caller fills the tables and retries */
    if (failed == BAD_TABLE) {
        PyErr_SetString(PyExc_ValueError, "the vocabulary table names a column the model does not have");
        return NULL;
    }
    if (failed) return PyErr_NoMemory();
    return PyLong_FromLong(0);
}

/* find_unknown(codepoints, known, out_indices) -> count: positions whose code point is not yet in
 * the tables (at most len(out_indices) are written). */
static PyObject *find_unknown(PyObject *self, PyObject *args) {
    PyObject *o[3];
    if (!PyArg_ParseTuple(args, "OOO", &o[0], &o[1], &o[2])) return NULL;
    Buf b[3];
    memset(b, 0, sizeof(b));
    if (get_buf(o[0], &b[0], 0, 4, "codepoints") < 0 || get_buf(o[1], &b[1], 0, 1, "known") < 0 ||
        get_buf(o[2], &b[2], 1, 8, "out_indices") < 0) {
        release(b, 3);
        return NULL;
    }
    const uint32_t *cps = b[0].b.buf;
    const uint8_t *known = b[1].b.buf;
    int64_t *out = b[2].b.buf;
    Py_ssize_t n = b[0].b.len / 4, cap = b[2].b.len / 8, found = 0, limit = b[1].b.len;
    for (Py_ssize_t i = 0; i < n && found < cap; i++) {
        if ((Py_ssize_t)cps[i] >= limit || !known[cps[i]]) out[found++] = i;
    }
    release(b, 3);
    return PyLong_FromSsize_t(found);
}

/* top_phrases(codepoints, doc_starts, char_values, char_kind, k, min_value, max_words,
 *             out_start, out_end, out_value, out_count)
 * char_kind: 1 = whitespace, 2 = clause end (, . ! ? ...), 0 = other. Words are runs of non-space
 * characters; neighbouring words that push the same way, each at least min_value, join into a
 * phrase of at most max_words words unless a clause ends between them. For each document the k
 * strongest phrases (by |value|, then position) are written to row d of the outputs. */
typedef struct { int64_t start, end; double value; } Phrase;

static PyObject *top_phrases(PyObject *self, PyObject *args) {
    PyObject *o[8];
    int k, max_words;
    double min_value;
    if (!PyArg_ParseTuple(args, "OOOOidiOOOO", &o[0], &o[1], &o[2], &o[3], &k, &min_value, &max_words, &o[4], &o[5], &o[6], &o[7]))
        return NULL;
    Buf b[8];
    memset(b, 0, sizeof(b));
    Py_ssize_t sizes[8] = {4, 8, 8, 1, 8, 8, 8, 8};
    const char *names[8] = {"codepoints", "doc_starts", "char_values", "char_kind", "out_start", "out_end", "out_value", "out_count"};
    for (int i = 0; i < 8; i++) {
        if (get_buf(o[i], &b[i], i >= 4, sizes[i], names[i]) < 0) {
            release(b, 8);
            return NULL;
        }
    }
    const uint32_t *cps = b[0].b.buf;
    const int64_t *starts = b[1].b.buf;
    const double *values = b[2].b.buf;
    const uint8_t *kind = b[3].b.buf;
    Py_ssize_t n_docs = b[1].b.len / 8 - 1;
    int64_t *out_start = b[4].b.buf, *out_end = b[5].b.buf, *out_count = b[7].b.buf;
    double *out_value = b[6].b.buf;
    if (k < 1 || b[4].b.len / 8 < n_docs * k || b[7].b.len / 8 < n_docs) {
        release(b, 8);
        PyErr_SetString(PyExc_ValueError, "buffer sizes do not match");
        return NULL;
    }
    Phrase *found = NULL;
    size_t cap = 0;
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t d = 0; d < n_docs && !failed; d++) {
        int64_t begin = starts[d], end = starts[d + 1];
        size_t nf = 0;
        int run_open = 0, run_words = 0;
        for (int64_t i = begin; i < end;) {
            if (kind[cps[i]] == 1) { i++; continue; }
            int64_t j = i;
            double v = 0.0;
            while (j < end && kind[cps[j]] != 1) { v += values[j]; j++; }
            if (fabs(v) < min_value) {
                run_open = 0;
            } else if (run_open && (found[nf - 1].value > 0) == (v > 0) && run_words < max_words &&
                       kind[cps[found[nf - 1].end + begin - 1]] != 2) {
                found[nf - 1].end = j - begin;
                found[nf - 1].value += v;
                run_words++;
            } else {
                if (grow((void **)&found, &cap, nf + 1, sizeof(Phrase))) { failed = 1; break; }
                found[nf].start = i - begin;
                found[nf].end = j - begin;
                found[nf].value = v;
                nf++;
                run_open = 1;
                run_words = 1;
            }
            i = j;
        }
        int taken = 0;
        for (; taken < k && (size_t)taken < nf; taken++) {
            size_t best = (size_t)taken;
            for (size_t q = (size_t)taken + 1; q < nf; q++) {
                /* magnitudes compared at 1e-9, as explain.top_phrases does: phrases whose values differ
                 * only by summation noise rank by position, the same in both paths */
                double a = floor(fabs(found[q].value) * 1e9 + 0.5), c = floor(fabs(found[best].value) * 1e9 + 0.5);
                if (a > c || (a == c && found[q].start < found[best].start)) best = q;
            }
            Phrase tmp = found[taken];
            found[taken] = found[best];
            found[best] = tmp;
            out_start[d * k + taken] = found[taken].start;
            out_end[d * k + taken] = found[taken].end;
            out_value[d * k + taken] = found[taken].value;
        }
        out_count[d] = taken;
    }
    Py_END_ALLOW_THREADS
    free(found);
    release(b, 8);
    if (failed) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* format_phrases(texts, starts, ends, values, counts, k) -> list[str]: the batch output's evidence
 * strings, "phrase [start:end] +0.123 | ...", equal to Python's
 * f"{text[a:b]} [{a}:{b}] {round(v, 6):+.3f}" joined by " | ": CPython's round(v, 6) is the
 * correctly rounded 6-place decimal read back as a double, which is what the two conversions
 * below compute with the same routines. */
static PyObject *format_phrases(PyObject *self, PyObject *args) {
    PyObject *texts, *o[4];
    int k;
    if (!PyArg_ParseTuple(args, "O!OOOOi", &PyList_Type, &texts, &o[0], &o[1], &o[2], &o[3], &k)) return NULL;
    Buf b[4];
    memset(b, 0, sizeof(b));
    Py_ssize_t sizes[4] = {8, 8, 8, 8};
    const char *names[4] = {"starts", "ends", "values", "counts"};
    for (int i = 0; i < 4; i++) {
        if (get_buf(o[i], &b[i], 0, sizes[i], names[i]) < 0) {
            release(b, 4);
            return NULL;
        }
    }
    Py_ssize_t n = PyList_GET_SIZE(texts);
    if (k < 1 || b[3].b.len / 8 != n || b[0].b.len / 8 < n * k || b[1].b.len / 8 < n * k || b[2].b.len / 8 < n * k) {
        release(b, 4);
        PyErr_SetString(PyExc_ValueError, "buffer sizes do not match");
        return NULL;
    }
    const int64_t *starts = b[0].b.buf, *ends = b[1].b.buf, *counts = b[3].b.buf;
    const double *values = b[2].b.buf;
    PyObject *out = PyList_New(n), *empty = PyUnicode_FromString(""), *sep = PyUnicode_FromString(" | ");
    PyObject *parts = NULL;
    if (!out || !empty || !sep) goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        int64_t count = counts[i];
        if (!PyUnicode_Check(text) || count < 0 || count > k) {
            PyErr_SetString(PyUnicode_Check(text) ? PyExc_ValueError : PyExc_TypeError, "texts must be strings and counts between 0 and k");
            goto fail;
        }
        if (count == 0) {
            Py_INCREF(empty);
            PyList_SET_ITEM(out, i, empty);
            continue;
        }
        parts = PyList_New((Py_ssize_t)count);
        if (!parts) goto fail;
        for (int64_t j = 0; j < count; j++) {
            int64_t a = starts[i * k + j], e = ends[i * k + j];
            if (a < 0 || e < a || e > PyUnicode_GET_LENGTH(text)) {
                PyErr_SetString(PyExc_ValueError, "phrase outside its text");
                goto fail;
            }
            char *six = PyOS_double_to_string(values[i * k + j], 'f', 6, 0, NULL);
            if (!six) goto fail;
            double rounded = PyOS_string_to_double(six, NULL, NULL);
            PyMem_Free(six);
            if (rounded == -1.0 && PyErr_Occurred()) goto fail;
            char *shown = PyOS_double_to_string(rounded, 'f', 3, Py_DTSF_SIGN, NULL);
            if (!shown) goto fail;
            PyObject *phrase = PyUnicode_Substring(text, (Py_ssize_t)a, (Py_ssize_t)e);
            PyObject *item = phrase ? PyUnicode_FromFormat("%U [%zd:%zd] %s", phrase, (Py_ssize_t)a, (Py_ssize_t)e, shown) : NULL;
            Py_XDECREF(phrase);
            PyMem_Free(shown);
            if (!item) goto fail;
            PyList_SET_ITEM(parts, (Py_ssize_t)j, item);
        }
        PyObject *joined = PyUnicode_Join(sep, parts);
        Py_CLEAR(parts);
        if (!joined) goto fail;
        PyList_SET_ITEM(out, i, joined);
    }
    Py_DECREF(empty);
    Py_DECREF(sep);
    release(b, 4);
    return out;
fail:
    Py_XDECREF(parts);
    Py_XDECREF(out);
    Py_XDECREF(empty);
    Py_XDECREF(sep);
    release(b, 4);
    return NULL;
}

/* build_table(hashes, keys_out, values_out, shift): linear-probing insertion in index order; the
 * NumPy fallback in adcheck.features._HashIndex builds an equivalent table (same lookups). */
static PyObject *build_table(PyObject *self, PyObject *args) {
    PyObject *o[3];
    int shift;
    if (!PyArg_ParseTuple(args, "OOOi", &o[0], &o[1], &o[2], &shift)) return NULL;
    Buf b[3];
    memset(b, 0, sizeof(b));
    if (get_buf(o[0], &b[0], 0, 8, "hashes") < 0 || get_buf(o[1], &b[1], 1, 8, "keys") < 0 || get_buf(o[2], &b[2], 1, 8, "values") < 0) {
        release(b, 3);
        return NULL;
    }
    const uint64_t *hashes = b[0].b.buf;
    uint64_t *keys = b[1].b.buf;
    int64_t *values = b[2].b.buf;
    Py_ssize_t n = b[0].b.len / 8, size = b[1].b.len / 8;
    if (size != b[2].b.len / 8 || n >= size || (size & (size - 1)) != 0) {
        release(b, 3);
        PyErr_SetString(PyExc_ValueError, "table size must be a power of two larger than the key count");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < size; i++) values[i] = -1;
    uint64_t mask = (uint64_t)size - 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t slot = hashes[i] >> shift;
        while (values[slot] >= 0) slot = (slot + 1) & mask;
        keys[slot] = hashes[i];
        values[slot] = i;
    }
    release(b, 3);
    Py_RETURN_NONE;
}

/* tree_raw(inputs, n_inputs, roots, feature, threshold, left, right, leaf, value, baseline, out):
 * the log-odds of boosted trees (adcheck.stage_two.TreeEnsemble) for each row of inputs (float64,
 * rows x n_inputs): baseline plus, tree by tree in order, the value of the leaf the row reaches (a
 * value at or below a node's threshold goes left). Every index is checked, so a broken ensemble
 * raises instead of reading outside its arrays. */
static PyObject *tree_raw(PyObject *self, PyObject *args) {
    PyObject *o[9];
    int n_inputs;
    double baseline;
    if (!PyArg_ParseTuple(args, "OiOOOOOOOdO", &o[0], &n_inputs, &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7], &baseline, &o[8]))
        return NULL;
    Buf b[9];
    memset(b, 0, sizeof(b));
    if (get_buf(o[0], &b[0], 0, 8, "inputs") < 0 || get_buf(o[1], &b[1], 0, 4, "roots") < 0 ||
        get_buf(o[2], &b[2], 0, 4, "feature") < 0 || get_buf(o[3], &b[3], 0, 8, "threshold") < 0 ||
        get_buf(o[4], &b[4], 0, 4, "left") < 0 || get_buf(o[5], &b[5], 0, 4, "right") < 0 ||
        get_buf(o[6], &b[6], 0, 1, "leaf") < 0 || get_buf(o[7], &b[7], 0, 8, "value") < 0 ||
        get_buf(o[8], &b[8], 1, 8, "out") < 0) {
        release(b, 9);
        return NULL;
    }
    const double *x = b[0].b.buf, *thr = b[3].b.buf, *val = b[7].b.buf;
    const int32_t *roots = b[1].b.buf, *feat = b[2].b.buf, *left = b[4].b.buf, *right = b[5].b.buf;
    const uint8_t *leaf = b[6].b.buf;
    double *out = b[8].b.buf;
    Py_ssize_t n_rows = b[8].b.len / 8, n_trees = b[1].b.len / 4, n_nodes = b[6].b.len;
    int broken = n_inputs <= 0 || b[0].b.len / 8 != n_rows * (Py_ssize_t)n_inputs || b[2].b.len / 4 != n_nodes ||
                 b[3].b.len / 8 != n_nodes || b[4].b.len / 4 != n_nodes || b[5].b.len / 4 != n_nodes || b[7].b.len / 8 != n_nodes;
    if (!broken) {
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n_rows && !broken; i++) {
            const double *row = x + i * n_inputs;
            double total = baseline;
            for (Py_ssize_t t = 0; t < n_trees && !broken; t++) {
                Py_ssize_t node = roots[t];
                if (node < 0 || node >= n_nodes) { broken = 1; break; }
                Py_ssize_t steps = 0;
                while (!leaf[node]) {
                    int32_t f = feat[node];
                    Py_ssize_t next = row[f >= 0 && f < n_inputs ? f : 0] <= thr[node] ? left[node] : right[node];
                    if (f < 0 || f >= n_inputs || next <= node || next >= n_nodes || ++steps > n_nodes) { broken = 1; break; }
                    node = next;
                }
                if (!broken) total += val[node];
            }
            out[i] = total;
        }
        Py_END_ALLOW_THREADS
    }
    release(b, 9);
    if (broken) {
        PyErr_SetString(PyExc_ValueError, "the second stage's trees do not fit their arrays");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"build_table", build_table, METH_VARARGS, "Fill an open-addressing table from unique hashes."},
    {"score_batch", score_batch, METH_VARARGS, "Decision values (and optional per-character contributions) of a batch."},
    {"find_unknown", find_unknown, METH_VARARGS, "Positions of code points missing from the lookup tables."},
    {"top_phrases", top_phrases, METH_VARARGS, "The strongest evidence phrases of each document."},
    {"format_phrases", format_phrases, METH_VARARGS, "The batch output's evidence strings of each document."},
    {"tree_raw", tree_raw, METH_VARARGS, "The log-odds of boosted trees for each row of inputs."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastscore", "adcheck's compiled scoring kernel.", -1, methods};

PyMODINIT_FUNC PyInit__fastscore(void) {
    log_table[0] = 0.0; /* never used: a touched column occurs at least once */
    slot_key_ready = pthread_key_create(&slot_key, free_slot_cache) == 0;
    for (int i = 1; i < LOG_TABLE_SIZE; i++) log_table[i] = 1.0 + log((double)i);
    return PyModule_Create(&module);
}
