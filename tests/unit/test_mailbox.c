/* The control <-> media worker mailbox (src/sfu/mailbox.c): messages pushed
 * from another thread arrive on the consumer's loop, whole and in order, and
 * closing drains what is queued. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "sfu/mailbox.h"
#include "test.h"

typedef struct {
  int seq;
  char text[60];
} msg;

typedef struct {
  int received, in_order;
  mailbox *box;
  int expect;
} consumer;

static void on_msg(void *ctx, void *m) {
  consumer *c = ctx;
  const msg *x = m;
  char want[60];
  snprintf(want, sizeof want, "message %d", x->seq);
  if (x->seq != c->received || strcmp(x->text, want) != 0) c->in_order = 0;
  c->received++;
  if (c->received == c->expect) mailbox_close(c->box);
}

typedef struct {
  mailbox *box;
  int n;
} producer;

static void produce(void *arg) {
  producer *p = arg;
  for (int i = 0; i < p->n; i++) {
    msg m = {.seq = i};
    snprintf(m.text, sizeof m.text, "message %d", i);
    while (mailbox_push(p->box, &m) != 0) { /* out of memory: try again */ }
  }
}

static void test_across_threads_in_order(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  consumer c = {.in_order = 1, .expect = 10000};
  c.box = mailbox_new(&loop, sizeof(msg), on_msg, &c);
  CHECK(c.box != NULL);
  if (!c.box) return;
  producer p = {.box = c.box, .n = c.expect};
  uv_thread_t t;
  CHECK_EQ_INT(uv_thread_create(&t, produce, &p), 0);
  uv_run(&loop, UV_RUN_DEFAULT); /* ends when the mailbox closes after the last message */
  uv_thread_join(&t);
  CHECK_EQ_INT(c.received, c.expect);
  CHECK(c.in_order);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST_SUITE(mailbox, {"across_threads_in_order", test_across_threads_in_order});
