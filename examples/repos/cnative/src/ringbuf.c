/* ringbuf.c - fixed-size byte ring buffer. */
#include <stdlib.h>
#include <string.h>

#include "ringbuf.h"

int ringbuf_init(ringbuf_t *rb, size_t capacity)
{
    if (capacity == 0)
        return -1;
    rb->data = malloc(capacity);
    if (rb->data == NULL)
        return -1;
    rb->capacity = capacity;
    rb->head = rb->tail = rb->used = 0;
    return 0;
}

void ringbuf_free(ringbuf_t *rb)
{
    free(rb->data);
    rb->data = NULL;
    rb->capacity = rb->head = rb->tail = rb->used = 0;
}

size_t ringbuf_write(ringbuf_t *rb, const uint8_t *src, size_t len)
{
    size_t n = len < ringbuf_free_space(rb) ? len : ringbuf_free_space(rb);
    size_t first = rb->capacity - rb->head;
    if (first > n)
        first = n;
    memcpy(rb->data + rb->head, src, first);
    memcpy(rb->data, src + first, n - first);
    rb->head = (rb->head + n) % rb->capacity;
    rb->used += n;
    return n;
}

size_t ringbuf_read(ringbuf_t *rb, uint8_t *dst, size_t len)
{
    size_t n = len < rb->used ? len : rb->used;
    size_t first = rb->capacity - rb->tail;
    if (first > n)
        first = n;
    memcpy(dst, rb->data + rb->tail, first);
    memcpy(dst + first, rb->data, n - first);
    rb->tail = (rb->tail + n) % rb->capacity;
    rb->used -= n;
    return n;
}
