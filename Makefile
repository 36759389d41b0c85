# sealroom build. `make run` installs, builds and starts sealroomd; `make test`
# installs test needs, builds and runs every suite. SANITIZE=address,undefined
# builds an instrumented copy under build-san/. CC=clang works too.

CC       ?= cc
SANITIZE ?=
# nss: libsrtp2's crypto on Debian; src/dtls/srtp.c opens it for speed.
PKGS     := libuv libmicrohttpd jansson sqlite3 libssl libcrypto libsrtp2 nss
# The native client's media (client/media/, sealroom-bot): VP8, Opus, Ogg.
CLIENT_PKGS := vpx opus ogg

ifeq ($(SANITIZE),)
BUILD    ?= build
SANFLAGS :=
else
BUILD    ?= build-san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter -Wformat=2 -Wvla
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE $(WARN) $(SANFLAGS) -Iinclude -Ilib -Isrc -I. -MMD -MP \
            $(shell pkg-config --cflags $(PKGS) $(CLIENT_PKGS) 2>/dev/null)
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lwslay -lm

SRC      := $(filter-out src/main.c,$(wildcard src/*/*.c))
OBJ      := $(SRC:%.c=$(BUILD)/%.o)
E2EE_SRC := $(wildcard lib/e2ee/*.c)
E2EE_OBJ := $(E2EE_SRC:%.c=$(BUILD)/%.o)
# lib/common: byte order and base64, shared by src/ and lib/e2ee (which
# must not depend on src/); linked wherever E2EE_OBJ is.
COMMON_SRC := $(wildcard lib/common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
# libsealroom-client (client/): the native client; it reuses the media-path
# modules of src/ (STUN, DTLS, SRTP, RTP/RTCP, SDP) and lib/e2ee. Nothing in
# src/ may include client/.
CLIENT_SRC := $(wildcard client/*.c client/*/*.c)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/%.o)
CLIENT_LIBS := $(shell pkg-config --libs $(CLIENT_PKGS) 2>/dev/null)
# Command-line tools on the client library, built once their source exists.
CLIENT_TOOLS := $(patsubst tools/%.c,$(BUILD)/%,$(wildcard tools/sealroom-bot.c tools/sealroom-load.c))
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)

# make run: PORT=N (on make's command line; a PORT in the environment is
# ignored) sets --port; ARGS="..." passes any other options. The server's
# defaults are those of make run (8080, ./data, ./web), so its SEALROOM_*
# environment variables work too.
ARGS     ?=

# libFuzzer targets (clang): every parser of untrusted input.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_TARGETS:%=build-fuzz/fuzz_%)
FUZZ_TIME    ?= 300
FUZZ_SRC     := $(filter-out src/main.c,$(wildcard src/*/*.c)) $(wildcard lib/e2ee/*.c) \
                $(wildcard lib/common/*.c) $(CLIENT_SRC)
# Every source is compiled once (instrumented, without libFuzzer's main) and
# linked into each target with its own fuzz_*.o.
FUZZ_OBJ     := $(FUZZ_SRC:%.c=build-fuzz/obj/%.o)
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Ilib -Isrc -I. -MMD -MP \
                -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
                $(shell pkg-config --cflags $(PKGS) $(CLIENT_PKGS) 2>/dev/null)

.PHONY: all deps run test unit clean bench soak check-clang fuzz fuzz-build e2ee-vectors sign-vectors
all: $(BUILD)/sealroomd $(BUILD)/unit_tests $(BUILD)/sealroom-e2ee $(BUILD)/gen-e2ee-vectors \
     $(BUILD)/gen-sign-vectors $(CLIENT_TOOLS) $(BUILD)/e2ee_call_driver

deps:
	@scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/sealroomd: $(BUILD)/src/main.o $(OBJ) $(E2EE_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit_tests: $(UNIT_OBJ) $(OBJ) $(CLIENT_OBJ) $(E2EE_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CLIENT_LIBS)

# A C E2EE participant (client/e2ee_call.c) driven by JSON lines, for
# tests/js/client-e2ee-interop.test.mjs: the interop proof against the
# browser's E2EE worker.
$(BUILD)/e2ee_call_driver: $(BUILD)/tests/tools/e2ee_call_driver.o $(BUILD)/client/e2ee_call.o \
                           $(BUILD)/client/e2ee_name.o $(E2EE_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# sealroom-bot, sealroom-load: the client library and the src/ modules it uses.
# Their objects are kept (not removed as intermediates), so that a later
# target does not relink them.
.SECONDARY: $(CLIENT_TOOLS:$(BUILD)/%=$(BUILD)/tools/%.o) $(BUILD)/tools/tool_args.o
$(BUILD)/sealroom-%: $(BUILD)/tools/sealroom-%.o $(BUILD)/tools/tool_args.o $(CLIENT_OBJ) $(OBJ) $(E2EE_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CLIENT_LIBS)

# The E2EE library's command-line tool and the project vector generator.
$(BUILD)/sealroom-e2ee: $(BUILD)/tools/sealroom-e2ee.o $(E2EE_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/gen-e2ee-vectors: $(BUILD)/tools/gen-e2ee-vectors.o $(E2EE_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/e2ee_bench: $(BUILD)/bench/e2ee_bench.o $(E2EE_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# SRTP AEAD_AES_128_GCM per packet: libsrtp2 (NSS) against ours (OpenSSL).
$(BUILD)/srtp_bench: $(BUILD)/bench/srtp_bench.o $(BUILD)/src/dtls/srtp.o $(BUILD)/src/dtls/srtp_gcm.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Sender authentication (docs/e2ee-sender-auth.md): vector generator and benchmark.
$(BUILD)/gen-sign-vectors: $(BUILD)/tools/gen-sign-vectors.o $(E2EE_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/sign_bench: $(BUILD)/bench/sign_bench.o $(E2EE_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Regenerates tests/vectors/e2ee.json (checked by the C and the JS tests).
e2ee-vectors: $(BUILD)/gen-e2ee-vectors
	./$(BUILD)/gen-e2ee-vectors > tests/vectors/e2ee.json

# Regenerates tests/vectors/e2ee-sign.json (checked by the C and the JS tests).
sign-vectors: $(BUILD)/gen-sign-vectors
	./$(BUILD)/gen-sign-vectors > tests/vectors/e2ee-sign.json

run: deps
	@$(MAKE) --no-print-directory $(BUILD)/sealroomd
	@mkdir -p data
	./$(BUILD)/sealroomd $(if $(filter command line,$(origin PORT)),--port $(PORT)) $(ARGS)

unit: $(BUILD)/unit_tests
	./$(BUILD)/unit_tests

test:
	@scripts/deps.sh --test
	@$(MAKE) --no-print-directory -j2 all fuzz-build
	@scripts/run-tests.sh $(BUILD)

bench: all $(BUILD)/e2ee_bench $(BUILD)/sign_bench $(BUILD)/srtp_bench
	@scripts/deps.sh --test
	./$(BUILD)/e2ee_bench
	./$(BUILD)/sign_bench
	./$(BUILD)/srtp_bench
	bench/http_bench.sh $(BUILD)
	node bench/ice_tcp_bench.mjs
	bench/sfu_bench.sh $(BUILD)
	bench/workers_bench.sh $(BUILD)

# Soak (scripts/soak.sh): SOAK_SECONDS (default 600) of sealroom-load with
# joins and leaves every second against an ASan+UBSan sealroomd; fails if its
# RSS or descriptors grow, it crashes, or a sanitizer reports anything.
soak: $(BUILD)/sealroom-load
	@scripts/deps.sh --test
	@$(MAKE) --no-print-directory -j2 SANITIZE=address,undefined build-san/sealroomd
	scripts/soak.sh build-san/sealroomd $(BUILD)/sealroom-load

fuzz-build: $(FUZZ_BIN)

build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c $< -o $@

build-fuzz/fuzz_%: build-fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_OBJ)
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(shell pkg-config --libs $(PKGS) $(CLIENT_PKGS)) -lwslay -lm

# Objects made only through the pattern rule above are intermediate: without
# this, make deletes the ones it has just built and compiles them again next time.
.SECONDARY: $(FUZZ_OBJ)

# Long fuzzing runs (FUZZ_TIME seconds per target); make test runs them briefly.
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do mkdir -p build-fuzz/corpus/$$t; \
	  ./build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) build-fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; done

# Warnings-as-errors build with clang too (CI runs it).
check-clang:
	@$(MAKE) --no-print-directory all CC=clang BUILD=build-clang

clean:
	rm -rf build build-san build-clang build-fuzz tests/out

-include $(OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(CLIENT_OBJ:.o=.d) $(CLIENT_TOOLS:$(BUILD)/%=$(BUILD)/tools/%.d) $(BUILD)/tools/tool_args.d \
  $(BUILD)/tests/tools/e2ee_call_driver.d $(E2EE_OBJ:.o=.d) $(COMMON_OBJ:.o=.d) $(BUILD)/src/main.d \
  $(BUILD)/tools/sealroom-e2ee.d $(BUILD)/tools/gen-e2ee-vectors.d $(BUILD)/bench/e2ee_bench.d \
  $(BUILD)/tools/gen-sign-vectors.d $(BUILD)/bench/sign_bench.d $(BUILD)/bench/srtp_bench.d \
  $(FUZZ_OBJ:.o=.d) $(FUZZ_TARGETS:%=build-fuzz/obj/tests/fuzz/fuzz_%.d)
