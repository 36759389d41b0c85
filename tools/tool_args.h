/* Numbers on the tools' command lines (sealroom-bot, sealroom-load): the
 * whole argument must be a number within [lo, hi]; otherwise a message on
 * stderr that names the tool and the option, and false. */
#ifndef SEALROOM_TOOL_ARGS_H
#define SEALROOM_TOOL_ARGS_H

#include <stdbool.h>

bool tool_number(const char *tool, const char *opt, const char *v, double lo, double hi, double *out);
/* The same for a whole number. */
bool tool_int(const char *tool, const char *opt, const char *v, int lo, int hi, int *out);

#endif
