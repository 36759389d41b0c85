/* Static files for the web app (dashboard, later the meeting page). */
#include "http/static_files.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
  const char *ext;
  const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
    {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
    {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"}, {".woff2", "font/woff2"},
    {".wasm", "application/wasm"},
};

static const char *content_type(const char *path) {
  const char *dot = strrchr(path, '.');
  if (dot && !strchr(dot, '/')) {
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
      if (strcmp(dot, types[i].ext) == 0) return types[i].type;
  }
  return NULL; /* unknown types are not served */
}

/* Rejects empty segments' tricks: "..", ".", hidden files, backslashes, NUL. */
static int safe_relative(const char *rel) {
  if (!*rel || strlen(rel) > 200 || strpbrk(rel, "\\%")) return 0;
  const char *seg = rel;
  while (*seg) {
    if (*seg == '.' || *seg == '/') return 0; /* "..", ".hidden", "//" */
    const char *slash = strchr(seg, '/');
    if (!slash) break;
    seg = slash + 1;
  }
  return 1;
}

void static_security_headers(http_response *res, csp_kind csp) {
  /* The meeting page is meant to be embedded in integrators' products
   * (iframe with allow="camera; microphone"), so any site may frame it. */
  http_set_header(res, "Content-Security-Policy",
                  csp == CSP_MEETING
                      ? "default-src 'self'; script-src 'self'; style-src 'self'; "
                        "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
                        "connect-src 'self' ws: wss:; worker-src 'self' blob:; "
                        "frame-ancestors *; base-uri 'none'; form-action 'self'"
                      : "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  http_set_header(res, "X-Content-Type-Options", "nosniff");
  http_set_header(res, "Referrer-Policy", "no-referrer");
}

int static_serve(const char *root, const char *rel, csp_kind csp, http_response *res) {
  if (!safe_relative(rel)) return -1;
  const char *type = content_type(rel);
  if (!type) return -1;
  char path[PATH_MAX], real_root[PATH_MAX], real_path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%s", root, rel) >= (int)sizeof path) return -1;
  if (!realpath(root, real_root) || !realpath(path, real_path)) return -1;
  size_t rl = strlen(real_root);
  if (strncmp(real_path, real_root, rl) != 0 || real_path[rl] != '/') return -1;
  int fd = open(real_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK); /* a FIFO must not block */
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return -1;
  }
  res->status = 200;
  res->content_type = type;
  res->file_fd = fd;
  res->file_size = (size_t)st.st_size;
  http_set_header(res, "Cache-Control", "no-cache");
  static_security_headers(res, csp);
  return 0;
}
