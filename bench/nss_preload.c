/* An LD_PRELOAD shim for experiments on the SRTP cost (docs/performance.md):
 * opens NSS before libsrtp2 does, without NSS_INIT_OPTIMIZESPACE, so that the
 * NSS softoken's session table gets 1024 hash buckets instead of 32. Debian's
 * libsrtp2 runs its AES-GCM on NSS and opens a PKCS#11 session per packet;
 * with the small table every such open walks a long chain once a process
 * holds hundreds of SRTP keys. sealroom-load does the same in its main().
 *   cc -shared -fPIC -O2 $(pkg-config --cflags nss) bench/nss_preload.c \
 *      -o build/nss_preload.so $(pkg-config --libs nss)
 *   BENCH_SERVER_PRELOAD=$PWD/build/nss_preload.so bench/sfu_bench.sh */
#include <nss.h>
#include <stdio.h>

__attribute__((constructor)) static void nss_open_for_speed(void) {
  if (!NSS_InitContext("", "", "", "", NULL,
                       NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB | NSS_INIT_FORCEOPEN))
    fprintf(stderr, "nss_preload: NSS_InitContext failed\n");
}
