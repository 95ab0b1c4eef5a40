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
/// A growable byte buffer owned by the shim (encoded images); reused across calls.
typedef struct cvs_bytes cvs_bytes;
cvs_bytes *cvs_bytes_new(void);
void cvs_bytes_free(cvs_bytes *bytes);
const uint8_t *cvs_bytes_data(const cvs_bytes *bytes);
size_t cvs_bytes_size(const cvs_bytes *bytes);
/// Encodes the image in memory: `format` 0 JPEG (`quality` 0-100), 1 PNG (`quality` is the zlib level 0-9).
int cvs_image_encode(const cvs_image *image, int format, int quality, cvs_bytes *out);
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
/// Local normalisation: each pixel against the mean and spread of its gaussian neighbourhood (`sigma` pixels),
/// mapped around mid-gray. Evens out shadows and glare.
int cvs_normalize_local(const cvs_image *src, double sigma, cvs_image *dst);
/// Joins dotted or broken dark modules: a morphological opening of the light ground with a disc of `size` pixels.
int cvs_morph_close(const cvs_image *src, int size, cvs_image *dst);
/// Stretches the range between the `low_percent` and `high_percent` (from the top) percentiles to 0-255.
int cvs_stretch(const cvs_image *src, double low_percent, double high_percent, cvs_image *dst);
/// The 5th and 95th percentile gray levels inside the rectangle (clipped to the image).
int cvs_contrast(const cvs_image *src, int x, int y, int width, int height, double *low, double *high);
/// Finds up to `max_circles` bright discs of radius min..max pixels; writes x, y, r triples; returns the count or -1.
int cvs_find_circles(const cvs_image *src, int min_radius, int max_radius, int max_circles, float *out, cvs_image *work);

/// One bright region of a frame (`cvs_find_blobs`), in frame pixels.
typedef struct cvs_blob {
    /// Centroid of the region with its holes filled.
    float x, y;
    /// Area inside its outer contour (holes filled).
    float area;
    /// Radius of the smallest circle around it.
    float radius;
    /// Area of the smallest (rotated) rectangle around it, and that rectangle's angle in degrees.
    float rect_area, rect_angle;
    /// Its bounding box.
    int box_x, box_y, box_width, box_height;
} cvs_blob;

/// Bright regions: the image reduced by `scale` (0.1-1), smoothed, thresholded (at `threshold` 0-255, or by Otsu's
/// method when `threshold` is negative), closed with a disc of `close_px` reduced pixels (the dark modules of a code
/// joined into its bright ground), opened with a disc of `open_px` (thin bright lines such as partitions' edges fall
/// away) and its outer contours measured. Writes up to `max_blobs` regions of at least `min_area` frame pixels, largest
/// first, and the threshold used to `used_threshold` (if given). Returns how many or -1. With `src` NULL it works on the
/// reduced image an earlier call left in `work` (same `scale`): other closings of the same frame cost no second reduction.
int cvs_find_blobs(const cvs_image *src, double scale, int threshold, int close_px, int open_px, double min_area, cvs_blob *out,
                   int max_blobs, int *used_threshold, cvs_image *work);

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

// MARK: Scenes for the evaluation sets (scene.cpp)
/// How a stamp with its code looks.
typedef struct cvs_stamp_style {
    /// Gray levels of dark modules and of the light ground.
    int dark, light;
    /// 1: light modules on a dark ground.
    int inverted;
    /// 0: square modules; 0.4-1: each dark module a dot of this diameter (in modules): inkjet, dot-peen.
    double dot;
    /// Quiet zone around the code, in modules.
    int quiet;
    /// Stamp paper beyond the quiet zone, in modules.
    double stamp_margin;
    /// Guilloche amplitude on the stamp paper (gray levels), 0 for none.
    double guilloche;
    /// Hologram sheen: a bright striped band over the stamp (gray levels), and its angle in degrees.
    double sheen, sheen_angle;
    /// A domed surface (a cap's top): 0 flat … 0.25.
    double bulge;
    uint64_t seed;
} cvs_stamp_style;

/// Draws a stamp: the code square with its quiet zone mapped onto `quad8` (TL, TR, BR, BL in frame pixels), the
/// stamp margin around it. Writes the code's own four corners (without quiet zone) to `code_corners8` if given.
int cvs_scene_stamp(cvs_image *frame, const uint8_t *modules, int side, const float *quad8, const cvs_stamp_style *style,
                    float *code_corners8, cvs_image *work);
/// A bottle cap seen from above: a disc lit from `light_angle_deg`, with a knurled rim darkened by `rim_depth` (0-1).
int cvs_scene_cap(cvs_image *frame, double cx, double cy, double radius, int base, double light_angle_deg, double rim_depth);
/// A specular highlight: an elliptical gaussian spot added (saturating).
int cvs_scene_specular(cvs_image *frame, double cx, double cy, double rx, double ry, double angle_deg, double strength);
/// A soft shadow over the side of the line (x0, y0)→(x1, y1) to its left: brightness × (1 − depth).
int cvs_scene_shadow(cvs_image *frame, double x0, double y0, double x1, double y1, double softness, double depth);
/// A fold or crease along a segment: a light/dark ridge `width` wide and one side displaced by `shift` pixels.
int cvs_scene_fold(cvs_image *frame, double x0, double y0, double x1, double y1, double width, double strength, double shift);
/// Surface texture in a rectangle: 0 paper fibres, 1 corrugated cardboard, 2 a screen's pixel grid.
int cvs_scene_texture(cvs_image *frame, int kind, int x, int y, int width, int height, double strength, uint64_t seed);

/// The camera: illumination, optics and sensor.
typedef struct cvs_optics {
    /// Motion blur length (pixels) and direction (degrees).
    double motion_px, motion_angle;
    /// Defocus: a disc point-spread function of this radius (pixels).
    double defocus_radius;
    /// A film of dust on the lens: veiling glare, 0 … 0.6.
    double haze;
    /// Illumination: 1 nominal, 0.3 a failing lamp.
    double gain;
    /// Corner darkening 0 … 0.6.
    double vignetting;
    /// Sensor noise: read noise (gray levels) and shot noise (sigma = shot_noise × sqrt(level)).
    double read_noise, shot_noise;
    /// JPEG compression quality 5-100, 0 for none.
    int jpeg_quality;
    uint64_t seed;
} cvs_optics;

/// Applies the camera to a rendered scene, in order: illumination, defocus, motion, haze, noise, JPEG.
int cvs_scene_optics(cvs_image *frame, const cvs_optics *optics, cvs_image *work);

/// Draws a symbol of `cols`×`rows` modules (non-zero = dark) with a quiet zone of `quiet` modules onto `quad8` (TL, TR,
/// BR, BL in frame pixels; the quad includes the quiet zone): a Data Matrix, or with `rows` 1 a linear symbol (Code
/// 128) whose bars span the quad's height (its quiet zone left and right only). Writes the symbol's own corners
/// (without quiet zone) to `code_corners8` if given.
int cvs_scene_symbol(cvs_image *frame, const uint8_t *modules, int cols, int rows, int quiet, const float *quad8, int dark, int light,
                     float *code_corners8);
/// Smears an ellipse (centre, radii, angle): a gaussian blur of `sigma` pixels, darkened by `darken` (0-1), fading out
/// at its rim. A wiped or smudged print.
int cvs_scene_smear(cvs_image *frame, double cx, double cy, double rx, double ry, double angle_deg, double sigma, double darken);

#ifdef __cplusplus
}
#endif
#endif
