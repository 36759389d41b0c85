# tests/tools/e2ee_call_driver: a C E2EE participant (client/e2ee_call) driven
# by JSON lines, for tests/js/client-e2ee-interop.test.mjs (the interop proof
# against the browser's E2EE worker). Included from the Makefile; built by `all`.
$(BUILD)/e2ee_call_driver: $(BUILD)/tests/tools/e2ee_call_driver.o $(BUILD)/client/e2ee_call.o \
                           $(BUILD)/client/e2ee_name.o $(E2EE_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

all: $(BUILD)/e2ee_call_driver

-include $(BUILD)/tests/tools/e2ee_call_driver.d
