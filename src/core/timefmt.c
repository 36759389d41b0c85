/* ISO 8601 timestamps. The parser accepts only the profile of RFC 3339 that
 * APIs send (date, 'T', time, zone) and checks every field's range. */
#include "core/timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void iso8601_format(int64_t t, char out[ISO8601_LEN]) {
  time_t tt = (time_t)(t < 0 ? 0 : t > ISO8601_MAX ? ISO8601_MAX : t);
  struct tm tm;
  if (!gmtime_r(&tt, &tm) || strftime(out, ISO8601_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(out, ISO8601_LEN, "1970-01-01T00:00:00Z");
}

int64_t now_unix(void) { return (int64_t)time(NULL); }

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

static int days_in_month(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 ? 28 + leap : days[month - 1];
}

int iso8601_parse(const char *s, int64_t *out) {
  int y, mo, d, h, mi, sec;
  size_t len = strlen(s);
  if (len < 20) return -1;
  if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
      digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
      s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
    return -1;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
      mi > 59 || sec > 59)
    return -1;
  const char *p = s + 19;
  if (*p == '.') {
    p++;
    const char *start = p;
    while (*p >= '0' && *p <= '9') p++;
    if (p == start || p - start > 9) return -1;
  }
  int offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || om > 59 ||
        oh * 60 + om > 14 * 60)
      return -1;
    offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    return -1;
  }
  if (*p != '\0') return -1;
  struct tm tm = {0};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  int64_t t = (int64_t)timegm(&tm) - offset;
  if (t < 0 || t > ISO8601_MAX) return -1;
  *out = t;
  return 0;
}
