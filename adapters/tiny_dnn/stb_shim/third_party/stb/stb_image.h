#pragma once
// Declarations only. Debian's tiny-dnn (1.0.0a3+ds) drops tiny-dnn's third_party/ directory, but
// tiny_dnn/util/image.h (included by tiny_dnn/node.h, hence by every layer) includes these stb headers. tiny_dnn_exec
// uses no image I/O, so the functions image.h names are declared with stb's signatures and defined nowhere: any
// use would fail to link, and nothing here computes anything.
extern "C" {
typedef unsigned char stbi_uc;
stbi_uc* stbi_load(char const* filename, int* x, int* y, int* channels_in_file, int desired_channels);
const char* stbi_failure_reason(void);
void stbi_image_free(void* retval_from_stbi_load);
}
