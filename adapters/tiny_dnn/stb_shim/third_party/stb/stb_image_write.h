#pragma once
// Declarations only: see stb_image.h next to this file.
extern "C" {
int stbi_write_png(char const* filename, int w, int h, int comp, const void* data, int stride_in_bytes);
int stbi_write_bmp(char const* filename, int w, int h, int comp, const void* data);
}
