/* Serves files below a web root: content type by extension, security headers,
 * no path escapes (no "..", no symlinks out of the root, regular files only). */
#ifndef SEALROOM_STATIC_FILES_H
#define SEALROOM_STATIC_FILES_H

#include "http/http.h"

/* Fills res with the file at root/rel (rel has no leading '/'). Returns 0, or
 * -1 if there is no such servable file (res untouched: the caller sends 404). */
typedef enum {
  CSP_DASHBOARD, /* no media, never framed */
  CSP_MEETING,   /* camera/microphone, WebSocket, workers; embeddable in other sites */
} csp_kind;

int static_serve(const char *root, const char *rel, csp_kind csp, http_response *res);
/* The headers every HTML/JS/CSS response carries (CSP, nosniff, referrer). */
void static_security_headers(http_response *res, csp_kind csp);

#endif
