/* Mailbox: a mutex-protected singly linked queue plus uv_async. */
#include "sfu/mailbox.h"

#include <stdlib.h>
#include <string.h>

typedef struct item {
  struct item *next;
  unsigned char msg[];
} item;

struct mailbox {
  uv_async_t async;
  uv_mutex_t lock;
  item *head, *tail;
  size_t msg_size;
  mailbox_fn fn;
  void *ctx;
};

static void drain(uv_async_t *a) {
  mailbox *m = a->data;
  uv_mutex_lock(&m->lock);
  item *list = m->head;
  m->head = m->tail = NULL;
  uv_mutex_unlock(&m->lock);
  while (list) {
    item *next = list->next;
    m->fn(m->ctx, list->msg);
    free(list);
    list = next;
  }
}

mailbox *mailbox_new(uv_loop_t *consumer, size_t msg_size, mailbox_fn fn, void *ctx) {
  mailbox *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->msg_size = msg_size;
  m->fn = fn;
  m->ctx = ctx;
  if (uv_mutex_init(&m->lock) != 0) {
    free(m);
    return NULL;
  }
  uv_async_init(consumer, &m->async, drain);
  m->async.data = m;
  return m;
}

int mailbox_push(mailbox *m, const void *msg) {
  item *it = malloc(sizeof *it + m->msg_size);
  if (!it) return -1;
  it->next = NULL;
  memcpy(it->msg, msg, m->msg_size);
  uv_mutex_lock(&m->lock);
  if (m->tail) m->tail->next = it;
  else m->head = it;
  m->tail = it;
  uv_mutex_unlock(&m->lock);
  uv_async_send(&m->async);
  return 0;
}

static void on_closed(uv_handle_t *h) {
  mailbox *m = h->data;
  uv_mutex_destroy(&m->lock);
  free(m);
}

void mailbox_close(mailbox *m) {
  drain(&m->async);
  uv_close((uv_handle_t *)&m->async, on_closed);
}
