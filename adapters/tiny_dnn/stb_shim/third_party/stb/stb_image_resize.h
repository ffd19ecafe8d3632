#pragma once
// Declarations only: see stb_image.h next to this file.
extern "C" {
int stbir_resize_uint8(const unsigned char* input_pixels, int input_w, int input_h, int input_stride_in_bytes,
                       unsigned char* output_pixels, int output_w, int output_h, int output_stride_in_bytes,
                       int num_channels);
int stbir_resize_float(const float* input_pixels, int input_w, int input_h, int input_stride_in_bytes,
                       float* output_pixels, int output_w, int output_h, int output_stride_in_bytes, int num_channels);
}
