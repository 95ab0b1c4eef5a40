// Scene synthesis for the evaluation sets: stamps on caps, cases and flat surfaces photographed by a real camera
// (curved surfaces, guilloche and hologram sheen, specular spots, shadows, folds, defocus, motion, haze, sensor
// noise, JPEG). Everything is deterministic for a given seed.
#include "COpenCVShim.h"
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

struct cvs_image { cv::Mat mat; };

int cvs_shim_fail(const char *message);
int cvs_shim_guard_begin(void);
int cvs_shim_exception(const char *message);

namespace {

template <typename F> int guarded(F body) {
    try {
        cvs_shim_guard_begin();
        return body();
    } catch (const cv::Exception &e) {
        return cvs_shim_exception(e.what());
    } catch (const std::exception &e) {
        return cvs_shim_exception(e.what());
    } catch (...) {
        return cvs_shim_exception("unknown C++ exception");
    }
}

bool gray(const cvs_image *image) { return image != nullptr && !image->mat.empty() && image->mat.type() == CV_8UC1; }

inline uint8_t clamp8(double v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5); }

/// Alpha-blends `src` (a frame-sized region `box` of warped pixels) into `dst` through `mask` (0-255).
void blend(cv::Mat &dst, const cv::Mat &src, const cv::Mat &mask, cv::Rect box) {
    for (int y = 0; y < box.height; y++) {
        uint8_t *d = dst.ptr<uint8_t>(box.y + y) + box.x;
        const uint8_t *s = src.ptr<uint8_t>(y), *m = mask.ptr<uint8_t>(y);
        for (int x = 0; x < box.width; x++)
            if (m[x]) d[x] = (uint8_t)((s[x] * m[x] + d[x] * (255 - m[x]) + 127) / 255);
    }
}

} // namespace

extern "C" {

int cvs_scene_stamp(cvs_image *frame, const uint8_t *modules, int side, const float *quad8, const cvs_stamp_style *style,
                    float *code_corners8, cvs_image *work) {
    return guarded([&] {
        if (!gray(frame)) return cvs_shim_fail("frame must be a gray image");
        if (side <= 0 || modules == nullptr || quad8 == nullptr || style == nullptr) return cvs_shim_fail("no code to draw");
        cv::Mat &dst = frame->mat;
        std::vector<cv::Point2f> quad;
        for (int i = 0; i < 4; i++) quad.emplace_back(quad8[2 * i], quad8[2 * i + 1]);
        // Module size in the frame (mean side of the quad over the modules it spans).
        const int q = std::max(0, style->quiet);
        const int n = side + 2 * q;
        double sideFrame = 0;
        for (int i = 0; i < 4; i++) sideFrame += cv::norm(quad[i] - quad[(i + 1) % 4]) / 4;
        const double modulePx = sideFrame / n;
        // Render upright at `unit` px per module (about twice the frame's), with the stamp margin around.
        const int unit = std::clamp((int)std::lround(modulePx * 2), 4, 24);
        const int marginPx = (int)std::lround(std::max(0.0, style->stamp_margin) * unit);
        const int t = n * unit + 2 * marginPx;
        cv::Mat tile(t, t, CV_32F);
        cv::RNG rng(style->seed);
        const double a1 = rng.uniform(0.02, 0.05), a2 = rng.uniform(0.01, 0.03), ph = rng.uniform(0.0, 6.28);
        const double sa = style->sheen_angle * CV_PI / 180, sheenPos = rng.uniform(-0.3, 0.3) * t;
        for (int y = 0; y < t; y++) {
            float *row = tile.ptr<float>(y);
            for (int x = 0; x < t; x++) {
                double v = style->light;
                if (style->guilloche > 0) {
                    // Guilloche: interfering fine waves, as printed on security paper.
                    double g = 0.5 + 0.25 * std::sin(x * a1 * 6.0 + 4 * std::sin(y * a2 + ph)) + 0.25 * std::sin(y * a1 * 5.0 + 3 * std::sin(x * a2 * 1.3));
                    v -= style->guilloche * g;
                }
                row[x] = (float)v;
            }
        }
        // Dark modules: squares, or dots (inkjet, dot-peen).
        for (int my = 0; my < side; my++)
            for (int mx = 0; mx < side; mx++) {
                if (!modules[my * side + mx]) continue;
                int x0 = marginPx + (mx + q) * unit, y0 = marginPx + (my + q) * unit;
                if (style->dot > 0) {
                    double r = std::min(0.5, style->dot / 2) * unit;
                    cv::circle(tile, cv::Point2d(x0 + unit / 2.0, y0 + unit / 2.0), (int)std::lround(r), cv::Scalar(style->dark), -1, cv::LINE_AA);
                } else {
                    tile(cv::Rect(x0, y0, unit, unit)).setTo(cv::Scalar(style->dark));
                }
            }
        if (style->inverted) tile = (double)(style->light + style->dark) - tile;
        if (style->sheen > 0) {
            // Hologram sheen: a bright diagonal band with fine stripes, over modules and ground alike.
            for (int y = 0; y < t; y++) {
                float *row = tile.ptr<float>(y);
                for (int x = 0; x < t; x++) {
                    double d = (x - t / 2.0) * std::cos(sa) + (y - t / 2.0) * std::sin(sa) - sheenPos;
                    double band = std::exp(-(d * d) / (0.02 * t * t));
                    double stripes = 0.6 + 0.4 * std::sin((x * std::sin(sa) - y * std::cos(sa)) * 0.9);
                    row[x] = (float)(row[x] + style->sheen * band * stripes);
                }
            }
        }
        // A domed surface (a cap's top): the centre bulges towards the camera.
        if (style->bulge > 0) {
            cv::Mat mapX(t, t, CV_32F), mapY(t, t, CV_32F);
            double c = t / 2.0, r0 = t / 2.0;
            for (int y = 0; y < t; y++)
                for (int x = 0; x < t; x++) {
                    double dx = (x - c) / r0, dy = (y - c) / r0, rr = dx * dx + dy * dy;
                    double k = 1 - style->bulge * std::max(0.0, 1 - rr);
                    mapX.at<float>(y, x) = (float)(c + dx * k * r0);
                    mapY.at<float>(y, x) = (float)(c + dy * k * r0);
                }
            cv::Mat bent;
            cv::remap(tile, bent, mapX, mapY, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
            tile = bent;
        }
        // Anti-alias before the warp shrinks the tile to the frame's module size.
        double shrink = unit / std::max(0.5, modulePx);
        if (shrink > 1.2) cv::GaussianBlur(tile, tile, cv::Size(), 0.45 * shrink);
        // Homography: the code square with its quiet zone (inside the tile) onto the quad.
        float i0 = (float)marginPx, i1 = (float)(marginPx + n * unit);
        std::vector<cv::Point2f> inner = {{i0, i0}, {i1, i0}, {i1, i1}, {i0, i1}};
        cv::Mat h = cv::getPerspectiveTransform(inner, quad);
        std::vector<cv::Point2f> outer = {{0, 0}, {(float)t, 0}, {(float)t, (float)t}, {0, (float)t}}, outerFrame;
        cv::perspectiveTransform(outer, outerFrame, h);
        cv::Rect box = cv::boundingRect(outerFrame) & cv::Rect(0, 0, dst.cols, dst.rows);
        if (code_corners8) {
            float c0 = (float)(marginPx + q * unit), c1 = (float)(marginPx + (q + side) * unit);
            std::vector<cv::Point2f> code = {{c0, c0}, {c1, c0}, {c1, c1}, {c0, c1}}, mapped;
            cv::perspectiveTransform(code, mapped, h);
            for (int i = 0; i < 4; i++) {
                code_corners8[2 * i] = mapped[i].x;
                code_corners8[2 * i + 1] = mapped[i].y;
            }
        }
        if (box.area() <= 0) return 0;
        cv::Mat shift = (cv::Mat_<double>(3, 3) << 1, 0, -box.x, 0, 1, -box.y, 0, 0, 1);
        cv::Mat hb = shift * h;
        cv::Mat tile8, warped, mask;
        tile.convertTo(tile8, CV_8U);
        cv::warpPerspective(tile8, warped, hb, box.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
        cv::Mat ones(t, t, CV_8UC1, cv::Scalar(255));
        cv::warpPerspective(ones, mask, hb, box.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
        (void)work;
        blend(dst, warped, mask, box);
        return 0;
    });
}

int cvs_scene_cap(cvs_image *frame, double cx, double cy, double radius, int base, double light_angle_deg, double rim_depth) {
    return guarded([&] {
        if (!gray(frame)) return cvs_shim_fail("frame must be a gray image");
        cv::Mat &dst = frame->mat;
        double la = light_angle_deg * CV_PI / 180, lx = std::cos(la), ly = std::sin(la);
        int x0 = std::max(0, (int)std::floor(cx - radius - 2)), x1 = std::min(dst.cols - 1, (int)std::ceil(cx + radius + 2));
        int y0 = std::max(0, (int)std::floor(cy - radius - 2)), y1 = std::min(dst.rows - 1, (int)std::ceil(cy + radius + 2));
        for (int y = y0; y <= y1; y++) {
            uint8_t *row = dst.ptr<uint8_t>(y);
            for (int x = x0; x <= x1; x++) {
                double dx = (x - cx) / radius, dy = (y - cy) / radius, r = std::sqrt(dx * dx + dy * dy);
                double edge = std::clamp((1 - r) * radius + 0.5, 0.0, 1.0);  // anti-aliased rim
                if (edge <= 0) continue;
                // Lit from one side, brighter towards the light; a knurled, darker rim.
                double v = base * (0.88 + 0.12 * (dx * lx + dy * ly));
                if (r > 0.9) {
                    double ridge = 0.5 + 0.5 * std::sin(std::atan2(dy, dx) * 90);
                    v *= 1 - rim_depth * (0.6 + 0.4 * ridge);
                }
                row[x] = clamp8(v * edge + row[x] * (1 - edge));
            }
        }
        return 0;
    });
}

int cvs_scene_specular(cvs_image *frame, double cx, double cy, double rx, double ry, double angle_deg, double strength) {
    return guarded([&] {
        if (!gray(frame)) return cvs_shim_fail("frame must be a gray image");
        cv::Mat &dst = frame->mat;
        double a = angle_deg * CV_PI / 180, ca = std::cos(a), sa = std::sin(a), reach = 3 * std::max(rx, ry);
        int x0 = std::max(0, (int)(cx - reach)), x1 = std::min(dst.cols - 1, (int)(cx + reach));
        int y0 = std::max(0, (int)(cy - reach)), y1 = std::min(dst.rows - 1, (int)(cy + reach));
        for (int y = y0; y <= y1; y++) {
            uint8_t *row = dst.ptr<uint8_t>(y);
            for (int x = x0; x <= x1; x++) {
                double u = ((x - cx) * ca + (y - cy) * sa) / rx, v = (-(x - cx) * sa + (y - cy) * ca) / ry;
                row[x] = clamp8(row[x] + strength * std::exp(-(u * u + v * v)));
            }
        }
        return 0;
    });
}

int cvs_scene_shadow(cvs_image *frame, double x0, double y0, double x1, double y1, double softness, double depth) {
    return guarded([&] {
        if (!gray(frame)) return cvs_shim_fail("frame must be a gray image");
        cv::Mat &dst = frame->mat;
        double nx = -(y1 - y0), ny = x1 - x0, len = std::sqrt(nx * nx + ny * ny);
        if (len <= 0) return 0;
        nx /= len;
        ny /= len;
        for (int y = 0; y < dst.rows; y++) {
            uint8_t *row = dst.ptr<uint8_t>(y);
            for (int x = 0; x < dst.cols; x++) {
                double d = (x - x0) * nx + (y - y0) * ny;
                double s = std::clamp(0.5 + d / std::max(1.0, softness), 0.0, 1.0);
                s = s * s * (3 - 2 * s);
                row[x] = clamp8(row[x] * (1 - depth * s));
            }
        }
        return 0;
    });
}

int cvs_scene_fold(cvs_image *frame, double x0, double y0, double x1, double y1, double width, double strength, double shift) {
    return guarded([&] {
        if (!gray(frame)) return cvs_shim_fail("frame must be a gray image");
        cv::Mat &dst = frame->mat;
        double dx = x1 - x0, dy = y1 - y0, len = std::sqrt(dx * dx + dy * dy);
        if (len <= 0) return 0;
        double ux = dx / len, uy = dy / len, nx = -uy, ny = ux;
        double reach = std::abs(shift) + 2 * width + 4;
        cv::Rect box = cv::Rect((int)(std::min(x0, x1) - reach), (int)(std::min(y0, y1) - reach),
                                (int)(std::abs(dx) + 2 * reach), (int)(std::abs(dy) + 2 * reach)) & cv::Rect(0, 0, dst.cols, dst.rows);
        if (box.area() <= 0) return 0;
        cv::Mat region = dst(box).clone(), mapX(box.size(), CV_32F), mapY(box.size(), CV_32F);
        cv::Mat light(box.size(), CV_32F);
        for (int y = 0; y < box.height; y++)
            for (int x = 0; x < box.width; x++) {
                double px = x + box.x - x0, py = y + box.y - y0;
                double along = px * ux + py * uy, across = px * nx + py * ny;
                double inside = along >= 0 && along <= len ? 1.0 : std::exp(-std::pow(std::min(std::abs(along), std::abs(along - len)) / width, 2));
                // One side of the crease is displaced by `shift` (the paper no longer lies flat).
                double sh = across > 0 ? shift * inside * std::min(1.0, across / width) : 0;
                mapX.at<float>(y, x) = (float)(x - nx * sh);
                mapY.at<float>(y, x) = (float)(y - ny * sh);
                // A ridge: light on one side of the crease, dark on the other.
                double t = across / width;
                light.at<float>(y, x) = (float)(strength * inside * t * std::exp(-t * t) * 1.6);
            }
        cv::Mat moved;
        cv::remap(region, moved, mapX, mapY, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        for (int y = 0; y < box.height; y++) {
            uint8_t *d = dst.ptr<uint8_t>(box.y + y) + box.x;
            const uint8_t *m = moved.ptr<uint8_t>(y);
            const float *l = light.ptr<float>(y);
            for (int x = 0; x < box.width; x++) d[x] = clamp8(m[x] + l[x]);
        }
        return 0;
    });
}

int cvs_scene_texture(cvs_image *frame, int kind, int x, int y, int width, int height, double strength, uint64_t seed) {
    return guarded([&] {
        if (!gray(frame)) return cvs_shim_fail("frame must be a gray image");
        cv::Rect box = cv::Rect(x, y, width, height) & cv::Rect(0, 0, frame->mat.cols, frame->mat.rows);
        if (box.area() <= 0) return 0;
        cv::Mat region = frame->mat(box);
        cv::RNG rng(seed);
        cv::Mat f;
        region.convertTo(f, CV_32F);
        if (kind == 0) {
            // Paper: fibres (smoothed noise at two scales).
            cv::Mat fine(box.size(), CV_32F), coarse(box.size(), CV_32F);
            rng.fill(fine, cv::RNG::NORMAL, 0, strength);
            rng.fill(coarse, cv::RNG::NORMAL, 0, strength * 4);
            cv::GaussianBlur(fine, fine, cv::Size(), 0.8);
            cv::GaussianBlur(coarse, coarse, cv::Size(), 12);
            f += fine + coarse;
        } else if (kind == 1) {
            // Corrugated cardboard: soft stripes.
            // sin(phase) along each row by rotating (sin, cos) one column's step at a time instead of a libm sine per
            // pixel (half of a case frame's render time before); rounding drifts by about n·1e-16 over a row of n.
            double period = rng.uniform(18.0, 40.0), angle = rng.uniform(0.0, CV_PI);
            const double k = 2 * CV_PI / period, step = std::cos(angle) * k, stepSin = std::sin(step), stepCos = std::cos(step);
            for (int r = 0; r < box.height; r++) {
                float *row = f.ptr<float>(r);
                const double phase = r * std::sin(angle) * k;
                double s = std::sin(phase), c = std::cos(phase);
                for (int x = 0; x < box.width; x++) {
                    row[x] += (float)(strength * s);
                    const double next = s * stepCos + c * stepSin;
                    c = c * stepCos - s * stepSin;
                    s = next;
                }
            }
        } else if (kind == 2) {
            // A screen's pixel grid: dark lines every few pixels (moire once blurred and resampled).
            int pitch = std::max(2, (int)std::lround(rng.uniform(2.2, 4.5)));
            for (int r = 0; r < box.height; r++)
                for (int c = 0; c < box.width; c++)
                    if (r % pitch == 0 || c % pitch == 0) f.at<float>(r, c) *= (float)(1 - strength / 100);
        } else {
            return cvs_shim_fail("unknown texture kind");
        }
        f.convertTo(region, CV_8U);
        return 0;
    });
}

int cvs_scene_optics(cvs_image *frame, const cvs_optics *o, cvs_image *work) {
    return guarded([&] {
        if (!gray(frame)) return cvs_shim_fail("frame must be a gray image");
        cv::Mat &img = frame->mat;
        cv::Mat f;
        img.convertTo(f, CV_32F);
        // Illumination: the lamp's gain and vignetting.
        if (o->gain != 1 || o->vignetting > 0) {
            const double cx = f.cols / 2.0, cy = f.rows / 2.0, r2max = cx * cx + cy * cy;
            for (int y = 0; y < f.rows; y++) {
                float *row = f.ptr<float>(y);
                const double dy2 = (y - cy) * (y - cy);
                for (int x = 0; x < f.cols; x++) {
                    const double r2 = ((x - cx) * (x - cx) + dy2) / r2max;  // (distance from the centre / corner's)²
                    row[x] = (float)(row[x] * o->gain * (1 - o->vignetting * r2));
                }
            }
        }
        if (o->defocus_radius >= 0.5) {
            int k = 2 * (int)std::ceil(o->defocus_radius) + 1;
            cv::Mat disc = cv::Mat::zeros(k, k, CV_32F);
            cv::circle(disc, cv::Point(k / 2, k / 2), (int)std::lround(o->defocus_radius), cv::Scalar(1.0), -1, cv::LINE_AA);
            disc /= cv::sum(disc)[0];
            cv::filter2D(f, f, -1, disc, cv::Point(-1, -1), 0, cv::BORDER_REPLICATE);
        }
        if (o->motion_px >= 1) {
            int k = (int)std::ceil(o->motion_px) | 1;
            cv::Mat kernel = cv::Mat::zeros(k, k, CV_32F);
            double a = o->motion_angle * CV_PI / 180.0;
            cv::Point2d c(k / 2.0 - 0.5, k / 2.0 - 0.5);
            cv::line(kernel, cv::Point2d(c.x - std::cos(a) * o->motion_px / 2, c.y - std::sin(a) * o->motion_px / 2),
                     cv::Point2d(c.x + std::cos(a) * o->motion_px / 2, c.y + std::sin(a) * o->motion_px / 2), cv::Scalar(1.0), 1, cv::LINE_AA);
            double s = cv::sum(kernel)[0];
            if (s > 0) kernel /= s;
            cv::filter2D(f, f, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_REPLICATE);
        }
        if (o->haze > 0) {
            // A film of dust: veiling glare, light scattered over the whole image.
            cv::Mat veil;
            cv::GaussianBlur(f, veil, cv::Size(), 25);
            f = f * (1 - o->haze) + veil * o->haze + 40 * o->haze;
        }
        cv::RNG rng(o->seed);
        if (o->shot_noise > 0 || o->read_noise > 0) {
            cv::Mat n(f.size(), CV_32F);
            rng.fill(n, cv::RNG::NORMAL, 0, 1);
            for (int y = 0; y < f.rows; y++) {
                float *row = f.ptr<float>(y);
                const float *nr = n.ptr<float>(y);
                for (int x = 0; x < f.cols; x++) {
                    double v = std::max(0.0f, row[x]);
                    double sigma = std::sqrt(o->read_noise * o->read_noise + o->shot_noise * o->shot_noise * v);
                    row[x] = (float)(v + nr[x] * sigma);
                }
            }
        }
        f.convertTo(img, CV_8U);
        if (o->jpeg_quality > 0) {
            std::vector<uint8_t> buffer;
            cv::imencode(".jpg", img, buffer, {cv::IMWRITE_JPEG_QUALITY, std::clamp(o->jpeg_quality, 5, 100)});
            cv::Mat decoded = cv::imdecode(buffer, cv::IMREAD_GRAYSCALE);
            decoded.copyTo(img);
        }
        (void)work;
        return 0;
    });
}

int cvs_scene_symbol(cvs_image *frame, const uint8_t *modules, int cols, int rows, int quiet, const float *quad8, int dark, int light,
                     float *code_corners8) {
    return guarded([&] {
        if (!gray(frame)) return cvs_shim_fail("frame must be a gray image");
        if (cols <= 0 || rows <= 0 || modules == nullptr || quad8 == nullptr) return cvs_shim_fail("no symbol to draw");
        cv::Mat &dst = frame->mat;
        std::vector<cv::Point2f> quad;
        for (int i = 0; i < 4; i++) quad.emplace_back(quad8[2 * i], quad8[2 * i + 1]);
        const int q = std::max(0, quiet);
        const bool linear = rows == 1;
        const double quadWidth = (cv::norm(quad[1] - quad[0]) + cv::norm(quad[2] - quad[3])) / 2;
        const double quadHeight = (cv::norm(quad[3] - quad[0]) + cv::norm(quad[2] - quad[1])) / 2;
        const double modulePx = quadWidth / (cols + 2 * q);
        // Rendered upright at `unit` px per module (about twice the frame's), then warped onto the quad.
        const int unit = std::clamp((int)std::lround(modulePx * 2), 4, 24);
        const int tw = (cols + 2 * q) * unit;
        const int th = linear ? std::max(unit, (int)std::lround(tw * quadHeight / std::max(1.0, quadWidth))) : (rows + 2 * q) * unit;
        cv::Mat tile(th, tw, CV_8UC1, cv::Scalar(light));
        for (int my = 0; my < rows; my++)
            for (int mx = 0; mx < cols; mx++) {
                if (!modules[my * cols + mx]) continue;
                cv::Rect cell = linear ? cv::Rect((mx + q) * unit, 0, unit, th) : cv::Rect((mx + q) * unit, (my + q) * unit, unit, unit);
                tile(cell).setTo(cv::Scalar(dark));
            }
        double shrink = unit / std::max(0.5, modulePx);
        if (shrink > 1.2) cv::GaussianBlur(tile, tile, cv::Size(), 0.45 * shrink);
        std::vector<cv::Point2f> corners = {{0, 0}, {(float)tw, 0}, {(float)tw, (float)th}, {0, (float)th}};
        cv::Mat h = cv::getPerspectiveTransform(corners, quad);
        if (code_corners8) {
            float x0 = (float)(q * unit), x1 = (float)((q + cols) * unit);
            float y0 = linear ? 0 : (float)(q * unit), y1 = linear ? (float)th : (float)((q + rows) * unit);
            std::vector<cv::Point2f> code = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}, mapped;
            cv::perspectiveTransform(code, mapped, h);
            for (int i = 0; i < 4; i++) {
                code_corners8[2 * i] = mapped[i].x;
                code_corners8[2 * i + 1] = mapped[i].y;
            }
        }
        cv::Rect box = cv::boundingRect(quad) & cv::Rect(0, 0, dst.cols, dst.rows);
        if (box.area() <= 0) return 0;
        cv::Mat shift = (cv::Mat_<double>(3, 3) << 1, 0, -box.x, 0, 1, -box.y, 0, 0, 1);
        cv::Mat hb = shift * h;
        cv::Mat warped, mask;
        cv::warpPerspective(tile, warped, hb, box.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
        cv::Mat ones(th, tw, CV_8UC1, cv::Scalar(255));
        cv::warpPerspective(ones, mask, hb, box.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
        blend(dst, warped, mask, box);
        return 0;
    });
}

int cvs_scene_smear(cvs_image *frame, double cx, double cy, double rx, double ry, double angle_deg, double sigma, double darken) {
    return guarded([&] {
        if (!gray(frame)) return cvs_shim_fail("frame must be a gray image");
        cv::Mat &dst = frame->mat;
        const double reach = std::max(rx, ry) + 3 * sigma + 2;
        cv::Rect box = cv::Rect((int)std::floor(cx - reach), (int)std::floor(cy - reach), (int)std::ceil(2 * reach) + 1,
                                (int)std::ceil(2 * reach) + 1) & cv::Rect(0, 0, dst.cols, dst.rows);
        if (box.area() <= 0 || sigma <= 0) return 0;
        cv::Mat blurred;
        cv::GaussianBlur(dst(box), blurred, cv::Size(), sigma);
        const double a = angle_deg * CV_PI / 180, ca = std::cos(a), sa = std::sin(a);
        for (int y = 0; y < box.height; y++) {
            uint8_t *d = dst.ptr<uint8_t>(box.y + y) + box.x;
            const uint8_t *b = blurred.ptr<uint8_t>(y);
            for (int x = 0; x < box.width; x++) {
                double px = x + box.x - cx, py = y + box.y - cy;
                double u = (px * ca + py * sa) / std::max(1.0, rx), v = (-px * sa + py * ca) / std::max(1.0, ry);
                double r = std::sqrt(u * u + v * v);
                // Full smear inside the ellipse, fading over its outer tenth.
                double w = std::clamp((1.1 - r) / 0.2, 0.0, 1.0);
                if (w <= 0) continue;
                double smeared = b[x] * (1 - darken);
                d[x] = clamp8(smeared * w + d[x] * (1 - w));
            }
        }
        return 0;
    });
}

} // extern "C"
