#ifndef CADENCE_CFFMPEG_SHIM_H
#define CADENCE_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libavutil/opt.h>

// FFmpeg's error codes are function-like macros that Swift cannot import.
static inline int cadence_averror_eof(void) { return AVERROR_EOF; }
static inline int cadence_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int cadence_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t cadence_av_nopts_value(void) { return AV_NOPTS_VALUE; }

#endif
