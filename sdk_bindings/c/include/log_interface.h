/*
 * log_interface.h - logging porting macros, kept for source compatibility with the public 1NCE
 * IoT C SDK. The nce-hil SDK itself never logs (no printf family in the image); applications may
 * define these macros before including this header to route their own messages.
 */
#ifndef NCE_LOG_INTERFACE_H
#define NCE_LOG_INTERFACE_H

#ifndef NceOSLogInfo
#define NceOSLogInfo(...) ((void)0)
#endif
#ifndef NceOSLogDebug
#define NceOSLogDebug(...) ((void)0)
#endif
#ifndef NceOSLogError
#define NceOSLogError(...) ((void)0)
#endif
#ifndef NceOSLogWarn
#define NceOSLogWarn(...) ((void)0)
#endif

#endif /* NCE_LOG_INTERFACE_H */
