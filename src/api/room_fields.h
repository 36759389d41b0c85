/* Moved to model/room_fields.h (the rules of room fields serve the REST API
 * and the signalling alike). Kept only for tests/fuzz/fuzz_room_fields.c;
 * remove once it includes model/room_fields.h. */
#include "model/room_fields.h"
