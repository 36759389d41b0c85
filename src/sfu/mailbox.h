/* A mailbox between two threads: producers push fixed-size messages under a
 * mutex and wake the consumer's loop with uv_async; the consumer drains them
 * on its own loop. Used for control <-> media worker messages only (a few
 * per join or leave), never per packet. */
#ifndef SEALROOM_MAILBOX_H
#define SEALROOM_MAILBOX_H

#include <stddef.h>
#include <uv.h>

typedef struct mailbox mailbox;
typedef void (*mailbox_fn)(void *ctx, void *msg);

/* Creates the mailbox on the consumer's loop; fn runs there for each message
 * (msg is valid during the call only). */
mailbox *mailbox_new(uv_loop_t *consumer, size_t msg_size, mailbox_fn fn, void *ctx);
/* Any thread. Copies msg. Returns 0 or -1 (out of memory). */
int mailbox_push(mailbox *m, const void *msg);
/* On the consumer's thread: processes what is queued, then closes. free_done
 * runs when the handle is closed. */
void mailbox_close(mailbox *m);

#endif
