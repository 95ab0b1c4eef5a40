#include "COpenCVShim.h"
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

struct cvs_image { cv::Mat mat; };
struct cvs_capture { cv::VideoCapture capture; cv::Mat frame; };
struct cvs_writer { cv::VideoWriter writer; };
struct cvs_bytes { std::vector<uchar> data; };

static thread_local std::string last_error;

template <typename F> static int guarded(F body) {
    try {
        last_error.clear();
        return body();
    } catch (const cv::Exception &e) {
        last_error = e.what();
    } catch (const std::exception &e) {
        last_error = e.what();
    } catch (...) {
        last_error = "unknown C++ exception";
    }
    return -1;
}

static int fail(const std::string &message) {
    last_error = message;
    return -1;
}

static bool empty_input(const cvs_image *src) { return src == nullptr || src->mat.empty(); }

// The last-error plumbing, shared with scene.cpp.
int cvs_shim_fail(const char *message) { return fail(message); }
int cvs_shim_guard_begin(void) { last_error.clear(); return 0; }
int cvs_shim_exception(const char *message) { last_error = message; return -1; }

extern "C" {

const char *cvs_version(void) { return CV_VERSION; }
const char *cvs_last_error(void) { return last_error.c_str(); }
void cvs_set_threads(int threads) { cv::setNumThreads(threads); }

cvs_image *cvs_image_new(void) { return new (std::nothrow) cvs_image(); }
void cvs_image_free(cvs_image *image) { delete image; }

int cvs_image_create(cvs_image *image, int width, int height, int channels) {
    return guarded([&] {
        if (width <= 0 || height <= 0) return fail("image size must be positive");
        image->mat.create(height, width, channels == 3 ? CV_8UC3 : CV_8UC1);
        return 0;
    });
}
int cvs_image_width(const cvs_image *image) { return image->mat.cols; }
int cvs_image_height(const cvs_image *image) { return image->mat.rows; }
int cvs_image_channels(const cvs_image *image) { return image->mat.channels(); }
size_t cvs_image_step(const cvs_image *image) { return image->mat.step; }
uint8_t *cvs_image_data(cvs_image *image) { return image->mat.data; }

int cvs_image_copy_gray(cvs_image *image, const uint8_t *data, int width, int height, size_t stride) {
    return guarded([&] {
        cv::Mat view(height, width, CV_8UC1, const_cast<uint8_t *>(data), stride);
        view.copyTo(image->mat);
        return 0;
    });
}

int cvs_image_fill(cvs_image *image, int value) {
    return guarded([&] {
        image->mat.setTo(cv::Scalar::all(value));
        return 0;
    });
}

int cvs_image_read(cvs_image *image, const char *path, int color) {
    return guarded([&] {
        image->mat = cv::imread(path, color ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE);
        if (image->mat.empty()) return fail("cannot decode the image (corrupt, truncated, too large or not an image)");
        return 0;
    });
}

int cvs_image_decode(cvs_image *image, const uint8_t *bytes, size_t length, int color) {
    return guarded([&] {
        cv::Mat buffer(1, (int)length, CV_8UC1, const_cast<uint8_t *>(bytes));
        image->mat = cv::imdecode(buffer, color ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE);
        if (image->mat.empty()) return fail("cannot decode the image (corrupt, truncated, too large or not an image)");
        return 0;
    });
}

int cvs_image_write(const cvs_image *image, const char *path) {
    return guarded([&] {
        if (empty_input(image)) return fail("cannot write an empty image");
        if (!cv::imwrite(path, image->mat)) return fail(std::string("cannot write ") + path);
        return 0;
    });
}

cvs_bytes *cvs_bytes_new(void) { return new (std::nothrow) cvs_bytes(); }
void cvs_bytes_free(cvs_bytes *bytes) { delete bytes; }
const uint8_t *cvs_bytes_data(const cvs_bytes *bytes) { return bytes->data.data(); }
size_t cvs_bytes_size(const cvs_bytes *bytes) { return bytes->data.size(); }

int cvs_image_encode(const cvs_image *image, int format, int quality, cvs_bytes *out) {
    return guarded([&] {
        if (empty_input(image)) return fail("cannot encode an empty image");
        bool ok = format == 1
            ? cv::imencode(".png", image->mat, out->data, {cv::IMWRITE_PNG_COMPRESSION, std::clamp(quality, 0, 9)})
            : cv::imencode(".jpg", image->mat, out->data, {cv::IMWRITE_JPEG_QUALITY, std::clamp(quality, 0, 100)});
        if (!ok) return fail("cannot encode the image");
        return 0;
    });
}

int cvs_to_gray(const cvs_image *src, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        if (src->mat.channels() == 1) src->mat.copyTo(dst->mat);
        else if (src->mat.channels() == 3) cv::cvtColor(src->mat, dst->mat, cv::COLOR_BGR2GRAY);
        else if (src->mat.channels() == 4) cv::cvtColor(src->mat, dst->mat, cv::COLOR_BGRA2GRAY);
        else return fail("unsupported channel count");
        return 0;
    });
}

int cvs_to_bgr(const cvs_image *src, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        if (src->mat.channels() == 3) src->mat.copyTo(dst->mat);
        else cv::cvtColor(src->mat, dst->mat, cv::COLOR_GRAY2BGR);
        return 0;
    });
}

int cvs_crop(const cvs_image *src, int x, int y, int width, int height, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        cv::Rect rect = cv::Rect(x, y, width, height) & cv::Rect(0, 0, src->mat.cols, src->mat.rows);
        if (rect.empty()) return fail("the region lies outside the image");
        src->mat(rect).copyTo(dst->mat);
        return 0;
    });
}

int cvs_rotate(const cvs_image *src, double degrees, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        double turns = degrees / 90.0;
        if (std::fabs(turns - std::round(turns)) < 1e-9) {
            int quarter = ((int)std::lround(turns) % 4 + 4) % 4;
            if (quarter == 0) src->mat.copyTo(dst->mat);
            else cv::rotate(src->mat, dst->mat, quarter == 1 ? cv::ROTATE_90_COUNTERCLOCKWISE
                                                 : quarter == 2 ? cv::ROTATE_180 : cv::ROTATE_90_CLOCKWISE);
            return 0;
        }
        cv::Point2f centre(src->mat.cols / 2.0f, src->mat.rows / 2.0f);
        cv::Mat m = cv::getRotationMatrix2D(centre, degrees, 1.0);
        double c = std::fabs(m.at<double>(0, 0)), s = std::fabs(m.at<double>(0, 1));
        int w = (int)std::ceil(src->mat.rows * s + src->mat.cols * c);
        int h = (int)std::ceil(src->mat.rows * c + src->mat.cols * s);
        m.at<double>(0, 2) += w / 2.0 - centre.x;
        m.at<double>(1, 2) += h / 2.0 - centre.y;
        cv::warpAffine(src->mat, dst->mat, m, cv::Size(w, h), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        return 0;
    });
}

int cvs_resize(const cvs_image *src, double factor, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        if (!(factor > 0)) return fail("scale factor must be positive");
        cv::resize(src->mat, dst->mat, cv::Size(), factor, factor, factor > 1 ? cv::INTER_CUBIC : cv::INTER_AREA);
        return 0;
    });
}

int cvs_clahe(const cvs_image *src, double clip_limit, int tile_size, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        thread_local cv::Ptr<cv::CLAHE> clahe;
        if (!clahe) clahe = cv::createCLAHE();
        clahe->setClipLimit(clip_limit);
        clahe->setTilesGridSize(cv::Size(tile_size, tile_size));
        clahe->apply(src->mat, dst->mat);
        return 0;
    });
}

int cvs_equalize(const cvs_image *src, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        cv::equalizeHist(src->mat, dst->mat);
        return 0;
    });
}

int cvs_sharpen(const cvs_image *src, double amount, double sigma, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        thread_local cv::Mat blurred;
        cv::GaussianBlur(src->mat, blurred, cv::Size(), sigma);
        cv::addWeighted(src->mat, 1.0 + amount, blurred, -amount, 0, dst->mat);
        return 0;
    });
}

int cvs_blur(const cvs_image *src, double sigma, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        cv::GaussianBlur(src->mat, dst->mat, cv::Size(), sigma);
        return 0;
    });
}

int cvs_adaptive_threshold(const cvs_image *src, int block_size, double offset, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        cv::adaptiveThreshold(src->mat, dst->mat, 255, cv::ADAPTIVE_THRESH_MEAN_C, cv::THRESH_BINARY, block_size, offset);
        return 0;
    });
}

int cvs_invert(const cvs_image *src, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        cv::bitwise_not(src->mat, dst->mat);
        return 0;
    });
}

int cvs_normalize_local(const cvs_image *src, double sigma, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        // (pixel - local mean) / local standard deviation, mapped back to 0-255 around mid-gray.
        thread_local cv::Mat f, mean, sq, var;
        src->mat.convertTo(f, CV_32F);
        cv::GaussianBlur(f, mean, cv::Size(), sigma);
        cv::GaussianBlur(f.mul(f), sq, cv::Size(), sigma);
        var = sq - mean.mul(mean);
        cv::max(var, 25.0f, var);  // a flat area (spread under 5 gray levels) is not amplified into noise
        cv::sqrt(var, var);
        f = (f - mean) / var;
        f.convertTo(dst->mat, CV_8U, 64.0, 128.0);
        return 0;
    });
}

int cvs_morph_close(const cvs_image *src, int size, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        int k = std::max(2, size);
        cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(k, k));
        // Dark modules on a light ground: closing the dark (an opening of the light) joins dotted dark modules.
        cv::morphologyEx(src->mat, dst->mat, cv::MORPH_OPEN, kernel);
        return 0;
    });
}

int cvs_stretch(const cvs_image *src, double low_percent, double high_percent, cvs_image *dst) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        int histogram[256] = {0};
        const cv::Mat &m = src->mat;
        for (int y = 0; y < m.rows; y++) {
            const uint8_t *row = m.ptr<uint8_t>(y);
            for (int x = 0; x < m.cols; x++) histogram[row[x]]++;
        }
        double total = (double)m.rows * m.cols;
        int low = 0, high = 255;
        double seen = 0;
        for (int v = 0; v < 256; v++) { seen += histogram[v]; if (seen >= total * low_percent / 100) { low = v; break; } }
        seen = 0;
        for (int v = 255; v >= 0; v--) { seen += histogram[v]; if (seen >= total * high_percent / 100) { high = v; break; } }
        if (high <= low + 4) { m.copyTo(dst->mat); return 0; }
        double scale = 255.0 / (high - low);
        m.convertTo(dst->mat, CV_8U, scale, -low * scale);
        return 0;
    });
}

int cvs_contrast(const cvs_image *src, int x, int y, int width, int height, double *low, double *high) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        cv::Rect r = cv::Rect(x, y, width, height) & cv::Rect(0, 0, src->mat.cols, src->mat.rows);
        if (r.area() <= 0) return fail("the rectangle lies outside the image");
        int histogram[256] = {0};
        for (int row = r.y; row < r.y + r.height; row++) {
            const uint8_t *p = src->mat.ptr<uint8_t>(row);
            for (int col = r.x; col < r.x + r.width; col++) histogram[p[col]]++;
        }
        double total = r.area(), seen = 0;
        int lo = 0, hi = 255;
        for (int v = 0; v < 256; v++) { seen += histogram[v]; if (seen >= total * 0.05) { lo = v; break; } }
        seen = 0;
        for (int v = 255; v >= 0; v--) { seen += histogram[v]; if (seen >= total * 0.05) { hi = v; break; } }
        *low = lo;
        *high = hi;
        return 0;
    });
}

int cvs_find_circles(const cvs_image *src, int min_radius, int max_radius, int max_circles, float *out, cvs_image *work) {
    return guarded([&] {
        if (empty_input(src)) return fail("empty input image");
        // Work at a quarter of the resolution: caps are large, and Hough is quadratic in the radius range.
        const double f = 0.25;
        cv::resize(src->mat, work->mat, cv::Size(), f, f, cv::INTER_AREA);
        cv::GaussianBlur(work->mat, work->mat, cv::Size(5, 5), 1.5);
        std::vector<cv::Vec3f> circles;
        int minR = std::max(2, (int)std::floor(min_radius * f)), maxR = std::max(minR + 1, (int)std::ceil(max_radius * f));
        cv::HoughCircles(work->mat, circles, cv::HOUGH_GRADIENT, 1, minR * 2.0, 80, 25, minR, maxR);
        int count = 0;
        for (const auto &c : circles) {
            if (count >= max_circles) break;
            out[3 * count] = (float)(c[0] / f);
            out[3 * count + 1] = (float)(c[1] / f);
            out[3 * count + 2] = (float)(c[2] / f);
            count++;
        }
        return count;
    });
}

int cvs_find_blobs(const cvs_image *src, double scale, int threshold, int close_px, int open_px, double min_area, cvs_blob *out,
                   int max_blobs, int *used_threshold, cvs_image *work) {
    return guarded([&] {
        const double f = std::clamp(scale, 0.1, 1.0);
        cv::Mat &small = work->mat;
        if (src != nullptr) {
            if (empty_input(src)) return fail("empty input image");
            if (src->mat.type() != CV_8UC1) return fail("expected a gray image");
            if (f < 1) cv::resize(src->mat, small, cv::Size(), f, f, cv::INTER_AREA);
            else src->mat.copyTo(small);
            cv::GaussianBlur(small, small, cv::Size(3, 3), 0.8);
        } else if (small.empty()) {
            return fail("no reduced image to reuse: call with the frame first");
        }
        cv::Mat mask;
        double used = cv::threshold(small, mask, threshold >= 0 ? threshold : 0, 255,
                                    threshold >= 0 ? cv::THRESH_BINARY : cv::THRESH_BINARY | cv::THRESH_OTSU);
        if (used_threshold) *used_threshold = (int)std::lround(used);
        if (close_px > 0) {
            cv::Mat disc = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(close_px, close_px));
            cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, disc);
        }
        if (open_px > 0) {
            cv::Mat disc = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(open_px, open_px));
            cv::morphologyEx(mask, mask, cv::MORPH_OPEN, disc);
        }
        std::vector<std::vector<cv::Point>> contours;
        cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
        std::vector<cvs_blob> blobs;
        const double minArea = min_area * f * f;
        for (const auto &contour : contours) {
            double area = cv::contourArea(contour);
            if (area < minArea || contour.size() < 3) continue;
            cv::Moments m = cv::moments(contour);
            if (m.m00 <= 0) continue;
            cv::Point2f centre;
            float radius = 0;
            cv::minEnclosingCircle(contour, centre, radius);
            cv::RotatedRect rect = cv::minAreaRect(contour);
            cv::Rect box = cv::boundingRect(contour);
            cvs_blob b;
            b.x = (float)((m.m10 / m.m00 + 0.5) / f - 0.5);
            b.y = (float)((m.m01 / m.m00 + 0.5) / f - 0.5);
            b.area = (float)(area / (f * f));
            b.radius = (float)(radius / f);
            b.rect_area = (float)(rect.size.area() / (f * f));
            b.rect_angle = rect.angle;
            b.box_x = (int)std::floor(box.x / f);
            b.box_y = (int)std::floor(box.y / f);
            b.box_width = (int)std::ceil(box.width / f);
            b.box_height = (int)std::ceil(box.height / f);
            blobs.push_back(b);
        }
        std::sort(blobs.begin(), blobs.end(), [](const cvs_blob &a, const cvs_blob &b) { return a.area > b.area; });
        int count = std::min((int)blobs.size(), std::max(0, max_blobs));
        for (int i = 0; i < count; i++) out[i] = blobs[i];
        return count;
    });
}

int cvs_draw_rect(cvs_image *image, int x, int y, int width, int height, int r, int g, int b, int thickness) {
    return guarded([&] {
        cv::rectangle(image->mat, cv::Rect(x, y, width, height), cv::Scalar(b, g, r), thickness);
        return 0;
    });
}

int cvs_draw_polyline(cvs_image *image, const float *points, int count, int closed, int r, int g, int b, int thickness) {
    return guarded([&] {
        std::vector<cv::Point> pts;
        for (int i = 0; i < count; i++) pts.emplace_back((int)std::lround(points[2 * i]), (int)std::lround(points[2 * i + 1]));
        cv::polylines(image->mat, pts, closed != 0, cv::Scalar(b, g, r), thickness, cv::LINE_AA);
        return 0;
    });
}

int cvs_draw_text(cvs_image *image, const char *text, int x, int y, double scale, int r, int g, int b, int thickness) {
    return guarded([&] {
        cv::putText(image->mat, text, cv::Point(x, y), cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(b, g, r), thickness, cv::LINE_AA);
        return 0;
    });
}

int cvs_draw_circle(cvs_image *image, int x, int y, int radius, int r, int g, int b, int thickness) {
    return guarded([&] {
        cv::circle(image->mat, cv::Point(x, y), radius, cv::Scalar(b, g, r), thickness, cv::LINE_AA);
        return 0;
    });
}

cvs_capture *cvs_capture_open(const char *source, int backend) {
    cvs_capture *capture = new (std::nothrow) cvs_capture();
    if (!capture) return nullptr;
    int api = backend == 1 ? cv::CAP_FFMPEG : backend == 2 ? cv::CAP_GSTREAMER : backend == 3 ? cv::CAP_V4L2
            : backend == 4 ? cv::CAP_IMAGES : cv::CAP_ANY;
    int status = guarded([&] {
        if (!capture->capture.open(source, api)) return fail(std::string("cannot open ") + source);
        return 0;
    });
    if (status != 0) { delete capture; return nullptr; }
    return capture;
}

cvs_capture *cvs_capture_open_device(int index) {
    cvs_capture *capture = new (std::nothrow) cvs_capture();
    if (!capture) return nullptr;
    int status = guarded([&] {
        if (!capture->capture.open(index, cv::CAP_V4L2)) return fail("cannot open video device " + std::to_string(index));
        return 0;
    });
    if (status != 0) { delete capture; return nullptr; }
    return capture;
}

int cvs_capture_read(cvs_capture *capture, cvs_image *gray, cvs_image *work) {
    (void)work;
    return guarded([&] {
        if (!capture->capture.isOpened()) return fail("the stream is closed");
        if (!capture->capture.read(capture->frame) || capture->frame.empty()) return 0;
        if (capture->frame.channels() == 1) capture->frame.copyTo(gray->mat);
        else if (capture->frame.channels() == 3) cv::cvtColor(capture->frame, gray->mat, cv::COLOR_BGR2GRAY);
        else if (capture->frame.channels() == 4) cv::cvtColor(capture->frame, gray->mat, cv::COLOR_BGRA2GRAY);
        else return fail("the stream delivers frames with " + std::to_string(capture->frame.channels()) + " channels");
        return 1;
    });
}

double cvs_capture_get(cvs_capture *capture, int property) {
    try { return capture->capture.get(property); } catch (...) { return -1; }
}

void cvs_capture_free(cvs_capture *capture) {
    if (!capture) return;
    try { capture->capture.release(); } catch (...) {}
    delete capture;
}

cvs_writer *cvs_writer_open(const char *path, double fps, int width, int height, int color) {
    cvs_writer *writer = new (std::nothrow) cvs_writer();
    if (!writer) return nullptr;
    int status = guarded([&] {
        if (!writer->writer.open(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, cv::Size(width, height), color != 0))
            return fail(std::string("cannot open video writer for ") + path);
        return 0;
    });
    if (status != 0) { delete writer; return nullptr; }
    return writer;
}

int cvs_writer_write(cvs_writer *writer, const cvs_image *image) {
    return guarded([&] {
        writer->writer.write(image->mat);
        return 0;
    });
}

void cvs_writer_free(cvs_writer *writer) {
    if (!writer) return;
    try { writer->writer.release(); } catch (...) {}
    delete writer;
}

int cvs_synth_cap(cvs_image *frame, const uint8_t *modules, int side, double cx, double cy, double cap_radius,
                  int cap_gray, double module_px, double angle_deg, double tilt, double tilt_dir_deg,
                  int dark, int light, cvs_image *work) {
    return guarded([&] {
        cv::Mat &dst = frame->mat;
        if (dst.empty() || dst.type() != CV_8UC1) return fail("frame must be a gray image");
        // The cap: a disc with a soft radial shading and a darker rim.
        cv::circle(dst, cv::Point2d(cx, cy), (int)std::lround(cap_radius + 3), cv::Scalar(std::max(0, cap_gray - 60)), -1, cv::LINE_AA);
        cv::circle(dst, cv::Point2d(cx, cy), (int)std::lround(cap_radius), cv::Scalar(cap_gray), -1, cv::LINE_AA);
        cv::circle(dst, cv::Point2d(cx - cap_radius * 0.2, cy - cap_radius * 0.2), (int)std::lround(cap_radius * 0.5),
                   cv::Scalar(std::min(255, cap_gray + 12)), -1, cv::LINE_AA);
        if (side <= 0 || modules == nullptr) return 0;
        // The code with a 2-module quiet zone, rendered at 8 px per module, then warped onto the frame.
        const int q = 2, unit = 8, n = side + 2 * q;
        cv::Mat &tile = work->mat;
        tile.create(n * unit, n * unit, CV_8UC1);
        tile.setTo(cv::Scalar(light));
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                if (modules[y * side + x]) tile(cv::Rect((x + q) * unit, (y + q) * unit, unit, unit)).setTo(cv::Scalar(dark));
        double half = n * module_px / 2.0;
        std::vector<cv::Point2f> srcPts = {{0, 0}, {(float)(n * unit), 0}, {(float)(n * unit), (float)(n * unit)}, {0, (float)(n * unit)}};
        std::vector<cv::Point2f> dstPts;
        double a = angle_deg * CV_PI / 180.0, td = tilt_dir_deg * CV_PI / 180.0;
        double corners[4][2] = {{-half, -half}, {half, -half}, {half, half}, {-half, half}};
        for (auto &c : corners) {
            // Perspective: corners on the side facing tilt_dir shrink, the opposite side grows.
            double along = (c[0] * std::cos(td) + c[1] * std::sin(td)) / half;
            double k = 1.0 - tilt * along;
            double x = c[0] * k, y = c[1] * k;
            dstPts.emplace_back((float)(cx + x * std::cos(a) - y * std::sin(a)), (float)(cy + x * std::sin(a) + y * std::cos(a)));
        }
        cv::Mat h = cv::getPerspectiveTransform(srcPts, dstPts);
        cv::Mat mask(tile.size(), CV_8UC1, cv::Scalar(255));
        cv::Mat warped, warpedMask;
        cv::warpPerspective(tile, warped, h, dst.size(), cv::INTER_AREA, cv::BORDER_CONSTANT, cv::Scalar(0));
        cv::warpPerspective(mask, warpedMask, h, dst.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
        // Blend along the anti-aliased mask edge.
        cv::Rect box = cv::boundingRect(dstPts) & cv::Rect(0, 0, dst.cols, dst.rows);
        for (int y = box.y; y < box.y + box.height; y++) {
            uint8_t *d = dst.ptr<uint8_t>(y);
            const uint8_t *w = warped.ptr<uint8_t>(y), *m = warpedMask.ptr<uint8_t>(y);
            for (int x = box.x; x < box.x + box.width; x++)
                if (m[x]) d[x] = (uint8_t)((w[x] * m[x] + d[x] * (255 - m[x])) / 255);
        }
        return 0;
    });
}

int cvs_synth_degrade(cvs_image *frame, double motion_px, double motion_angle_deg, double defocus_sigma,
                      double glare_strength, double glare_x, double glare_y, double glare_radius,
                      double contrast, double noise_sigma, uint64_t seed, cvs_image *work) {
    return guarded([&] {
        cv::Mat &img = frame->mat;
        if (img.empty() || img.type() != CV_8UC1) return fail("frame must be a gray image");
        if (motion_px >= 1) {
            int k = (int)std::ceil(motion_px) | 1;
            cv::Mat kernel = cv::Mat::zeros(k, k, CV_32F);
            double a = motion_angle_deg * CV_PI / 180.0;
            cv::Point2d c(k / 2.0 - 0.5, k / 2.0 - 0.5);
            cv::line(kernel, cv::Point2d(c.x - std::cos(a) * motion_px / 2, c.y - std::sin(a) * motion_px / 2),
                     cv::Point2d(c.x + std::cos(a) * motion_px / 2, c.y + std::sin(a) * motion_px / 2), cv::Scalar(1.0), 1, cv::LINE_AA);
            double s = cv::sum(kernel)[0];
            if (s > 0) kernel /= s;
            cv::filter2D(img, work->mat, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_REPLICATE);
            work->mat.copyTo(img);
        }
        if (defocus_sigma > 0) cv::GaussianBlur(img, img, cv::Size(), defocus_sigma);
        if (glare_strength > 0 && glare_radius > 0) {
            cv::Mat blob = cv::Mat::zeros(img.size(), CV_32F);
            cv::circle(blob, cv::Point2d(glare_x, glare_y), (int)glare_radius, cv::Scalar(glare_strength), -1, cv::LINE_AA);
            cv::GaussianBlur(blob, blob, cv::Size(), glare_radius / 2.5);
            cv::Mat f;
            img.convertTo(f, CV_32F);
            f += blob;
            f.convertTo(img, CV_8U);
        }
        if (contrast > 0 && std::fabs(contrast - 1.0) > 1e-6) img.convertTo(img, CV_8U, contrast, 128 * (1 - contrast));
        if (noise_sigma > 0) {
            cv::RNG rng(seed);
            cv::Mat noise(img.size(), CV_16S);
            rng.fill(noise, cv::RNG::NORMAL, 0, noise_sigma);
            cv::Mat wide;
            img.convertTo(wide, CV_16S);
            wide += noise;
            wide.convertTo(img, CV_8U);
        }
        return 0;
    });
}

int cvs_synth_occlude(cvs_image *frame, double cx, double cy, double width, double height, double angle_deg, int gray) {
    return guarded([&] {
        cv::RotatedRect rect(cv::Point2f((float)cx, (float)cy), cv::Size2f((float)width, (float)height), (float)angle_deg);
        cv::Point2f p[4];
        rect.points(p);
        std::vector<cv::Point> pts;
        for (auto &q : p) pts.emplace_back((int)std::lround(q.x), (int)std::lround(q.y));
        cv::fillConvexPoly(frame->mat, pts, cv::Scalar(gray), cv::LINE_AA);
        return 0;
    });
}

} // extern "C"
