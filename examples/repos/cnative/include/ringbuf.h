/* ringbuf.h - fixed-size byte ring buffer (plain C). */
#ifndef CNATIVE_RINGBUF_H
#define CNATIVE_RINGBUF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ringbuf {
    uint8_t *data;
    size_t capacity;
    size_t head; /* next write position */
    size_t tail; /* next read position */
    size_t used;
} ringbuf_t;

int ringbuf_init(ringbuf_t *rb, size_t capacity);
void ringbuf_free(ringbuf_t *rb);
size_t ringbuf_write(ringbuf_t *rb, const uint8_t *src, size_t len);
size_t ringbuf_read(ringbuf_t *rb, uint8_t *dst, size_t len);

static inline size_t ringbuf_free_space(const ringbuf_t *rb)
{
    return rb->capacity - rb->used;
}

#ifdef __cplusplus
}
#endif

#endif /* CNATIVE_RINGBUF_H */
