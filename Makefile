# Drawbridge -- one Makefile, pkg-config for the libraries, no vendored code.
#
#   make                 release-ish build in build/ (-O2 -g)
#   make SAN=address,undefined BUILD=build-asan
#   make test            unit (ASan/UBSan) + integration; ends "N passed, N failed"
#   make unit            unit tests only
#   make fuzz            clang-14 libFuzzer targets, FUZZ_SECONDS each
#   make bench           side-by-side benchmark (see bench/README.md)
#   ERR=1                -Werror (CI sets it)

CC	?= gcc
BUILD	?= build
OPT	?= -O2
SAN	?=
ERR	?= 1

PKGS	 = libevent libevent_openssl libevent_pthreads openssl libjwt hiredis \
	   jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN	 = -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes \
	   -Wstrict-prototypes -Wcast-qual -fno-common
CFLAGS	+= -std=c17 -D_GNU_SOURCE -I. -g $(OPT) $(WARN) $(PKG_CFLAGS) \
	   -fstack-protector-strong -pthread
ifeq ($(ERR),1)
CFLAGS	+= -Werror
endif
ifneq ($(SAN),)
CFLAGS	+= -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=$(SAN)
else
CFLAGS	+= -D_FORTIFY_SOURCE=2
endif
LDLIBS	+= $(PKG_LIBS) -pthread

# Modules.  Dependencies point one way: common <- config <- routing, authz,
# tls <- proxy.  Every .c except the two mains goes into the library.
LIB_SRCS := $(wildcard common/*.c config/*.c routing/*.c authz/*.c tls/*.c) \
	    $(filter-out proxy/main.c,$(wildcard proxy/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB	 := $(BUILD)/libdrawbridge.a

PROGS	 = $(BUILD)/drawbridge $(BUILD)/drawbridgectl

# Unit tests: one binary per module, linked with just what it tests so a
# module can be worked on while another is broken.
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(UNIT_TESTS:%=$(BUILD)/tests/unit/%)
C_COMMON    = common/log.c common/str.c
DEPS_test_str	   = $(C_COMMON)
DEPS_test_enc	   = $(C_COMMON) common/enc.c
DEPS_test_http1	   = $(C_COMMON) proxy/http1.c
DEPS_test_host	   = $(C_COMMON) config/config.c routing/host.c
DEPS_test_record   = $(C_COMMON) routing/record.c
DEPS_test_config   = $(C_COMMON) config/config.c
DEPS_test_jwt	   = $(C_COMMON) common/enc.c config/config.c authz/jwt.c
DEPS_test_tokcache = $(C_COMMON) authz/tokcache.c
DEPS_test_policy   = $(C_COMMON) routing/record.c authz/policy.c
DEPS_test_cache	   = $(C_COMMON) config/config.c routing/record.c \
		     routing/cache.c tests/unit/fake_store.c
DEPS_test_presign  = $(C_COMMON) common/enc.c config/config.c authz/presign.c
DEPS_test_cookie   = $(C_COMMON) common/enc.c config/config.c authz/cookie.c
DEPS_test_tls	   = $(C_COMMON) config/config.c tls/tls.c
DEPS_test_headers  = $(C_COMMON) proxy/http1.c proxy/headers.c proxy/access.c \
		     authz/cookie.c common/enc.c config/config.c

.PHONY: all clean test unit integration fuzz bench check-banned
all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/drawbridge: $(BUILD)/proxy/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/drawbridgectl: $(BUILD)/ctl/ctl.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

objs_of = $(addprefix $(BUILD)/,$(DEPS_$(1):.c=.o))
.SECONDEXPANSION:
$(BUILD)/tests/unit/%: tests/unit/%.c $$(call objs_of,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

test:
	@tests/run-all.sh

fuzz:
	@tests/fuzz/run.sh

bench:
	@bench/run.sh

check-banned:
	@! git grep -nE '\b(strcpy|strcat|sprintf|strtok|atoi|gets)\s*\(' \
	    -- '*.c' '*.h' ':!tests/'

clean:
	rm -rf build build-*

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
