/* What the server says on one signalling session: messages, errors that
 * leave it open, and errors that end it (docs/signalling.md, "Errors"). The
 * meeting logic (meeting.c), the test hooks and the message checks
 * (signal.c) all speak through these; nothing here calls back up. */
#include <stdlib.h>
#include <string.h>

#include "signal/internal.h"

void session_send(session *s, json_t *msg) {
  if (!s || s->closing || !msg) {
    json_decref(msg);
    return;
  }
  char *text = json_dumps(msg, JSON_COMPACT);
  json_decref(msg);
  if (text) ws_send_text(s->ws, text, strlen(text));
  free(text);
}

void session_send_text(session *s, const char *text, size_t len) {
  if (s && !s->closing && text) ws_send_text(s->ws, text, len);
}

static json_t *error_message(const char *code, const char *message) {
  return json_pack("{s:s,s:s,s:s}", "type", "error", "code", code, "message", message);
}

void session_error(session *s, const char *code, const char *message) {
  session_send(s, error_message(code, message));
}

/* Sends the error msg (stolen), then closes the socket with 1008 and the
 * code as the reason. Once only: a closing session says nothing more. */
static void end_with(session *s, const char *code, json_t *msg) {
  if (s->closing) {
    json_decref(msg);
    return;
  }
  session_send(s, msg);
  s->closing = true;
  ws_close(s->ws, 1008, code);
}

void session_fail(session *s, const char *code, const char *message) {
  end_with(s, code, error_message(code, message));
}

void session_refuse(session *s, const char *code, const char *message, uint64_t retry_ms) {
  json_t *msg = error_message(code, message);
  json_object_set_new(msg, "retry_after_ms", json_integer((json_int_t)retry_ms));
  end_with(s, code, msg);
}
