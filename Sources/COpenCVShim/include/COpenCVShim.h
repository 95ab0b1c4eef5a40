#ifndef COPENCV_SHIM_H
#define COPENCV_SHIM_H
/// A C API over the few OpenCV operations QazLine uses. Swift never sees a C++ type: every handle is
/// opaque and every function catches cv::Exception and reports it through cvs_last_error().
/// Functions returning int give 0 on success and -1 on failure unless documented otherwise.
/// Destination images are reused: an operation reallocates them only when size or type changes.
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// OpenCV's version string, e.g. "4.6.0".
const char *cvs_version(void);
/// The message of the last failed call on this thread, or "" if none.
const char *cvs_last_error(void);
/// Threads OpenCV may use inside one call (1 keeps each camera pipeline on its own core).
void cvs_set_threads(int threads);

// MARK: Images
typedef struct cvs_image cvs_image;
cvs_image *cvs_image_new(void);
void cvs_image_free(cvs_image *image);
/// (Re)allocates to width×height with 1 (gray) or 3 (BGR) channels; keeps the buffer when it already fits.
int cvs_image_create(cvs_image *image, int width, int height, int channels);
int cvs_image_width(const cvs_image *image);
int cvs_image_height(const cvs_image *image);
int cvs_image_channels(const cvs_image *image);
/// Bytes per row.
size_t cvs_image_step(const cvs_image *image);
uint8_t *cvs_image_data(cvs_image *image);
/// Copies a gray buffer (rows `stride` bytes apart) into the image.
int cvs_image_copy_gray(cvs_image *image, const uint8_t *data, int width, int height, size_t stride);
/// Fills every pixel (every channel) with a value.
int cvs_image_fill(cvs_image *image, int value);
/// Reads an image file as gray (color = 0) or BGR (color = 1).
int cvs_image_read(cvs_image *image, const char *path, int color);
/// Decodes an encoded image (PNG, JPEG, …) held in memory.
int cvs_image_decode(cvs_image *image, const uint8_t *bytes, size_t length, int color);
/// Writes the image; the format follows the file extension.
int cvs_image_write(const cvs_image *image, const char *path);
/// Converts to gray (from BGR or copies gray).
int cvs_to_gray(const cvs_image *src, cvs_image *dst);
/// Converts to BGR (from gray or copies BGR).
int cvs_to_bgr(const cvs_image *src, cvs_image *dst);
/// Copies the rectangle (clipped to the image) into dst.
int cvs_crop(const cvs_image *src, int x, int y, int width, int height, cvs_image *dst);

// MARK: Preprocessing (gray in, gray out)
/// Rotates about the centre by `degrees` (counter-clockwise), growing the canvas so nothing is cut off.
int cvs_rotate(const cvs_image *src, double degrees, cvs_image *dst);
/// Scales by `factor` (cubic interpolation when enlarging).
int cvs_resize(const cvs_image *src, double factor, cvs_image *dst);
int cvs_clahe(const cvs_image *src, double clip_limit, int tile_size, cvs_image *dst);
int cvs_equalize(const cvs_image *src, cvs_image *dst);
/// Unsharp mask: dst = src + amount·(src − blur(src, sigma)).
int cvs_sharpen(const cvs_image *src, double amount, double sigma, cvs_image *dst);
int cvs_blur(const cvs_image *src, double sigma, cvs_image *dst);
int cvs_adaptive_threshold(const cvs_image *src, int block_size, double offset, cvs_image *dst);
int cvs_invert(const cvs_image *src, cvs_image *dst);
/// Finds up to `max_circles` bright discs of radius min..max pixels; writes x, y, r triples; returns the count or -1.
int cvs_find_circles(const cvs_image *src, int min_radius, int max_radius, int max_circles, float *out, cvs_image *work);

// MARK: Drawing (annotated PNGs and synthetic frames)
int cvs_draw_rect(cvs_image *image, int x, int y, int width, int height, int r, int g, int b, int thickness);
int cvs_draw_polyline(cvs_image *image, const float *points, int count, int closed, int r, int g, int b, int thickness);
int cvs_draw_text(cvs_image *image, const char *text, int x, int y, double scale, int r, int g, int b, int thickness);
int cvs_draw_circle(cvs_image *image, int x, int y, int radius, int r, int g, int b, int thickness);

// MARK: Capture (OpenCV VideoCapture)
typedef struct cvs_capture cvs_capture;
/// Backends: 0 any, 1 FFMPEG, 2 GStreamer, 3 V4L2, 4 images (an img_%04d.png pattern).
cvs_capture *cvs_capture_open(const char *source, int backend);
cvs_capture *cvs_capture_open_device(int index);
/// Reads the next frame as gray: 1 = a frame, 0 = end of stream, -1 = error.
int cvs_capture_read(cvs_capture *capture, cvs_image *gray, cvs_image *work);
/// A VideoCapture property (CAP_PROP_*); -1 if unavailable.
double cvs_capture_get(cvs_capture *capture, int property);
void cvs_capture_free(cvs_capture *capture);

typedef struct cvs_writer cvs_writer;
/// Opens an MJPG video writer (tests make video files with it).
cvs_writer *cvs_writer_open(const char *path, double fps, int width, int height, int color);
int cvs_writer_write(cvs_writer *writer, const cvs_image *image);
void cvs_writer_free(cvs_writer *writer);

// MARK: Synthesis of cap frames
/// Draws a cap (a disc of `cap_gray`, shaded) with a QR code on it. `modules` is side×side bytes (non-zero =
/// dark module) without quiet zone; the code is drawn with a 2-module quiet zone at `module_px` pixels per module,
/// rotated by `angle_deg`, with a perspective tilt of `tilt` (0 … 0.3) in direction `tilt_dir_deg`.
int cvs_synth_cap(cvs_image *frame, const uint8_t *modules, int side, double cx, double cy, double cap_radius,
                  int cap_gray, double module_px, double angle_deg, double tilt, double tilt_dir_deg,
                  int dark, int light, cvs_image *work);
/// Whole-frame degradations, applied in order: motion blur (length px, angle), defocus (gaussian sigma),
/// glare (a bright blob), contrast scaling around mid-gray, gaussian noise (sigma). Zero disables a step.
int cvs_synth_degrade(cvs_image *frame, double motion_px, double motion_angle_deg, double defocus_sigma,
                      double glare_strength, double glare_x, double glare_y, double glare_radius,
                      double contrast, double noise_sigma, uint64_t seed, cvs_image *work);
/// A filled rectangle rotated by angle: partial occlusion (a label, a finger, a droplet).
int cvs_synth_occlude(cvs_image *frame, double cx, double cy, double width, double height, double angle_deg, int gray);

#ifdef __cplusplus
}
#endif
#endif
