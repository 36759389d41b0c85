/* Numbers on the tools' command lines (tools/tool_args.h). */
#include "tools/tool_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

bool tool_number(const char *tool, const char *opt, const char *v, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (end == v || *end || errno || !(d >= lo && d <= hi)) {
    fprintf(stderr, "%s: --%s wants a number from %g to %g, not \"%s\"\n", tool, opt, lo, hi, v);
    return false;
  }
  *out = d;
  return true;
}

bool tool_int(const char *tool, const char *opt, const char *v, int lo, int hi, int *out) {
  double d;
  if (!tool_number(tool, opt, v, lo, hi, &d)) return false;
  if (d != (double)(int)d) {
    fprintf(stderr, "%s: --%s wants a whole number, not \"%s\"\n", tool, opt, v);
    return false;
  }
  *out = (int)d;
  return true;
}
